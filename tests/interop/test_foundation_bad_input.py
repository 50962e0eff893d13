#!/usr/bin/python3
"""Issue 2 (foundation), hostile and malformed input on raw sockets: each ends the offending
stream with the stream error RFC 6120 §4.9.3 names for it, closes that connection only, and is
followed by pings that must be answered (a bystander session opened before, and a new one).

Devices: mallory/* (the attacker, a real account), romeo/bystander.
"""
import time
import unittest

import harness

LIMIT = 10000  # limits.max_stanza_bytes: the smallest RFC 6120 §13.12 allows
USERS = {"mallory": "m4ll0ry", "romeo": "j00l1et"}

BILLION_LAUGHS = (
    "<?xml version='1.0'?>"
    "<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
    "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
    "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
    "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
    "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
    "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
    "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>]>"
)
HEADER = ("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams'>")


class BadInput(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS, config={
            "limits.max_stanza_bytes": LIMIT, "limits.max_depth": 10,
            "limits.max_attributes": 8}).__enter__()
        cls.bystander = cls.server.raw_login("romeo", USERS["romeo"], resource="bystander")

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def attacker(self, stage="bound"):
        """A connection at a stage: "connected" (nothing sent), "stream" (header sent, before
        TLS), or "bound" (logged in as mallory)."""
        raw = self.server.raw()
        if stage == "stream":
            raw.open_stream()
        elif stage == "bound":
            raw.login("mallory", USERS["mallory"], resource=f"r{time.monotonic_ns()}")
        return raw

    def assert_ends_with(self, raw, condition):
        got = raw.wait_stream_error(timeout=10)
        self.assertEqual(got, condition, f"stream error; received:\n{raw.text[-1500:]}")
        self.assertTrue(raw.wait_closed(timeout=10), "the server must close the connection")
        # The offending connection only: others are still served (STYLE.md "Tests").
        self.assertTrue(self.server.alive(), "chorusd must survive")
        self.assertTrue(self.bystander.ping(timeout=10), "a session opened before still works")
        fresh = self.server.raw_login("romeo", USERS["romeo"])
        self.assertTrue(fresh.ping(timeout=10), "a new session works")
        fresh.close()

    # -- RFC 6120 §13.12 stanza size --

    def oversized(self):
        return ("<message to='romeo@localhost' type='chat'><body>" + "x" * (2 * LIMIT) +
                "</body></message>")

    def test_stanza_over_the_limit_in_one_write_is_a_policy_violation(self):
        raw = self.attacker()
        raw.send(self.oversized())
        self.assert_ends_with(raw, "policy-violation")
        self.assertNotIn("xxxxxxxxxx", self.bystander.text, "nothing of it was delivered")

    def test_stanza_over_the_limit_trickled_is_a_policy_violation(self):
        raw = self.attacker()
        data = self.oversized()
        for i in range(0, len(data), 700):
            if not raw.send(data[i:i + 700]):
                break
            time.sleep(0.002)
        self.assert_ends_with(raw, "policy-violation")

    def test_unending_stanza_is_stopped_without_its_end_tag(self):
        raw = self.attacker()
        raw.send("<message to='romeo@localhost'><body>")
        for _ in range(3 * LIMIT // 1000):
            if not raw.send("y" * 1000):
                break
            time.sleep(0.002)
        self.assert_ends_with(raw, "policy-violation")

    def test_stanza_at_the_limit_is_delivered(self):
        raw = self.attacker()
        head, tail = "<message to='romeo@localhost/bystander' type='chat' id='big'><body>", \
            "</body></message>"
        raw.send(head + "z" * (LIMIT - len(head) - len(tail)) + tail)
        got = self.bystander.wait_for(lambda e: e.get("id") == "big", timeout=10)
        self.assertEqual(len(got.find("{jabber:client}body").text), LIMIT - len(head) - len(tail))
        self.assertTrue(raw.ping())

    def test_oversized_stanza_before_authentication_is_a_policy_violation(self):
        raw = self.attacker("stream")
        raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                 "A" * (2 * LIMIT) + "</auth>")
        self.assert_ends_with(raw, "policy-violation")

    # -- RFC 6120 §11.1 restricted XML --

    def test_billion_laughs_document_is_restricted_xml(self):
        raw = self.attacker("connected")
        raw.send(BILLION_LAUGHS + HEADER + "<message><body>&lol9;</body></message>")
        # RFC 6120 §4.9.1.2: the server opens its own stream before sending the error.
        self.assert_ends_with(raw, "restricted-xml")
        self.assertIn("<stream:stream", raw.text)

    def test_billion_laughs_entities_after_login_are_refused(self):
        raw = self.attacker()
        raw.send(BILLION_LAUGHS.split("?>", 1)[1] + "<message><body>&lol9;</body></message>")
        # A DOCTYPE inside the stream's root element is not well-formed XML at all
        # (XML 1.0 §2.8: doctypedecl belongs in the prolog), so <not-well-formed/> is the
        # accurate RFC 6120 §4.9.3.13 condition here.
        self.assert_ends_with(raw, "not-well-formed")

    def test_entity_reference_is_restricted_xml(self):
        raw = self.attacker()
        raw.send("<message to='romeo@localhost'><body>&lol9;</body></message>")
        self.assert_ends_with(raw, "restricted-xml")

    def test_comment_in_the_stream_is_restricted_xml(self):
        raw = self.attacker()
        raw.send("<!-- a comment between stanzas -->")
        self.assert_ends_with(raw, "restricted-xml")

    def test_comment_inside_a_stanza_is_restricted_xml(self):
        raw = self.attacker()
        raw.send("<message to='romeo@localhost'><body>hi</body><!-- x --></message>")
        self.assert_ends_with(raw, "restricted-xml")

    def test_comment_before_authentication_is_restricted_xml(self):
        raw = self.attacker("stream")
        raw.send("<!-- before TLS -->")
        self.assert_ends_with(raw, "restricted-xml")

    def test_processing_instruction_is_restricted_xml(self):
        raw = self.attacker()
        raw.send("<?xml-stylesheet href='evil.xsl'?>")
        self.assert_ends_with(raw, "restricted-xml")

    def test_doctype_before_the_stream_is_restricted_xml(self):
        raw = self.attacker("connected")
        raw.send("<?xml version='1.0'?><!DOCTYPE stream:stream SYSTEM "
                 "'file:///etc/passwd'>" + HEADER)
        self.assert_ends_with(raw, "restricted-xml")

    # -- limits on depth and attributes (DESIGN.md "Bad input") --

    def test_nesting_beyond_max_depth_is_a_policy_violation(self):
        raw = self.attacker()
        raw.send("<message to='romeo@localhost'>" + "<x xmlns='urn:example'>" * 20 +
                 "</x>" * 20 + "</message>")
        self.assert_ends_with(raw, "policy-violation")

    def test_too_many_attributes_is_a_policy_violation(self):
        raw = self.attacker()
        attrs = " ".join(f"a{i}='v'" for i in range(20))
        raw.send(f"<message to='romeo@localhost' {attrs}/>")
        self.assert_ends_with(raw, "policy-violation")

    # -- malformed streams --

    def test_mismatched_tags_are_not_well_formed(self):
        raw = self.attacker()
        raw.send("<message to='romeo@localhost'><body>hi</message>")
        self.assert_ends_with(raw, "not-well-formed")

    def test_invalid_utf8_is_not_well_formed(self):
        raw = self.attacker()
        raw.send(b"<message to='romeo@localhost'><body>\xff\xfe\xc3</body></message>")
        self.assert_ends_with(raw, "not-well-formed")

    def test_text_at_stream_level_is_refused(self):
        raw = self.attacker()
        raw.send("hello, server")
        self.assert_ends_with(raw, "not-well-formed")

    def test_wrong_stream_namespace_is_invalid_namespace(self):
        raw = self.attacker("connected")
        raw.send("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
                 "xmlns:stream='http://example.com/not-streams'>")
        self.assert_ends_with(raw, "invalid-namespace")

    def test_wrong_default_namespace_is_invalid_namespace(self):
        raw = self.attacker("connected")
        raw.send("<stream:stream to='localhost' version='1.0' xmlns='jabber:server' "
                 "xmlns:stream='http://etherx.jabber.org/streams'>")
        self.assert_ends_with(raw, "invalid-namespace")

    def test_unknown_host_is_host_unknown(self):
        raw = self.attacker("connected")
        raw.send(HEADER.replace("to='localhost'", "to='example.org'"))
        self.assert_ends_with(raw, "host-unknown")

    def test_unknown_top_level_element_is_unsupported_stanza_type(self):
        raw = self.attacker()
        raw.send("<foo/>")
        self.assert_ends_with(raw, "unsupported-stanza-type")

    def test_garbage_instead_of_tls_handshake_closes_only_that_connection(self):
        raw = self.attacker("stream")
        raw.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        raw.wait_tag("{urn:ietf:params:xml:ns:xmpp-tls}proceed")
        raw.send(b"\x16\x03\x01\x00\x05garbage-not-a-client-hello" * 10)
        self.assertTrue(raw.wait_closed(timeout=10))
        self.assertTrue(self.bystander.ping(timeout=10))
        self.assertTrue(self.server.raw_login("romeo", USERS["romeo"]).ping())


if __name__ == "__main__":
    unittest.main(verbosity=2)
