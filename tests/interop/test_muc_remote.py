#!/usr/bin/python3
"""A remote occupant: bob of b.localhost in a room of conference.a.localhost (XEP-0045 over
RFC 6120 §13 federation, dialback, static routes as in test_s2s.py).

alice (A) creates an instant room and writes into it; bob (B, slixmpp's xep_0045) joins
over s2s, gets the history and the subject, then live group chat messages; his own message
reaches alice with the room's stanza-id; private messages cross both ways; on leaving,
alice sees him go. Then A stops: bob gets status 332 from the room before A's link closes.
"""
import asyncio
import sys
import xml.etree.ElementTree as ET

import harness

MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
ROOM = "tea@conference.a.localhost"
MESSAGE, PRESENCE = "{jabber:client}message", "{jabber:client}presence"
SID = "{urn:xmpp:sid:0}stanza-id"
PLUGINS = harness.DEFAULT_PLUGINS + ("xep_0045", "xep_0004")


def body(x):
    b = x.find("{jabber:client}body")
    return b.text if b is not None else None


def codes(x):
    return {s.get("code") for s in x.findall(f"{{{MUC_USER}}}x/{{{MUC_USER}}}status")}


def msg(text):
    return lambda x: x.tag == MESSAGE and body(x) == text


def self_presence(nick, type_=None):
    def match(x):
        return (x.tag == PRESENCE and x.get("from") == f"{ROOM}/{nick}" and
                x.get("type") == type_ and "110" in codes(x))
    return match


async def client(server, jid):
    c = harness.Client(jid, "pw", plugins=PLUGINS)
    return await harness.login(c, server.c2s_port)


async def main():
    a_port, b_port = harness.free_port(), harness.free_port()

    def config(port, routes):
        return {"s2s.port": port, "s2s.require_valid_certs": False, "s2s.connect_timeout": 5,
                "s2s.routes": routes}

    # B reaches A's MUC domain at A's s2s port: a room is a domain of its own.
    a = harness.Server(users={"alice": "pw"}, domain="a.localhost",
                       config=config(a_port, [f"b.localhost=127.0.0.1:{b_port}"]))
    b = harness.Server(users={"bob": "pw"}, domain="b.localhost",
                       config=config(b_port, [f"a.localhost=127.0.0.1:{a_port}",
                                              f"conference.a.localhost=127.0.0.1:{a_port}"]))
    with a, b:
        alice = await client(a, "alice@a.localhost/pc")
        bob = await client(b, "bob@b.localhost/pc")

        # alice makes an instant room (groupchat 1.0 join) and writes into it.
        w = asyncio.ensure_future(alice.wait_for(self_presence("Alice"), timeout=10))
        alice.send_raw(f"<presence to='{ROOM}/Alice'/>")
        await w
        w = asyncio.ensure_future(alice.wait_for(msg("before bob"), timeout=10))
        alice.send_message(mto=ROOM, mbody="before bob", mtype="groupchat")
        await w

        # bob joins over federation: occupants, self-presence, history, subject.
        pres, subject, occupants, history = await bob["xep_0045"].join_muc_wait(
            ROOM, "Bob", maxstanzas=5, timeout=15)
        assert "110" in codes(pres.xml), ET.tostring(pres.xml)
        assert [h["body"] for h in history] == ["before bob"], [h["body"] for h in history]
        assert "Alice" in [o["muc"]["nick"] for o in occupants], occupants

        # Live group chat both ways, each with the room's stanza-id.
        w = asyncio.ensure_future(bob.wait_for(msg("hello bob"), timeout=10))
        alice.send_message(mto=ROOM, mbody="hello bob", mtype="groupchat")
        got = await w
        assert got.get("from") == f"{ROOM}/Alice", got.attrib
        assert got.find(SID) is not None and got.find(SID).get("by") == ROOM
        wa = asyncio.ensure_future(alice.wait_for(msg("hello alice"), timeout=10))
        wb = asyncio.ensure_future(bob.wait_for(msg("hello alice"), timeout=10))
        bob.send_message(mto=ROOM, mbody="hello alice", mtype="groupchat")
        got = await wa
        assert got.get("from") == f"{ROOM}/Bob", got.attrib
        await wb  # his own message comes back to him

        # Private messages through the room, both ways.
        w = asyncio.ensure_future(bob.wait_for(msg("pm to bob"), timeout=10))
        alice.send_message(mto=f"{ROOM}/Bob", mbody="pm to bob", mtype="chat")
        got = await w
        assert got.get("from") == f"{ROOM}/Alice", got.attrib
        assert got.find(f"{{{MUC_USER}}}x") is not None
        w = asyncio.ensure_future(alice.wait_for(msg("pm to alice"), timeout=10))
        bob.send_message(mto=f"{ROOM}/Alice", mbody="pm to alice", mtype="chat")
        assert (await w).get("from") == f"{ROOM}/Bob"

        # bob leaves and comes back; then A stops: the room says goodbye with 332.
        w = asyncio.ensure_future(alice.wait_for(
            lambda x: x.tag == PRESENCE and x.get("from") == f"{ROOM}/Bob" and
            x.get("type") == "unavailable", timeout=10))
        bob.send_raw(f"<presence to='{ROOM}/Bob' type='unavailable'/>")
        await w
        w = asyncio.ensure_future(bob.wait_for(self_presence("Bob"), timeout=10))
        bob.send_raw(f"<presence to='{ROOM}/Bob'><x xmlns='{MUC}'><history maxstanzas='0'/>"
                     "</x></presence>")
        await w
        w = asyncio.ensure_future(bob.wait_for(
            lambda x: self_presence("Bob", "unavailable")(x) and "332" in codes(x), timeout=10))
        a.stop()
        await w
        assert b.alive()
    return 0


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 45)))
