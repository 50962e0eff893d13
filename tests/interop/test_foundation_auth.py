#!/usr/bin/python3
"""Issue 2 (foundation), logging in: STARTTLS and direct TLS (XEP-0368), SCRAM-SHA-1/-256 with
and without channel binding (RFC 5802, RFC 7677), PLAIN only over TLS, failures (RFC 6120 §6.5,
§6.4.5), resource binding and conflicts (RFC 6120 §7), with slixmpp and raw sockets.

Devices: juliet/balcony, juliet/phone, juliet/laptop; romeo/orchard.
"""
import asyncio
import unittest

import harness
from harness import NS

USERS = {"juliet": "r0m30myr0m30", "romeo": "j00l1et"}
PW = USERS["juliet"]


class TlsLogin(unittest.IsolatedAsyncioTestCase):
    """A default server: TLS required before authentication, direct TLS on."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS, direct_tls=True).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    async def asyncTearDown(self):
        for c in self.server._clients:
            await c.close(timeout=2)
        self.server._clients.clear()

    async def test_slixmpp_default_is_scram_sha256_plus_over_starttls(self):
        c = await self.server.client("juliet@localhost/balcony", PW)
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-256-PLUS")
        self.assertEqual(str(c.boundjid), "juliet@localhost/balcony")
        await c.barrier()

    async def test_scram_sha1_plus_over_starttls(self):
        c = await self.server.client("juliet@localhost/phone", PW, mechanism="SCRAM-SHA-1-PLUS")
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-1-PLUS")
        await c.barrier()

    async def test_direct_tls_login(self):
        c = await self.server.client("juliet@localhost/laptop", PW, direct_tls=True)
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-256-PLUS")
        await c.barrier()

    def test_direct_tls_offers_no_starttls_and_the_plus_mechanisms(self):
        raw = self.server.raw(direct_tls=True)
        features = raw.open_stream()
        self.assertIsNone(features.find(f"{{{NS.tls}}}starttls"))
        self.assertEqual(raw.mechanisms(), ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
                                            "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"])
        self.assertEqual(raw.login("juliet", PW, resource="raw-direct",
                                   mechanism="SCRAM-SHA-1-PLUS"), "juliet@localhost/raw-direct")
        self.assertTrue(raw.ping())

    def test_raw_scram_plus_logins_over_starttls(self):
        for mechanism in ("SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"):
            raw = self.server.raw()
            self.assertEqual(raw.login("romeo", USERS["romeo"], resource=mechanism,
                                       mechanism=mechanism), f"romeo@localhost/{mechanism}")
            self.assertTrue(raw.ping())

    def test_starttls_is_required_before_authentication(self):
        raw = self.server.raw()
        features = raw.open_stream()
        starttls = features.find(f"{{{NS.tls}}}starttls")
        self.assertIsNotNone(starttls)
        self.assertIsNotNone(starttls.find(f"{{{NS.tls}}}required"))
        self.assertEqual(raw.mechanisms(), [], "no SASL before TLS when TLS is required")

    def test_plain_is_offered_and_accepted_over_tls(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        self.assertIn("PLAIN", raw.mechanisms())
        self.assertIsNone(raw.authenticate("juliet", PW, "PLAIN"),
                          "PLAIN without an authzid over TLS must succeed")
        raw.restart()
        self.assertEqual(raw.bind("plain"), "juliet@localhost/plain")
        self.assertTrue(raw.ping())

    async def test_slixmpp_plain_over_tls(self):
        c = await self.server.client("juliet@localhost/plain", PW, mechanism="PLAIN")
        self.assertEqual(c["feature_mechanisms"].mech.name, "PLAIN")
        await c.barrier()

    def test_plain_with_own_authzid_succeeds_and_with_another_fails(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        self.assertIsNone(raw.authenticate("juliet", PW, "PLAIN", authzid="juliet@localhost"))
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        # RFC 6120 §6.4.6: an authzid the server will not allow is <invalid-authzid/>.
        self.assertEqual(raw.authenticate("juliet", PW, "PLAIN", authzid="romeo@localhost"),
                         "invalid-authzid")

    async def test_wrong_password_is_not_authorized(self):
        for mechanism in ("SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "PLAIN"):
            with self.assertRaises(harness.LoginFailed, msg=mechanism) as ctx:
                await self.server.client("juliet@localhost/balcony", "wrong",
                                         mechanism=mechanism)
            self.assertEqual(ctx.exception.condition, "not-authorized", mechanism)

    def test_wrong_password_and_unknown_user_fail_alike_on_the_wire(self):
        for user, password in (("juliet", "wrong"), ("nobody", PW)):
            for mechanism in ("SCRAM-SHA-256-PLUS", "SCRAM-SHA-1", "PLAIN"):
                raw = self.server.raw()
                raw.open_stream()
                raw.starttls()
                self.assertEqual(raw.authenticate(user, password, mechanism), "not-authorized",
                                 f"{user} {mechanism}")

    def test_too_many_failures_close_the_stream(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        for attempt in range(3):  # limits.max_auth_failures defaults to 3
            self.assertEqual(raw.authenticate("juliet", f"wrong{attempt}", "SCRAM-SHA-256-PLUS"),
                             "not-authorized")
        # RFC 6120 §6.4.5: past the retry limit, a stream error that SHOULD be
        # <policy-violation/>, then the stream ends.
        self.assertEqual(raw.wait_stream_error(timeout=5), "policy-violation")
        self.assertTrue(raw.wait_closed(timeout=5), "the server must close the connection")
        self.assertTrue(self.server.raw_login("juliet", PW).ping(), "others are still served")

    def test_two_failures_then_the_right_password_still_logs_in(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        for attempt in range(2):
            self.assertEqual(raw.authenticate("juliet", "wrong", "SCRAM-SHA-1-PLUS"),
                             "not-authorized")
        self.assertIsNone(raw.authenticate("juliet", PW, "SCRAM-SHA-1-PLUS"))
        raw.restart()
        raw.bind("third-time")
        self.assertTrue(raw.ping())

    def test_scram_without_plus_and_flag_y_is_refused_over_tls(self):
        # RFC 5802 §6: 'y' says "I can bind but you did not offer -PLUS"; this server did
        # offer it, so a man in the middle stripped it: the exchange must fail.
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
            raw = self.server.raw()
            raw.open_stream()
            raw.starttls()
            failure = raw.authenticate("juliet", PW, mechanism, cb_flag="y")
            self.assertIsNotNone(failure, f"{mechanism} with gs2 flag 'y' must be refused")

    def test_unknown_mechanism_is_invalid_mechanism(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        raw.send(f"<auth xmlns='{NS.sasl}' mechanism='DIGEST-MD5'/>")
        failure = raw.wait_tag(f"{{{NS.sasl}}}failure")
        self.assertIsNotNone(failure.find(f"{{{NS.sasl}}}invalid-mechanism"))

    def test_bad_base64_is_incorrect_encoding(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        raw.send(f"<auth xmlns='{NS.sasl}' mechanism='SCRAM-SHA-256'>!!not base64!!</auth>")
        failure = raw.wait_tag(f"{{{NS.sasl}}}failure")
        self.assertIsNotNone(failure.find(f"{{{NS.sasl}}}incorrect-encoding"))

    async def test_resource_conflict_replaces_the_old_session(self):
        first = await self.server.client("juliet@localhost/conflict", PW)
        error = asyncio.ensure_future(first.wait_for(
            lambda x: x.tag == f"{{{NS.streams}}}error", timeout=10))
        second = await self.server.client("juliet@localhost/conflict", PW)
        await error
        self.assertEqual(first.stream_errors, ["conflict"])
        self.assertEqual(str(second.boundjid), "juliet@localhost/conflict")
        await second.barrier()
        self.assertEqual(second.stream_errors, [])

    def test_resource_conflict_on_the_wire(self):
        first = self.server.raw_login("romeo", USERS["romeo"], resource="orchard")
        second = self.server.raw_login("romeo", USERS["romeo"], resource="orchard")
        self.assertEqual(second.jid, "romeo@localhost/orchard")
        # RFC 6120 §7.7.2.2: the old session gets a <conflict/> stream error.
        self.assertEqual(first.wait_stream_error(timeout=5), "conflict")
        self.assertTrue(first.wait_closed(timeout=5))
        self.assertTrue(second.ping())

    async def test_server_generates_a_resource_when_none_is_asked_for(self):
        c = await self.server.client("juliet@localhost", PW)
        self.assertEqual(c.boundjid.bare, "juliet@localhost")
        self.assertNotEqual(c.boundjid.resource, "")
        d = await self.server.client("juliet@localhost", PW)
        self.assertNotEqual(c.boundjid.resource, d.boundjid.resource)
        await c.barrier()
        await d.barrier()

    def test_raw_bind_without_resource_gets_a_generated_one(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        self.assertIsNone(raw.authenticate("romeo", USERS["romeo"], "SCRAM-SHA-256-PLUS"))
        features = raw.restart()
        self.assertIsNotNone(features.find(f"{{{NS.bind}}}bind"))
        jid = raw.bind(None)
        self.assertRegex(jid, r"^romeo@localhost/.+")
        self.assertTrue(raw.ping())

    def test_legacy_session_iq_is_answered_with_success(self):
        raw = self.server.raw_login("romeo", USERS["romeo"], resource="legacy")
        reply = raw.request(f"<session xmlns='{NS.session}'/>", type="set", to=None)
        self.assertEqual(reply.get("type"), "result")

    def test_stanza_before_authentication_is_refused(self):
        raw = self.server.raw()
        raw.open_stream()
        raw.starttls()
        raw.send("<iq type='get' id='early' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        self.assertEqual(raw.wait_stream_error(timeout=5), "not-authorized")
        self.assertTrue(self.server.raw_login("romeo", USERS["romeo"]).ping())


class PlaintextLogin(unittest.IsolatedAsyncioTestCase):
    """c2s.require_tls=false: SCRAM without channel binding over plaintext (gs2 flag 'n')."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS, config={
            "c2s.require_tls": False, "c2s.allow_plaintext_on_loopback": True}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    async def asyncTearDown(self):
        for c in self.server._clients:
            await c.close(timeout=2)
        self.server._clients.clear()

    async def test_slixmpp_scram_sha1_and_sha256_without_tls(self):
        for mechanism in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
            c = await self.server.client(f"juliet@localhost/{mechanism}", PW,
                                         mechanism=mechanism, starttls=False)
            self.assertEqual(c["feature_mechanisms"].mech.name, mechanism)
            self.assertIsNone(c.transport.get_extra_info("ssl_object"), "must stay plaintext")
            await c.barrier()

    async def test_slixmpp_default_over_plaintext_picks_scram_sha256(self):
        c = await self.server.client("juliet@localhost/default", PW, starttls=False)
        self.assertEqual(c["feature_mechanisms"].mech.name, "SCRAM-SHA-256")
        await c.barrier()

    async def test_slixmpp_wrong_password_without_tls(self):
        with self.assertRaises(harness.LoginFailed) as ctx:
            await self.server.client("juliet@localhost/x", "wrong", mechanism="SCRAM-SHA-1",
                                     starttls=False)
        self.assertEqual(ctx.exception.condition, "not-authorized")

    def test_plain_is_not_offered_without_tls(self):
        raw = self.server.raw()
        features = raw.open_stream()
        starttls = features.find(f"{{{NS.tls}}}starttls")
        self.assertIsNotNone(starttls, "STARTTLS is still offered")
        self.assertIsNone(starttls.find(f"{{{NS.tls}}}required"))
        self.assertEqual(raw.mechanisms(), ["SCRAM-SHA-256", "SCRAM-SHA-1"])

    def test_plain_is_refused_without_tls(self):
        raw = self.server.raw()
        raw.open_stream()
        failure = raw.authenticate("juliet", PW, "PLAIN")
        # RFC 6120 §6.5: not offered here, so <invalid-mechanism/>; <encryption-required/>
        # (§6.5.4) would say why, and is as right.
        self.assertIn(failure, ("invalid-mechanism", "encryption-required"))

    def test_raw_scram_without_tls_and_then_starttls_still_works(self):
        raw = self.server.raw()
        self.assertEqual(raw.login("romeo", USERS["romeo"], resource="clear", tls=False,
                                   mechanism="SCRAM-SHA-1"), "romeo@localhost/clear")
        self.assertTrue(raw.ping())
        tls = self.server.raw()
        self.assertEqual(tls.login("romeo", USERS["romeo"], resource="tls",
                                   mechanism="SCRAM-SHA-256-PLUS"), "romeo@localhost/tls")
        self.assertTrue(tls.ping())


if __name__ == "__main__":
    unittest.main(verbosity=2)
