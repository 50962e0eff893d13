#!/usr/bin/python3
"""This round's features with users on another server (issue 17, part 6), between two chorusd.

a.localhost holds alice (two IM-NG devices); b.localhost holds bob, whose client's caps
(XEP-0115) ask for mood notifications (+notify), and carol, a stranger to alice. Checked
across the s2s link:
- PEP (XEP-0163): alice's last mood reaches bob once his presence (with caps) arrives, a new
  one is pushed to him; bob can read alice's node, carol (no subscription) cannot;
- offline messages (XEP-0160): bob's chat while alice is away is kept and handed to her
  first device back, once;
- the archive (XEP-0313): each message that came over the link is in alice's archive once;
- disco#info and disco#items of a remote account, and a ping to a remote client (XEP-0030,
  XEP-0199), both ways;
- MUC (XEP-0045): bob joins a room on conference.a.localhost and chats in it both ways.
"""
import asyncio
import sys
import xml.etree.ElementTree as ET

import harness
from slixmpp.exceptions import IqError
from test_s2s import Watch, body_of, enable_imng, message, presence, roster_get, send

ALICE, BOB, CAROL = "alice@a.localhost", "bob@b.localhost", "carol@b.localhost"
MOOD = "http://jabber.org/protocol/mood"
EVENT = "http://jabber.org/protocol/pubsub#event"
PUBSUB = "http://jabber.org/protocol/pubsub"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
MUC_OWNER = "http://jabber.org/protocol/muc#owner"
ROOM = "tea@conference.a.localhost"
DELAY = "{urn:xmpp:delay}delay"
PLUGINS = ("xep_0030", "xep_0004", "xep_0059", "xep_0060", "xep_0115", "xep_0163", "xep_0199",
           "xep_0297", "xep_0313")


def mood_event(value):
    def match(x):
        if x.tag != "{jabber:client}message" or x.get("from") != ALICE:
            return False
        item = x.find(f"{{{EVENT}}}event/{{{EVENT}}}items[@node='{MOOD}']/{{{EVENT}}}item")
        return item is not None and item.find(f"{{{MOOD}}}mood/{{{MOOD}}}{value}") is not None
    match.what = f"alice's mood event '{value}'"
    return match


def mood(value):
    m = ET.Element(f"{{{MOOD}}}mood")
    ET.SubElement(m, f"{{{MOOD}}}{value}")
    return m


async def login(server, jid, password, interests=()):
    """A client whose presence goes out after its roster and caps are set, answering no
    subscription request by itself."""
    c = harness.Client(jid, password, plugins=PLUGINS)
    server._clients.append(c)
    for node in interests:
        c["xep_0163"].add_interest(node)
    c.auto_authorize = None
    c.auto_subscribe = False
    await harness.login(c, server.c2s_port, presence=False)
    await roster_get(c)
    await c["xep_0115"].update_caps(broadcast=False)
    c.send_presence()
    await c.barrier()
    return c


async def archived(client, body):
    n = 0
    async for m in client["xep_0313"].iterate(rsm={"max": 50}):
        if m["mam_result"]["forwarded"]["stanza"]["body"] == body:
            n += 1
    return n


