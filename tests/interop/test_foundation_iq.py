#!/usr/bin/python3
"""Issue 2 (foundation), IQ basics: XEP-0199 ping, XEP-0030 disco#info/#items of the server and
of an account, XEP-0092 version, XEP-0115 caps in stream features, and RFC 6120 §8.2.3's
standard answers (unknown payload -> <service-unavailable/>, results and errors never answered).

Devices: juliet/balcony (slixmpp), juliet/raw and romeo/orchard (raw sockets).
"""
import base64
import hashlib
import unittest

import harness
from harness import NS, stanza_error

USERS = {"juliet": "r0m30myr0m30", "romeo": "j00l1et"}
PW = USERS["juliet"]
BASIC_SERVER_FEATURES = {NS.disco_info, NS.disco_items, NS.ping, NS.version}


class ServerIq(unittest.IsolatedAsyncioTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS).__enter__()
        cls.raw = cls.server.raw_login("juliet", PW, resource="raw")

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    async def asyncSetUp(self):
        self.juliet = await self.server.client("juliet@localhost/balcony", PW)

    async def asyncTearDown(self):
        for c in self.server._clients:
            await c.close(timeout=2)
        self.server._clients.clear()

    # -- XEP-0199 --

    async def test_slixmpp_pings_the_server(self):
        rtt = await self.juliet["xep_0199"].ping("localhost", timeout=5)
        self.assertIsNotNone(rtt)

    def test_ping_result_is_empty_and_addressed_back(self):
        reply = self.raw.request(f"<ping xmlns='{NS.ping}'/>")
        self.assertEqual(reply.get("type"), "result")
        self.assertEqual(reply.get("from"), "localhost")
        self.assertEqual(reply.get("to"), "juliet@localhost/raw")
        self.assertEqual(len(reply), 0, "XEP-0199 §4.2: an empty result")

    def test_ping_without_to_is_for_the_account_and_answered(self):
        # RFC 6120 §10.3.3: no 'to' means the user's own bare JID, handled by the server.
        reply = self.raw.request(f"<ping xmlns='{NS.ping}'/>", to=None)
        self.assertIn(reply.get("type"), ("result", "error"))
        if reply.get("type") == "error":
            self.assertEqual(stanza_error(reply), "service-unavailable")

    # -- XEP-0030 --

    async def test_disco_info_of_the_server_has_identity_server_im_and_features(self):
        info = await self.juliet["xep_0030"].get_info("localhost", timeout=5)
        identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
        self.assertIn(("server", "im"), identities)
        features = set(info["disco_info"]["features"])
        self.assertTrue(BASIC_SERVER_FEATURES <= features,
                        f"missing {BASIC_SERVER_FEATURES - features}")

    async def test_disco_items_of_the_server(self):
        items = await self.juliet["xep_0030"].get_items("localhost", timeout=5)
        self.assertEqual(items["type"], "result")
        for item in items["disco_items"]["items"]:
            self.assertTrue(item[0], "every item has a jid")

    async def test_disco_info_of_the_own_account(self):
        info = await self.juliet["xep_0030"].get_info("juliet@localhost", timeout=5)
        identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
        # XEP-0030 §3.1 / the registry: an account is account/registered.
        self.assertIn(("account", "registered"), identities)
        self.assertIn(NS.disco_info, info["disco_info"]["features"])

    def test_disco_info_of_an_unknown_node_is_item_not_found(self):
        reply = self.raw.request(f"<query xmlns='{NS.disco_info}' node='no-such-node'/>")
        self.assertEqual(reply.get("type"), "error")
        self.assertEqual(stanza_error(reply), "item-not-found")

    # -- XEP-0092 --

    async def test_version_of_the_server(self):
        version = await self.juliet["xep_0092"].get_version("localhost", timeout=5)
        self.assertEqual(version["software_version"]["name"], "Chorus")
        self.assertTrue(version["software_version"]["version"])

    # -- XEP-0115 --

    def test_caps_in_stream_features_match_disco_info(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        self.assertIsNone(raw.authenticate("romeo", USERS["romeo"], "SCRAM-SHA-256-PLUS"))
        features = raw.restart()
        c = features.find(f"{{{NS.caps}}}c")
        self.assertIsNotNone(c, "XEP-0115 §6.3: caps in the stream features")
        self.assertEqual(c.get("hash"), "sha-1")
        self.assertTrue(c.get("node"))
        raw.bind("orchard")
        # The ver is the hash of what disco#info on node#ver returns (XEP-0115 §5.1).
        node = f"{c.get('node')}#{c.get('ver')}"
        reply = raw.request(f"<query xmlns='{NS.disco_info}' node='{node}'/>")
        self.assertEqual(reply.get("type"), "result")
        query = reply.find(f"{{{NS.disco_info}}}query")
        self.assertEqual(query.get("node"), node)
        identities = sorted(
            "/".join((i.get("category"), i.get("type"),
                      i.get("{http://www.w3.org/XML/1998/namespace}lang", ""),
                      i.get("name", "")))
            for i in query.findall(f"{{{NS.disco_info}}}identity"))
        features = sorted(f.get("var") for f in query.findall(f"{{{NS.disco_info}}}feature"))
        s = "".join(x + "<" for x in identities + features)
        ver = base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()
        self.assertEqual(c.get("ver"), ver, f"ver of {s!r}")

    # -- RFC 6120 §8.2.3 standard answers --

    def test_unknown_iq_get_and_set_are_service_unavailable(self):
        for iq_type in ("get", "set"):
            reply = self.raw.request("<query xmlns='urn:example:unknown'/>", type=iq_type)
            self.assertEqual(reply.get("type"), "error", iq_type)
            self.assertEqual(stanza_error(reply), "service-unavailable", iq_type)
            self.assertEqual(reply.find(f"{{{NS.client}}}error").get("type"), "cancel")
            self.assertEqual(reply.get("from"), "localhost")

    async def test_slixmpp_unknown_iq_is_service_unavailable(self):
        iq = self.juliet.make_iq_get(ito="localhost")
        iq.append(harness.ET.Element("{urn:example:unknown}query"))
        with self.assertRaises(harness.IqError) as ctx:
            await iq.send(timeout=5)
        self.assertEqual(ctx.exception.iq["error"]["condition"], "service-unavailable")

    def test_known_payload_with_the_wrong_type_is_refused(self):
        reply = self.raw.request(f"<ping xmlns='{NS.ping}'/>", type="set")
        self.assertEqual(reply.get("type"), "error")
        self.assertIn(stanza_error(reply), ("service-unavailable", "bad-request",
                                            "feature-not-implemented"))

    def test_iq_with_two_children_is_bad_request(self):
        reply = self.raw.request(f"<ping xmlns='{NS.ping}'/><ping xmlns='{NS.ping}'/>")
        self.assertEqual(stanza_error(reply), "bad-request")

    def test_iq_get_without_a_child_is_bad_request(self):
        reply = self.raw.request("")
        self.assertEqual(stanza_error(reply), "bad-request")

    def test_iq_results_and_errors_to_the_server_are_not_answered(self):
        raw = self.server.raw_login("romeo", USERS["romeo"], resource="results")
        raw.send("<iq type='result' id='unsolicited-result' to='localhost'/>")
        raw.send("<iq type='result' id='unsolicited-result2' to='localhost'>"
                 f"<query xmlns='{NS.version}'/></iq>")
        raw.send("<iq type='error' id='unsolicited-error' to='localhost'><error type='cancel'>"
                 f"<service-unavailable xmlns='{NS.stanza_errors}'/></error></iq>")
        raw.send("<iq type='result' id='to-account' to='romeo@localhost'/>")
        self.assertTrue(raw.ping(), "the server is still answering")
        stray = [e for e in raw._pending if e.get("id", "").startswith(("unsolicited", "to-acc"))]
        self.assertEqual(stray, [], "RFC 6120 §8.2.3: results and errors are never answered")
        self.assertNotIn("unsolicited", raw.text)
        self.assertNotIn("to-account", raw.text)

    def test_iq_without_id_is_bad_request(self):
        raw = self.server.raw_login("romeo", USERS["romeo"], resource="noid")
        raw.send(f"<iq type='get' to='localhost'><ping xmlns='{NS.ping}'/></iq>")
        reply = raw.wait_tag(f"{{{NS.client}}}iq", timeout=5)
        self.assertEqual(reply.get("type"), "error")
        self.assertEqual(stanza_error(reply), "bad-request")
        self.assertTrue(raw.ping())


if __name__ == "__main__":
    unittest.main(verbosity=2)
