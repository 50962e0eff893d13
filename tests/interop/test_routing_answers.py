#!/usr/bin/python3
"""Nothing dropped silently on the routing path, on raw sockets: presence to a domain this
server does not serve bounces with <remote-server-not-found/> (RFC 6120 §10.4.3), a probe
for a deleted account is answered 'unsubscribed' (RFC 6121 §4.3.2), a full offline queue
tells the sender (XEP-0160 §2) unless the recipient has an IM-NG device, and presence
answered from stored state carries a XEP-0203 <delay/>. Each scenario waits for stanzas
with a timeout and ends with a ping that must be answered.

Devices: juliet/balcony, juliet/laptop, romeo/orchard, nurse/phone (IM-NG), mercutio/street.
"""
import unittest

import harness

C = "{jabber:client}"
DELAY = "{urn:xmpp:delay}delay"
USERS = {"juliet": "pw-j", "romeo": "pw-r", "nurse": "pw-n", "mercutio": "pw-m"}
MAX_OFFLINE = 2


def presence(e, type_=None, frm=None):
    return (e.tag == C + "presence" and (e.get("type") or "") == (type_ or "")
            and (frm is None or e.get("from") == frm))


class RoutingAnswers(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(users=USERS, config={
            "offline.max_messages": MAX_OFFLINE, "allow_registration": True}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def login(self, user, resource, initial_presence=True):
        raw = self.server.raw_login(user, USERS[user], resource=resource)
        if initial_presence:
            raw.send("<presence/>")
            self.assertTrue(raw.ping())
        return raw

    def befriend(self, a, a_jid, b, b_jid):
        a.send(f"<presence to='{b_jid}' type='subscribe'/>")
        b.wait_for(lambda e: presence(e, "subscribe"), timeout=10)
        b.send(f"<presence to='{a_jid}' type='subscribed'/>")
        b.send(f"<presence to='{a_jid}' type='subscribe'/>")
        a.wait_for(lambda e: presence(e, "subscribe"), timeout=10)
        a.send(f"<presence to='{b_jid}' type='subscribed'/>")
        self.assertTrue(a.ping() and b.ping())

    def test_room_join_on_an_unknown_domain_bounces(self):
        juliet = self.login("juliet", "balcony")
        room = "verona@conference.example.org/juliet"
        juliet.send(f"<presence to='{room}' id='join'>"
                    "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        err = juliet.wait_for(lambda e: presence(e, "error", room), timeout=10)
        self.assertEqual(harness.stanza_error(err), "remote-server-not-found")
        self.assertEqual(err.get("id"), "join")
        # Unavailable presence and errors expect no answer: none comes.
        juliet.send(f"<presence to='{room}' type='unavailable'/>")
        juliet.send(f"<presence to='{room}' type='error'/>")
        self.assertTrue(juliet.ping())
        self.assertEqual([e for e in juliet.unconsumed(C + "presence")
                          if e.get("from") == room], [])
        juliet.close()

    def test_probe_for_a_deleted_account_is_answered_unsubscribed(self):
        self.server.adduser("tybalt", "pw-t")
        juliet = self.login("juliet", "balcony2")
        tybalt = self.server.raw_login("tybalt", "pw-t", resource="street")
        tybalt.send("<presence/>")
        self.befriend(juliet, "juliet@localhost", tybalt, "tybalt@localhost")
        gone = tybalt.request("<query xmlns='jabber:iq:register'><remove/></query>", type="set")
        self.assertEqual(gone.get("type"), "result")
        tybalt.wait_closed(timeout=10)
        laptop = self.login("juliet", "laptop2", initial_presence=False)
        laptop.send("<presence/>")  # probes tybalt@localhost (RFC 6121 §4.3.1)
        got = laptop.wait_for(lambda e: presence(e, "unsubscribed", "tybalt@localhost"),
                              timeout=10)
        self.assertIsNotNone(got)
        self.assertTrue(laptop.ping())
        juliet.close()
        laptop.close()

    def test_full_offline_queue_tells_the_sender(self):
        romeo = self.login("romeo", "orchard")
        # mercutio never logged in: legacy only, his queue fills up.
        for i in range(MAX_OFFLINE):
            romeo.send(f"<message to='mercutio@localhost' type='chat' id='q{i}'>"
                       f"<body>queued {i}</body></message>")
        romeo.send("<message to='mercutio@localhost' type='chat' id='over'>"
                   "<body>one too many</body></message>")
        err = romeo.wait_for(lambda e: e.tag == C + "message" and e.get("type") == "error",
                             timeout=10)
        self.assertEqual(err.get("id"), "over")
        self.assertEqual(harness.stanza_error(err), "service-unavailable")
        # Only romeo's own archive may name it (ROUTING.md R3), never mercutio's.
        self.assertEqual([i for i in err.iter("{urn:xmpp:sid:0}stanza-id")
                          if i.get("by") != "romeo@localhost"], [], "no archive id leaks")
        self.assertTrue(romeo.ping())
        romeo.close()

    def test_full_offline_queue_is_silent_for_an_imng_recipient(self):
        nurse = self.server.raw_login("nurse", USERS["nurse"], resource="phone")
        ok = nurse.request("<enable xmlns='urn:xmpp:im-ng:0'/>", type="set", to=None)
        self.assertEqual(ok.get("type"), "result")
        nurse.close()
        romeo = self.login("romeo", "orchard2")
        for i in range(MAX_OFFLINE + 2):
            romeo.send(f"<message to='nurse@localhost' type='chat' id='n{i}'>"
                       f"<body>for the phone {i}</body></message>")
        self.assertTrue(romeo.ping())  # everything before it was routed
        self.assertEqual([e for e in romeo.unconsumed(C + "message")
                          if e.get("type") == "error"], [])
        # It is all in her archive for the phone to sync (XEP-0409, ROUTING.md).
        phone = self.server.raw_login("nurse", USERS["nurse"], resource="phone")
        fin = phone.request("<query xmlns='urn:xmpp:mam:2'/>", type="set", to=None)
        self.assertEqual(fin.get("type"), "result")
        bodies = [m.find(".//" + C + "body").text for m in phone.unconsumed(C + "message")]
        for i in range(MAX_OFFLINE + 2):
            self.assertIn(f"for the phone {i}", bodies)
        romeo.close()
        phone.close()

    def test_probe_answers_carry_the_time_presence_was_set(self):
        juliet = self.login("juliet", "balcony3")
        romeo = self.login("romeo", "orchard3")
        self.befriend(juliet, "juliet@localhost", romeo, "romeo@localhost")
        romeo.send("<presence><show>away</show></presence>")
        self.assertTrue(romeo.ping())
        laptop = self.login("juliet", "laptop3", initial_presence=False)
        laptop.send("<presence/>")
        answer = laptop.wait_for(lambda e: presence(e, None, "romeo@localhost/orchard3"),
                                 timeout=10)
        delay = answer.find(DELAY)
        self.assertIsNotNone(delay, harness.ET.tostring(answer))
        self.assertEqual(delay.get("from"), "localhost")
        self.assertRegex(delay.get("stamp"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertTrue(laptop.ping())
        for c in (juliet, romeo, laptop):
            c.close()


if __name__ == "__main__":
    unittest.main()