async def main():
    a_port, b_port = harness.free_port(), harness.free_port()

    def config(port, other, other_port):
        return {"s2s.port": port, "s2s.require_valid_certs": False, "s2s.connect_timeout": 10,
                "s2s.routes": [f"{other}=127.0.0.1:{other_port}",
                               f"conference.{other}=127.0.0.1:{other_port}"]}

    a = harness.Server(users={"alice": "pw-a"}, domain="a.localhost",
                       config=config(a_port, "b.localhost", b_port))
    b = harness.Server(users={"bob": "pw-b", "carol": "pw-c"}, domain="b.localhost",
                       config=config(b_port, "a.localhost", a_port))
    async with a, b:
        phone = await login(a, f"{ALICE}/phone", "pw-a")
        laptop = await login(a, f"{ALICE}/laptop", "pw-a")
        await enable_imng(phone)
        await enable_imng(laptop)
        # A mood published before bob is a contact: he gets it when his presence arrives.
        await phone["xep_0060"].publish(ALICE, MOOD, id="current", payload=mood("happy"))

        bob = await login(b, f"{BOB}/pc", "pw-b", interests=[MOOD])
        # bob asks first, so his presence (with caps) reaches alice once he may see her PEP
        # (the last item is sent on a contact's presence, XEP-0163 §4.3.2).
        w, p = Watch(bob), Watch(phone)
        send(bob, ALICE, "subscribe")
        await p.expect(presence(BOB, "subscribe"), timeout=15)
        send(phone, BOB, "subscribed")
        await w.expect(presence(f"{ALICE}/phone"))
        send(phone, BOB, "subscribe")
        await w.expect(presence(ALICE, "subscribe"))
        send(bob, ALICE, "subscribed")
        await p.expect(presence(f"{BOB}/pc"))

        # PEP across the link: A asks bob's client for its caps over s2s, then sends the last
        # item; a new item is pushed; bob reads the node; carol may not.
        await w.expect(mood_event("happy"))
        w = Watch(bob)
        await phone["xep_0060"].publish(ALICE, MOOD, id="current", payload=mood("curious"))
        await w.expect(mood_event("curious"))
        items = await bob["xep_0060"].get_items(ALICE, MOOD, timeout=10)
        assert items.xml.find(f".//{{{MOOD}}}curious") is not None, items
        carol = await login(b, f"{CAROL}/pc", "pw-c")
        try:
            await carol["xep_0060"].get_items(ALICE, MOOD, timeout=10)
            raise AssertionError("a stranger on another server read alice's mood")
        except IqError as e:
            assert e.condition in ("forbidden", "not-authorized", "item-not-found"), e.condition

        # Disco and ping of remote entities, both ways (XEP-0030, XEP-0199).
        info = await bob["xep_0030"].get_info(ALICE, timeout=10)
        identities = [(i[0], i[1]) for i in info["disco_info"]["identities"]]
        assert ("account", "registered") in identities or ("pubsub", "pep") in identities, info
        nodes = await bob["xep_0030"].get_items(ALICE, timeout=10)
        assert MOOD in [i[1] for i in nodes["disco_items"]["items"]], nodes
        info = await phone["xep_0030"].get_info(f"{BOB}/pc", timeout=10)
        assert f"{MOOD}+notify" in info["disco_info"]["features"], info
        assert (await phone["xep_0199"].ping(f"{BOB}/pc", timeout=10)) is not None
        assert (await bob["xep_0199"].ping("a.localhost", timeout=10)) is not None

        # bob's chat while alice is away: kept offline, given to her first device back, once.
        w = Watch(bob)
        await phone.close()
        await laptop.close()
        await w.expect(presence(f"{ALICE}/laptop", "unavailable"))
        bob.send_message(mto=ALICE, mbody="while you were away", mtype="chat")
        bob.send_message(mto=f"{ALICE}/phone", mbody="to the phone, away", mtype="chat")
        # answered by a.localhost on alice's behalf once both messages came in
        await bob["xep_0030"].get_info(ALICE, timeout=10)
        assert not [x for x in bob.received[w.start:] if x.get("type") == "error"], \
            "storing offline must not bounce"
        phone = await login(a, f"{ALICE}/phone", "pw-a")
        p = Watch(phone)
        p.start = 0  # they come right after her initial presence, within login()
        for body in ("while you were away", "to the phone, away"):
            got = await p.expect(message(body))
            assert got.find(DELAY) is not None, f"offline '{body}' carries no delay"
        await enable_imng(phone)
        laptop = await login(a, f"{ALICE}/laptop", "pw-a")
        await laptop.barrier()
        again = [x for x in laptop.received if x.tag == "{jabber:client}message"
                 and body_of(x) in ("while you were away", "to the phone, away")]
        assert not again, "offline messages handed out twice"

        # The archive holds each message from the link once.
        for body in ("while you were away", "to the phone, away"):
            assert await archived(phone, body) == 1, body
        p, l, w = Watch(phone), Watch(laptop), Watch(bob)
        await enable_imng(laptop)
        bob.send_message(mto=f"{ALICE}/laptop", mbody="back online", mtype="chat")
        await p.expect(message("back online"))
        await l.expect(message("back online"))
        assert await archived(laptop, "back online") == 1

        await group_chat(phone, bob)
    return 0


async def group_chat(phone, bob):
    """XEP-0045 with an occupant from the other server: conference.a.localhost links to
    b.localhost under its own domain (dialback for that pair)."""
    def self_presence(nick):
        def match(x):
            codes = {s.get("code") for s in x.iter(f"{{{MUC_USER}}}status")}
            return (x.tag == "{jabber:client}presence" and x.get("from") == f"{ROOM}/{nick}"
                    and ("110" in codes or x.get("type") == "error"))
        match.what = f"the self-presence of {nick} in {ROOM}"
        return match

    p = Watch(phone)
    phone.send_raw(f"<presence to='{ROOM}/Alice'><x xmlns='{MUC}'/></presence>")
    assert (await p.expect(self_presence("Alice"))).get("type") is None
    form = ET.Element(f"{{{MUC_OWNER}}}query")
    ET.SubElement(form, "{jabber:x:data}x", type="submit")  # an instant room
    iq = phone.make_iq_set(ito=ROOM)
    iq.append(form)
    await iq.send(timeout=10)

    w, p = Watch(bob), Watch(phone)
    bob.send_raw(f"<presence to='{ROOM}/Bob'><x xmlns='{MUC}'/></presence>")
    joined = await w.expect(self_presence("Bob"), timeout=15)
    assert joined.get("type") is None, ET.tostring(joined)
    await p.expect(presence(f"{ROOM}/Bob"))
    bob.send_message(mto=ROOM, mbody="hello from b", mtype="groupchat")
    got = await p.expect(message("hello from b"))
    assert got.get("from") == f"{ROOM}/Bob" and got.get("type") == "groupchat", got.attrib
    await w.expect(message("hello from b"))  # the room's echo to its sender
    phone.send_message(mto=ROOM, mbody="hello from a", mtype="groupchat")
    got = await w.expect(message("hello from a"))
    assert got.get("from") == f"{ROOM}/Alice", got.attrib


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 60)))
