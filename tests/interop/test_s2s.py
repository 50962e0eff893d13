#!/usr/bin/python3
"""Federation between two chorusd (RFC 6120 §13, XEP-0220 dialback over STARTTLS).

a.localhost and b.localhost run on 127.0.0.1 with static routes to each other and
self-signed certificates (s2s.require_valid_certs off). alice has two IM-NG devices on A,
bob a legacy client on B. Subscriptions and presence cross both ways, chats go both ways
(ROUTING.md R1 and R5 for bob's, O1 for alice's: reflected to both of her devices and
archived once), IQs cross the link both ways. A opens the only connection: with XEP-0288
(bidi, on by default) B's stanzas come back over it, and B's dialback check of A's key goes
over a verification link that closes once answered, so each side lists one link, bidi. A
message from B while A is down comes back as an error.
"""
import asyncio
import json
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

import harness

MESSAGE = "{jabber:client}message"
SID = "{urn:xmpp:sid:0}stanza-id"
IMNG = "urn:xmpp:im-ng:0"
ALICE, BOB = "alice@a.localhost", "bob@b.localhost"


PRESENCE = "{jabber:client}presence"


class Watch:
    """What one client receives from now on: a match already received, or the next one."""

    def __init__(self, client):
        self.client = client
        self.start = len(client.received)

    async def expect(self, predicate, timeout=10):
        found = [x for x in self.client.received[self.start:] if predicate(x)]
        if found:
            return found[0]
        try:
            return await self.client.wait_for(predicate, timeout=timeout)
        except TimeoutError:
            got = "\n  ".join(ET.tostring(x, encoding="unicode")[:200]
                              for x in self.client.received[self.start:])
            raise AssertionError(f"{self.client.boundjid} did not get {predicate.what}; "
                                 f"it got:\n  {got}") from None


def presence(frm, type_=""):
    def match(x):
        if x.tag != PRESENCE or (x.get("type") or "") != type_:
            return False
        return x.get("from") == frm or ("/" not in frm and x.get("from", "").split("/")[0] == frm)
    match.what = f"presence {type_ or 'available'} from {frm}"
    return match


def send(client, to, type_):
    client.send_presence(pto=to, ptype=type_)


async def roster_get(client):
    iq = client.make_iq_get()
    iq.append(ET.Element("{jabber:iq:roster}query"))
    return (await iq.send(timeout=10)).xml


def body_of(x):
    b = x.find("{jabber:client}body")
    return b.text if b is not None else None


def message(body):
    def match(x):
        return x.tag == MESSAGE and body_of(x) == body
    match.what = f"message '{body}'"
    return match


async def enable_imng(client):
    iq = client.make_iq_set()
    iq.append(ET.Element("{%s}enable" % IMNG))
    await iq.send(timeout=5)


async def device(server, jid, password):
    c = await server.client(jid, password, presence=False)
    c.auto_authorize = None
    c.auto_subscribe = False
    await roster_get(c)
    c.send_presence()
    await c.barrier()
    return c


def s2s_links(server):
    """GET /admin/s2s (what `chorusctl s2s` prints): the server's federation links."""
    url = f"http://127.0.0.1:{server.http_port}/admin/s2s"
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["links"]


async def links_when(server, want, timeout=5):
    """The listing once want(links) holds (a verification link closes just after use)."""
    deadline = time.monotonic() + timeout
    while True:
        links = s2s_links(server)
        if want(links) or time.monotonic() > deadline:
            return links
        await asyncio.sleep(0.05)


def rows(links):
    return [(x["direction"], x["local"], x["remote"], x["authenticated"], x["bidi"])
            for x in links]


