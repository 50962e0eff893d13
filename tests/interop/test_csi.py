#!/usr/bin/python3
"""Issue 13 part 5, XEP-0352 Client State Indication: while juliet/phone says it is inactive,
presence updates (only the newest of each contact) and chat states wait; they leave, in the
order they came and before it, with a message that has a body, with an IQ, or at <active/>.

Devices: juliet/phone (raw socket, the inactive client), romeo/laptop and nurse/tablet
(slixmpp contacts whose presence juliet sees).
"""
import time

import harness
from harness import NS

USERS = {"juliet": "j-pw", "romeo": "r-pw", "nurse": "n-pw"}
CSI = "urn:xmpp:csi:0"
CHATSTATES = "http://jabber.org/protocol/chatstates"
CLIENT = f"{{{NS.client}}}"
QUIET = 0.5  # seconds in which nothing may arrive at the inactive phone


def subscribe_both(phone, contact_raw, contact):
    """Mutual subscription between juliet and contact, over raw streams."""
    for a, b, b_jid in ((phone, contact_raw, f"{contact}@localhost"),
                        (contact_raw, phone, "juliet@localhost")):
        a.send(f"<presence to='{b_jid}' type='subscribe'/>")
        b.wait_for(lambda e: e.tag == CLIENT + "presence" and e.get("type") == "subscribe")
        b.send(f"<presence to='{e_from(a)}' type='subscribed'/>")


def e_from(raw):
    return raw.jid.split("/")[0]


def drain(raw, seconds):
    """Everything that arrives within `seconds`."""
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        raw._pump(deadline)
    while raw._pending:
        got.append(raw._pending.popleft())
    return got


def describe(e):
    if e.tag == CLIENT + "presence":
        return f"presence {e.get('from').split('@')[0]} {e.findtext(CLIENT + 'status') or ''}"
    if e.tag == CLIENT + "message":
        body = e.findtext(CLIENT + "body")
        return f"message {body}" if body else f"chatstate {e.get('from').split('@')[0]}"
    return e.tag


def main():
    with harness.Server(users=USERS, config={"c2s.require_tls": False}) as server:
        phone = server.raw()
        features_before = phone.open_stream()
        assert features_before.find(f"{{{CSI}}}csi") is None, "not offered before auth"
        phone.login("juliet", USERS["juliet"], resource="phone", tls=False)
        assert phone.features.find(f"{{{CSI}}}csi") is not None, "XEP-0352 §4 stream feature"
        romeo = server.raw_login("romeo", USERS["romeo"], resource="laptop", tls=False)
        nurse = server.raw_login("nurse", USERS["nurse"], resource="tablet", tls=False)
        for raw in (phone, romeo, nurse):
            raw.send("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>")
            raw.wait_for(lambda e: e.get("id") == "r")
            raw.send("<presence/>")  # subscription requests go to available resources
        subscribe_both(phone, romeo, "romeo")
        subscribe_both(phone, nurse, "nurse")
        assert phone.ping(10) and romeo.ping(10) and nurse.ping(10)
        drain(phone, 0.3)

        # 1. Inactive: presence and chat states wait.
        phone.send(f"<inactive xmlns='{CSI}'/>")
        romeo.send("<presence><status>r1</status></presence>")
        nurse.send("<presence><status>n1</status></presence>")
        romeo.send(f"<message to='juliet@localhost' type='chat'><composing xmlns='{CHATSTATES}'/>"
                   "</message>")
        romeo.send("<presence><status>r2</status></presence>")
        assert romeo.ping(10) and nurse.ping(10)
        held = drain(phone, QUIET)
        assert not held, f"an inactive client got {[describe(e) for e in held]}"

        # 2. A message with a body brings them, in order, before it; r1 was replaced by r2.
        romeo.send("<message to='juliet@localhost' type='chat' id='b1'><body>wherefore</body>"
                   "</message>")
        phone.wait_for(lambda e: e.findtext(CLIENT + "body") == "wherefore", 10)
        # wait_for took the message; what came before it is still pending, in order.
        got = [describe(e) for e in phone._pending] + ["message wherefore"]
        phone._pending.clear()
        assert got == ["presence nurse n1", "chatstate romeo", "presence romeo r2",
                       "message wherefore"], got

        # 3. Still inactive: an IQ to the client flushes too.
        nurse.send("<presence><status>n2</status></presence>")
        assert nurse.ping(10)
        assert not drain(phone, QUIET), "held again after the flush"
        romeo.send("<iq type='get' to='juliet@localhost/phone' id='v1'>"
                   "<query xmlns='jabber:iq:version'/></iq>")
        iq = phone.wait_for(lambda e: e.tag == CLIENT + "iq" and e.get("id") == "v1", 10)
        got = [describe(e) for e in phone._pending]
        phone._pending.clear()
        assert got == ["presence nurse n2"], f"before the IQ: {got}"
        assert iq is not None
        phone.send("<iq type='result' to='romeo@localhost/laptop' id='v1'/>")

        # 4. <active/> sends what waits and stops holding.
        romeo.send("<presence><status>r3</status></presence>")
        assert romeo.ping(10)
        assert not drain(phone, QUIET)
        phone.send(f"<active xmlns='{CSI}'/>")
        got = [describe(e) for e in drain(phone, QUIET)]
        assert got == ["presence romeo r3"], got
        nurse.send("<presence><status>n3</status></presence>")
        p = phone.wait_for(lambda e: e.tag == CLIENT + "presence", 10)
        assert describe(p) == "presence nurse n3"

        # 5. An unknown CSI element is a stream error; the others go on.
        bad = server.raw_login("juliet", USERS["juliet"], resource="bad", tls=False)
        bad.send(f"<sleepy xmlns='{CSI}'/>")
        assert bad.wait_stream_error(10) == "unsupported-stanza-type"
        assert phone.ping(10) and romeo.ping(10)
    print("OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
