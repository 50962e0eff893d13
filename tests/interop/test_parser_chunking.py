#!/usr/bin/python3
"""Issue 13 part 1: a stanza is handled as soon as its last byte arrives, whatever the TCP
chunking. expat 2.6 (and Debian 12's 2.5.0+deb12u5 backport of CVE-2023-52425) defers the
reparse of a partial token until the input has doubled, so a stanza whose last segment is
small would wait for the client's next bytes; chorusd turns the deferral off.

Devices: juliet/split (raw, plaintext so each write is one TCP segment), romeo/phone.
"""
import socket
import time
import unittest

import harness

USERS = {"juliet": "s3cret", "romeo": "m0ntague"}
ANSWER_WITHIN = 2.0  # seconds; the stanza is complete, nothing else is coming


class Chunking(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS, config={"c2s.require_tls": False,
                                                         "c2s.allow_plaintext_on_loopback": True})
        cls.server.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def split_sender(self, resource):
        raw = self.server.raw()
        raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.login("juliet", USERS["juliet"], resource=resource, tls=False)
        return raw

    @staticmethod
    def send_in_segments(raw, parts):
        for part in parts:
            raw.send(part)
            time.sleep(0.05)  # separate reads on the server's side

    def test_iq_whose_last_segment_is_one_byte_is_answered_at_once(self):
        raw = self.split_sender("split")
        for n, cut in enumerate([1, 2, 5]):
            stanza = f"<iq type='get' id='split{n}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
            self.send_in_segments(raw, [stanza[:-cut], stanza[-cut:]])
            reply = raw.wait_for(lambda e, i=f"split{n}": e.get("id") == i, ANSWER_WITHIN)
            self.assertEqual(reply.get("type"), "result", f"cut {cut}")
        raw.close()

    def test_message_split_byte_by_byte_at_the_end_is_delivered_at_once(self):
        romeo = self.server.raw_login("romeo", USERS["romeo"], resource="phone", tls=False)
        raw = self.split_sender("split2")
        stanza = ("<message to='romeo@localhost/phone' type='chat' id='m1'>"
                  "<body>wherefore</body></message>")
        self.send_in_segments(raw, [stanza[:-12]] + list(stanza[-12:]))
        got = romeo.wait_for(lambda e: e.get("id") == "m1", ANSWER_WITHIN)
        self.assertEqual(got.findtext(f"{{{harness.NS.client}}}body"), "wherefore")
        self.assertTrue(raw.ping(timeout=5))
        raw.close()
        romeo.close()

    def test_stream_header_split_before_auth_gets_features_at_once(self):
        raw = self.server.raw()
        raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        header = ("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' "
                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
        self.send_in_segments(raw, [header[:-1], header[-1:]])
        features = raw.wait_tag(f"{{{harness.NS.streams}}}features", ANSWER_WITHIN)
        self.assertIsNotNone(features)
        raw.close()


if __name__ == "__main__":
    unittest.main()
