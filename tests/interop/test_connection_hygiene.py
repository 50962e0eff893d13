#!/usr/bin/python3
"""Connection hygiene on raw sockets: the negotiation timeout (RFC 6120 §4.9.3.4
<connection-timeout/>) for a silent and a trickling connection, the smaller stanza limit
before authentication, the per-IP connection limit (loopback exemption off to test it, on
by default), and XEP-0199 pings that close a session which does not answer. Each scenario
waits for the server's stream error or stanza with a timeout, and ends with a ping that
must be answered.

Devices: mallory/* (the misbehaving peer), romeo/bystander.
"""
import time
import unittest

import harness

USERS = {"mallory": "m4ll0ry", "romeo": "j00l1et"}
HEADER = ("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams'>")
PING_GET = f"{{{harness.NS.ping}}}ping"


def is_server_ping(e):
    return e.tag == "{jabber:client}iq" and e.get("type") == "get" and e.find(PING_GET) is not None


class Hygiene(unittest.TestCase):

    def fresh_ping(self, server):
        """A new session still gets its ping answered: only the offender was closed."""
        self.assertTrue(server.alive(), "chorusd must survive")
        fresh = server.raw_login("romeo", USERS["romeo"])
        self.assertTrue(fresh.ping(timeout=10), "a new session works")
        fresh.close()

    def test_silent_connection_times_out_unbound(self):
        with harness.Server(users=USERS, config={"c2s.negotiation_timeout": 2}) as server:
            raw = server.raw()
            started = time.monotonic()
            self.assertEqual(raw.wait_stream_error(timeout=10), "connection-timeout", raw.text)
            self.assertGreaterEqual(time.monotonic() - started, 1.5, "not before the timeout")
            self.assertTrue(raw.wait_closed(timeout=10))
            self.fresh_ping(server)

    def test_trickling_connection_times_out_unbound(self):
        with harness.Server(users=USERS, config={"c2s.negotiation_timeout": 2}) as server:
            raw = server.raw()
            raw.send(HEADER)
            started = time.monotonic()
            # Whitespace keepalives, a byte every 0.25 s: bytes arrive, nothing is bound.
            for _ in range(40):  # at most 10 s
                if not raw.send(" ") or raw.read_until("connection-timeout", timeout=0.25):
                    break
            self.assertEqual(raw.wait_stream_error(timeout=5), "connection-timeout", raw.text)
            self.assertLess(time.monotonic() - started, 8, "trickling did not extend it")
            self.assertTrue(raw.wait_closed(timeout=10))
            self.fresh_ping(server)

    def test_bound_session_outlives_the_negotiation_timeout(self):
        with harness.Server(users=USERS, config={"c2s.negotiation_timeout": 1}) as server:
            raw = server.raw_login("mallory", USERS["mallory"], resource="patient")
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:  # answered pings, across 3 timeouts
                self.assertTrue(raw.ping(timeout=5))
                time.sleep(0.5)
            self.assertIsNone(raw.wait_stream_error(timeout=0.1))

    def test_stanza_over_the_unauthenticated_limit_is_a_policy_violation(self):
        config = {"limits.max_stanza_bytes_unauthenticated": 4096}
        with harness.Server(users=USERS, config=config) as server:
            raw = server.raw()
            raw.open_stream()
            raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                     "A" * 6000 + "</auth>")
            self.assertEqual(raw.wait_stream_error(timeout=10), "policy-violation", raw.text)
            self.assertTrue(raw.wait_closed(timeout=10))
            # STARTTLS and SCRAM fit under it, and after authentication the full limit holds.
            big = server.raw_login("mallory", USERS["mallory"], resource="big")
            body = "x" * 6000
            big.send(f"<message to='mallory@localhost/big' type='chat' id='big'>"
                     f"<body>{body}</body></message>")
            got = big.wait_for(lambda e: e.get("id") == "big", timeout=10)
            self.assertEqual(got.find("{jabber:client}body").text, body)
            self.assertTrue(big.ping())
            self.fresh_ping(server)

    def test_connections_over_the_per_ip_limit_are_refused(self):
        config = {"limits.max_connections_per_ip": 3, "limits.exempt_loopback": False}
        with harness.Server(users=USERS, config=config) as server:
            held = [server.raw() for _ in range(3)]
            for raw in held:
                raw.open_stream()  # each was admitted and is served
            refused = server.raw()
            self.assertTrue(refused.wait_closed(timeout=10), "the 4th is closed at once")
            self.assertEqual(refused.text, "", "nothing is said to a refused connection")
            held.pop().close()
            # The slot is free once the server has released the closed session (after its
            # close grace); bounded retries, each refused one is closed without a word.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                again = server.raw()
                try:
                    again.login("romeo", USERS["romeo"])
                    break
                except TimeoutError:
                    self.assertTrue(again.closed, "a refusal closes, it does not hang")
                    time.sleep(0.2)
            self.assertTrue(again.ping(), again.text[-2000:])

    def test_loopback_is_exempt_by_default(self):
        with harness.Server(users=USERS, config={"limits.max_connections_per_ip": 2}) as server:
            many = [server.raw() for _ in range(5)]
            for raw in many:
                self.assertIsNotNone(raw.open_stream(timeout=10))
            self.fresh_ping(server)

    def test_silent_session_is_pinged_and_closed_when_it_does_not_answer(self):
        config = {"c2s.ping_interval": 1, "c2s.ping_timeout": 1}
        with harness.Server(users=USERS, config=config) as server:
            deaf = server.raw_login("mallory", USERS["mallory"], resource="deaf")
            ping = deaf.wait_for(is_server_ping, timeout=10)
            self.assertEqual(ping.get("from"), "localhost")
            self.assertEqual(ping.get("to"), "mallory@localhost/deaf")
            self.assertEqual(deaf.wait_stream_error(timeout=10), "connection-timeout", deaf.text)
            self.assertTrue(deaf.wait_closed(timeout=10))

            # A session that answers its pings stays.
            alive = server.raw_login("romeo", USERS["romeo"], resource="alive")
            for _ in range(2):
                p = alive.wait_for(is_server_ping, timeout=10)
                alive.send(f"<iq type='result' id='{p.get('id')}' to='localhost'/>")
            self.assertIsNone(alive.wait_stream_error(timeout=0.1))
            self.assertTrue(alive.ping())


if __name__ == "__main__":
    unittest.main()
