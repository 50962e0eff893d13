#!/usr/bin/python3
"""RFC 6121 roster (§2), presence subscriptions (§3) and presence (§4) with real slixmpp
clients: juliet (balcony, then laptop), romeo (orchard), benvolio (offline at first) and
mercutio, each with slixmpp's automatic subscription answers turned off so every step is
the test's own. Each step waits for the stanzas it expects (never for time) and checks what
must not arrive after a ping barrier.
"""
import asyncio
import sys
import xml.etree.ElementTree as ET

import harness

ROSTER = "jabber:iq:roster"
PRESENCE = "{jabber:client}presence"
IQ = "{jabber:client}iq"
QUERY = "{%s}query" % ROSTER
USERS = {"juliet": "pw-j", "romeo": "pw-r", "benvolio": "pw-b", "mercutio": "pw-m"}


def bare(jid):
    return (jid or "").split("/")[0]


def presence(frm, type_=""):
    """A predicate: presence from `frm` (a full JID, or a bare JID matching any resource)
    of this type ('' for available)."""
    def match(x):
        if x.tag != PRESENCE or (x.get("type") or "") != type_:
            return False
        return x.get("from") == frm or ("/" not in frm and bare(x.get("from")) == frm)
    match.what = f"presence {type_ or 'available'} from {frm}"
    return match


def push(jid, subscription, ask=None, approved=None):
    """A predicate: a roster push of `jid` with this subscription (and ask/approved)."""
    def match(x):
        if x.tag != IQ or x.get("type") != "set":
            return False
        item = x.find(f"{QUERY}/{{{ROSTER}}}item")
        return (item is not None and item.get("jid") == jid
                and item.get("subscription") == subscription and item.get("ask") == ask
                and item.get("approved") == approved)
    match.what = f"roster push {jid} subscription={subscription} ask={ask} approved={approved}"
    return match


class Watch:
    """What one client receives from now on: expect() finds a matching stanza among those
    already received since the watch began, or waits for the next one (bounded)."""

    def __init__(self, client):
        self.client = client
        self.start = len(client.received)

    def seen(self, predicate):
        return [x for x in self.client.received[self.start:] if predicate(x)]

    async def expect(self, predicate, timeout=10):
        found = self.seen(predicate)
        if found:
            return found[0]
        try:
            return await self.client.wait_for(predicate, timeout=timeout)
        except TimeoutError:
            got = "\n  ".join(ET.tostring(x, encoding="unicode")[:200]
                              for x in self.client.received[self.start:])
            raise AssertionError(f"{self.client.boundjid} did not get {predicate.what}; "
                                 f"it got:\n  {got}") from None

    def refuse(self, predicate):
        found = self.seen(predicate)
        what = getattr(predicate, "what", "an unexpected stanza")
        assert not found, (f"{self.client.boundjid} got {what}: "
                           f"{ET.tostring(found[0], encoding='unicode')}")


async def settle(*clients):
    """Every stanza sent before is handled and delivered: a ping per client, in order."""
    for c in clients:
        await c.barrier()


async def roster_get(client, ver=None):
    iq = client.make_iq_get()
    query = ET.Element(QUERY)
    if ver is not None:
        query.set("ver", ver)
    iq.append(query)
    return (await iq.send(timeout=10)).xml


async def roster_set(client, jid, name=None, groups=()):
    iq = client.make_iq_set()
    query = ET.Element(QUERY)
    item = ET.SubElement(query, f"{{{ROSTER}}}item", {"jid": jid})
    if name:
        item.set("name", name)
    for g in groups:
        ET.SubElement(item, f"{{{ROSTER}}}group").text = g
    iq.append(query)
    return (await iq.send(timeout=10)).xml


async def device(server, jid, password, priority=None, available=True):
    """A logged-in client that asked for the roster (so it gets pushes) before sending
    initial presence, answering no subscription request on its own."""
    c = await server.client(jid, password, presence=False)
    c.auto_authorize = None  # the test answers every request itself
    c.auto_subscribe = False
    await roster_get(c)
    if available:
        c.send_presence(ppriority=priority)
        await c.barrier()
    return c