async def main():
    a_port, b_port = harness.free_port(), harness.free_port()

    def config(port, other, other_port):
        return {"s2s.port": port, "s2s.require_valid_certs": False,
                "s2s.connect_timeout": 5,
                "s2s.routes": [f"{other}=127.0.0.1:{other_port}"]}

    a = harness.Server(users={"alice": "pw-a"}, domain="a.localhost",
                       config=config(a_port, "b.localhost", b_port))
    b = harness.Server(users={"bob": "pw-b"}, domain="b.localhost",
                       config=config(b_port, "a.localhost", a_port))
    with a, b:
        phone = await device(a, f"{ALICE}/phone", "pw-a")
        laptop = await device(a, f"{ALICE}/laptop", "pw-a")
        await enable_imng(phone)
        await enable_imng(laptop)
        bob = await device(b, f"{BOB}/pc", "pw-b")

        # RFC 6121 §3 across the link, both ways, then presence both ways.
        p, l, w = Watch(phone), Watch(laptop), Watch(bob)
        send(phone, BOB, "subscribe")
        await w.expect(presence(ALICE, "subscribe"), timeout=15)
        send(bob, ALICE, "subscribed")
        await p.expect(presence(BOB, "subscribed"))
        await p.expect(presence(f"{BOB}/pc"))   # §3.1.5: bob's presence follows at once
        await l.expect(presence(f"{BOB}/pc"))
        send(bob, ALICE, "subscribe")
        await p.expect(presence(BOB, "subscribe"))
        send(phone, BOB, "subscribed")
        await w.expect(presence(ALICE, "subscribed"))
        await w.expect(presence(f"{ALICE}/phone"))
        await w.expect(presence(f"{ALICE}/laptop"))

        # bob (remote, legacy) to alice's bare JID: ROUTING.md R1, both IM-NG devices.
        p, l = Watch(phone), Watch(laptop)
        bob.send_message(mto=ALICE, mbody="r1 from b", mtype="chat")
        r1 = [await p.expect(message("r1 from b")), await l.expect(message("r1 from b"))]
        ids = {x.find(SID).get("id") for x in r1 if x.find(SID) is not None}
        assert len(ids) == 1 and all(x.find(SID) is not None for x in r1), ids

        # bob to alice's full JID: R5, routed as if to the bare JID ('to' stripped).
        p, l = Watch(phone), Watch(laptop)
        bob.send_message(mto=f"{ALICE}/phone", mbody="r5 from b", mtype="chat")
        r5 = [await p.expect(message("r5 from b")), await l.expect(message("r5 from b"))]
        assert all(x.get("to") == ALICE for x in r5), [x.get("to") for x in r5]

        # alice's IM-NG phone to bob's bare JID: O1, delivered over the link, reflected to
        # both devices (the sender included) with the archive's stanza-id.
        p, l, w = Watch(phone), Watch(laptop), Watch(bob)
        phone.send_message(mto=BOB, mbody="o1 from a", mtype="chat")
        got = await w.expect(message("o1 from a"))
        assert got.get("from") == f"{ALICE}/phone", got.attrib
        refl = [await p.expect(message("o1 from a")), await l.expect(message("o1 from a"))]
        assert all(x.find(SID) is not None for x in refl), "reflections carry the stanza-id"

        # MAM on A holds each conversation message once.
        bodies = []
        async for m in phone["xep_0313"].iterate(rsm={"max": 20}):
            bodies.append(m["mam_result"]["forwarded"]["stanza"]["body"])
        assert bodies == ["r1 from b", "r5 from b", "o1 from a"], bodies

        # IQs across the link: a ping and disco#info of the remote server (XEP-0199,
        # XEP-0030), and a ping from bob to alice's phone, answered by her client.
        ping = phone.make_iq_get(ito="b.localhost")
        ping.append(ET.Element("{urn:xmpp:ping}ping"))
        assert (await ping.send(timeout=10))["type"] == "result"
        info = await phone["xep_0030"].get_info("b.localhost", timeout=10)
        assert "urn:xmpp:ping" in info["disco_info"]["features"], info
        ping = bob.make_iq_get(ito=f"{ALICE}/phone")
        ping.append(ET.Element("{urn:xmpp:ping}ping"))
        assert (await ping.send(timeout=10))["type"] == "result"

        # XEP-0288: A's link carried everything both ways; B never opened one for stanzas.
        want_a = [("out", "a.localhost", "b.localhost", True, True)]
        want_b = [("in", "b.localhost", "a.localhost", True, True)]
        assert rows(await links_when(a, lambda x: rows(x) == want_a)) == want_a, s2s_links(a)
        assert rows(await links_when(b, lambda x: rows(x) == want_b)) == want_b, s2s_links(b)

        # A goes away: the bidi stream closes, B's new link cannot connect, bob's message
        # bounces.
        await phone.close()
        await laptop.close()
        a.stop()
        await links_when(b, lambda x: not x)
        w = Watch(bob)
        bob.send_message(mto=ALICE, mbody="into the void", mtype="chat")

        def bounced(x):
            return (x.tag == MESSAGE and x.get("type") == "error"
                    and harness.stanza_error(x) in ("remote-server-not-found",
                                                    "remote-server-timeout"))
        bounced.what = "an error for the message to the stopped server"
        await w.expect(bounced, timeout=15)
        assert b.alive()
    return 0


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 60)))