def send(client, to, type_):
    client.send_presence(pto=to, ptype=type_)


async def main():
    async with harness.Server(users=USERS) as server:
        juliet = await device(server, "juliet@localhost/balcony", USERS["juliet"])
        romeo = await device(server, "romeo@localhost/orchard", USERS["romeo"])

        # The stream features announce roster versioning and pre-approval (§2.6.1, §3.4).
        assert "rosterver" in juliet.features, juliet.features
        assert "preapproval" in juliet.features, juliet.features

        # --- Two users add each other (§2.3, §3.1) ----------------------------------------
        j, r = Watch(juliet), Watch(romeo)
        await roster_set(juliet, "romeo@localhost", name="Romeo", groups=["Montagues"])
        await j.expect(push("romeo@localhost", "none"))
        send(juliet, "romeo@localhost", "subscribe")
        await j.expect(push("romeo@localhost", "none", ask="subscribe"))
        await r.expect(presence("juliet@localhost", "subscribe"))
        r.refuse(lambda x: x.tag == IQ and x.get("type") == "set")  # a request is no item

        j, r = Watch(juliet), Watch(romeo)
        send(romeo, "juliet@localhost", "subscribed")
        await r.expect(push("juliet@localhost", "from"))
        await j.expect(push("romeo@localhost", "to"))
        await j.expect(presence("romeo@localhost", "subscribed"))
        await j.expect(presence("romeo@localhost/orchard"))  # §3.1.5: presence at once

        j, r = Watch(juliet), Watch(romeo)
        send(romeo, "juliet@localhost", "subscribe")
        await j.expect(presence("romeo@localhost", "subscribe"))
        send(juliet, "romeo@localhost", "subscribed")
        await j.expect(push("romeo@localhost", "both"))
        await r.expect(push("juliet@localhost", "both"))
        await r.expect(presence("juliet@localhost/balcony"))

        j, r = Watch(juliet), Watch(romeo)
        juliet.send_presence(pshow="away", pstatus="on the balcony")
        romeo.send_presence(pshow="chat")
        seen = await r.expect(presence("juliet@localhost/balcony"))
        assert seen.findtext("{jabber:client}show") == "away", ET.tostring(seen)
        seen = await j.expect(presence("romeo@localhost/orchard"))
        assert seen.findtext("{jabber:client}show") == "chat", ET.tostring(seen)
        roster = await roster_get(juliet)
        items = {i.get("jid"): i for i in roster.iter(f"{{{ROSTER}}}item")}
        assert items["romeo@localhost"].get("subscription") == "both", ET.tostring(roster)
        assert items["romeo@localhost"].get("name") == "Romeo"
        assert items["romeo@localhost"].findtext(f"{{{ROSTER}}}group") == "Montagues"
        print("ok: mutual subscription, pushes and presence both ways")

        # --- A second resource (§4.2.2, §4.3) with a negative priority (§4.7.2.3) ---------
        j, r = Watch(juliet), Watch(romeo)
        laptop = await server.client("juliet@localhost/laptop", USERS["juliet"],
                                     presence=False)
        lw = Watch(laptop)
        laptop.send_presence(ppriority=-1)
        await lw.expect(presence("juliet@localhost/balcony"))  # the own other resource
        await lw.expect(presence("romeo@localhost/orchard"))   # answer to its probe
        await j.expect(presence("juliet@localhost/laptop"))
        await r.expect(presence("juliet@localhost/laptop"))
        lw = Watch(laptop)
        romeo.send_presence(pstatus="still here")
        await lw.expect(presence("romeo@localhost/orchard"))  # presence reaches priority -1
        await settle(romeo, juliet)
        j.refuse(lambda x: x.tag == PRESENCE and x.get("type") == "probe")
        r.refuse(lambda x: x.tag == PRESENCE and x.get("type") == "probe")
        print("ok: second resource sees and is seen, probes answered and never delivered")

        # --- A dropped TCP connection means unavailable (§4.5.2) ------------------------
        j, r = Watch(juliet), Watch(romeo)
        laptop.transport.abort()  # no </stream:stream>, no unavailable presence
        await r.expect(presence("juliet@localhost/laptop", "unavailable"))
        await j.expect(presence("juliet@localhost/laptop", "unavailable"))
        print("ok: dropped connection announced unavailable to contacts and own resources")

        # --- A request to an offline user arrives at its next login (§3.1.3) --------------
        j = Watch(juliet)
        send(juliet, "benvolio@localhost", "subscribe")
        await j.expect(push("benvolio@localhost", "none", ask="subscribe"))
        await settle(juliet)
        benvolio = await server.client("benvolio@localhost/street", USERS["benvolio"],
                                       presence=False)
        benvolio.auto_authorize = None
        b = Watch(benvolio)
        benvolio.send_presence()
        await b.expect(presence("juliet@localhost", "subscribe"))
        j = Watch(juliet)
        send(benvolio, "juliet@localhost", "unsubscribed")  # denied
        await j.expect(presence("benvolio@localhost", "unsubscribed"))
        await j.expect(push("benvolio@localhost", "none"))
        print("ok: request stored while offline, delivered at login, denial seen")

        # --- Pre-approval (§3.4) -----------------------------------------------------------
        mercutio = await device(server, "mercutio@localhost/square", USERS["mercutio"])
        m, j = Watch(mercutio), Watch(juliet)
        send(mercutio, "juliet@localhost", "subscribed")  # before any request
        await m.expect(push("juliet@localhost", "none", approved="true"))
        await settle(mercutio, juliet)
        j.refuse(lambda x: x.tag == PRESENCE and bare(x.get("from")) == "mercutio@localhost")
        m, j = Watch(mercutio), Watch(juliet)
        send(juliet, "mercutio@localhost", "subscribe")
        await j.expect(presence("mercutio@localhost", "subscribed"))
        await j.expect(presence("mercutio@localhost/square"))
        await j.expect(push("mercutio@localhost", "to"))
        await m.expect(push("juliet@localhost", "from"))
        await settle(juliet, mercutio)
        m.refuse(presence("juliet@localhost", "subscribe"))  # approved by the server
        print("ok: pre-approved request approved by the server, never shown to mercutio")

        # --- Unsubscribe (§3.3): presence stops, both rosters updated ---------------------
        j, r = Watch(juliet), Watch(romeo)
        send(juliet, "romeo@localhost", "unsubscribe")
        await j.expect(push("romeo@localhost", "from"))
        await r.expect(push("juliet@localhost", "to"))
        await r.expect(presence("juliet@localhost", "unsubscribe"))
        await j.expect(presence("romeo@localhost/orchard", "unavailable"))  # §3.3.3
        j = Watch(juliet)
        romeo.send_presence(pshow="xa")
        await settle(romeo, juliet)
        j.refuse(presence("romeo@localhost/orchard"))
        r = Watch(romeo)
        juliet.send_presence(pshow="dnd")  # romeo still has 'to': he still sees juliet
        await r.expect(presence("juliet@localhost/balcony"))
        print("ok: unsubscribe stops presence one way and updates both rosters")

        # --- Roster versioning (§2.6) ------------------------------------------------------
        full = await roster_get(juliet, ver="")
        query = full.find(QUERY)
        assert query is not None and query.get("ver"), ET.tostring(full)
        ver = query.get("ver")
        again = await roster_get(juliet, ver=ver)
        assert again.get("type") == "result" and len(again) == 0, ET.tostring(again)
        j = Watch(juliet)
        await roster_set(juliet, "nurse@localhost", name="Nurse")
        pushed = await j.expect(push("nurse@localhost", "none"))
        new_ver = pushed.find(QUERY).get("ver")
        assert new_ver and new_ver != ver, (ver, new_ver)
        stale = await roster_get(juliet, ver=ver)
        jids = {i.get("jid") for i in stale.iter(f"{{{ROSTER}}}item")}
        assert stale.find(QUERY).get("ver") == new_ver and "nurse@localhost" in jids, jids
        current = await roster_get(juliet, ver=new_ver)
        assert len(current) == 0, ET.tostring(current)
        print("ok: roster versioning: current version empty, stale version full roster")

        assert server.alive(), "chorusd died"


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 240)))
