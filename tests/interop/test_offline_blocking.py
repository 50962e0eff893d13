#!/usr/bin/python3
"""XEP-0160 offline messages, XEP-0191 blocking, XEP-0054 vCards and XEP-0012 last activity
on the wire, with real slixmpp clients.

juliet/balcony logs in and out; romeo/orchard writes to her while she is away; tybalt/street
is her mutual contact whom she blocks and unblocks. Every wait is for a stanza (a ping
barrier or a matching stanza) with a timeout; nothing sleeps a fixed time.
"""
import asyncio
import sys
import xml.etree.ElementTree as ET

import harness

C = "{jabber:client}"
DELAY = "urn:xmpp:delay"
BLOCKING = "urn:xmpp:blocking"
BLOCKING_ERRORS = "urn:xmpp:blocking:errors"
VCARD = "vcard-temp"
LAST = "jabber:iq:last"
DOMAIN = "localhost"
TIMEOUT = 10


def body_of(xml):
    b = xml.find(C + "body")
    return b.text if b is not None else None


def messages(stanzas, body=None, type_=None):
    out = [x for x in stanzas if x.tag == C + "message"]
    if body is not None:
        out = [x for x in out if body_of(x) == body]
    if type_ is not None:
        out = [x for x in out if (x.get("type") or "normal") == type_]
    return out


def presences(stanzas, sender_bare):
    return [x for x in stanzas if x.tag == C + "presence"
            and (x.get("from") or "").split("/")[0] == sender_bare]


async def until(predicate, what, timeout=TIMEOUT):
    """Waits until predicate() holds (it looks at stanzas received so far)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(*clients):
    """Every stanza the server routed before now has reached these clients."""
    for c in clients:
        await c.barrier(timeout=TIMEOUT)
    for c in clients:
        await c.barrier(timeout=TIMEOUT)


async def iq(client, type_, payload, to=None):
    """Sends an IQ; returns (reply element, error condition or None)."""
    stanza = client.make_iq_get(ito=to) if type_ == "get" else client.make_iq_set(ito=to)
    stanza.append(payload)
    try:
        reply = await stanza.send(timeout=TIMEOUT)
        return reply.xml, None
    except harness.IqError as e:
        return e.iq.xml, e.iq["error"]["condition"]


def block_items(*jids, kind="block"):
    e = ET.Element("{%s}%s" % (BLOCKING, kind))
    for j in jids:
        ET.SubElement(e, "{%s}item" % BLOCKING, jid=j)
    return e


async def check_discovery(romeo):
    info = await romeo["xep_0030"].get_info(DOMAIN, timeout=TIMEOUT)
    features = info["disco_info"]["features"]
    for feature in ("msgoffline", BLOCKING, VCARD, LAST):
        assert feature in features, f"server disco#info lacks {feature}: {features}"
    info = await romeo["xep_0030"].get_info("romeo@localhost", timeout=TIMEOUT)
    assert BLOCKING in info["disco_info"]["features"], "account disco#info lacks blocking"


async def check_offline(server, romeo):
    """XEP-0160: stored while juliet is away, delivered once after her initial presence."""
    romeo.send_message(mto="juliet@localhost", mbody="offline one", mtype="chat")
    romeo.send_message(mto="juliet@localhost", mbody="offline two", mtype="chat")
    await settle(romeo)
    assert not messages(romeo.received, type_="error"), "storing offline must not bounce"

    balcony = await server.client("juliet@localhost/balcony", "pw1")
    await until(lambda: len(messages(balcony.received, "offline two")) == 1,
                "the offline messages at juliet/balcony")
    await settle(balcony)
    got = [body_of(m) for m in messages(balcony.received) if body_of(m).startswith("offline")]
    assert got == ["offline one", "offline two"], f"offline messages out of order: {got}"
    for m in messages(balcony.received, "offline one"):
        delay = m.find("{%s}delay" % DELAY)
        assert delay is not None, f"no XEP-0203 delay: {ET.tostring(m).decode()}"
        assert delay.get("from") == DOMAIN, f"delay from {delay.get('from')}"
        assert delay.get("stamp", "").endswith("Z"), f"stamp {delay.get('stamp')}"
        assert m.get("from") == "romeo@localhost/orchard"
    await balcony.close()

    again = await server.client("juliet@localhost/balcony", "pw1")
    await settle(romeo, again)
    stale = [body_of(m) for m in messages(again.received) if body_of(m).startswith("offline")]
    assert not stale, f"offline messages delivered twice: {stale}"
    return again


async def subscribe_mutually(juliet, tybalt):
    """tybalt asks juliet; slixmpp's defaults approve and subscribe back (RFC 6121 §3)."""
    tybalt.send_presence_subscription(pto="juliet@localhost")
    await until(lambda: presences(tybalt.received, "juliet@localhost")
                and presences(juliet.received, "tybalt@localhost"),
                "mutual presence between juliet and tybalt")
    await settle(juliet, tybalt)


async def check_blocking(server, juliet, romeo):
    tybalt = await server.client("tybalt@localhost/street", "pw3")
    await subscribe_mutually(juliet, tybalt)

    reply, err = await iq(juliet, "get", ET.Element("{%s}blocklist" % BLOCKING))
    assert err is None and len(list(reply.find("{%s}blocklist" % BLOCKING))) == 0, \
        "a fresh block list must be empty"

    # Block: a push to juliet (she asked for the list) and unavailable presence to tybalt.
    mark_j, mark_t = len(juliet.received), len(tybalt.received)
    _, err = await iq(juliet, "set", block_items("tybalt@localhost"))
    assert err is None, f"block failed: {err}"
    await settle(juliet, tybalt)
    pushes = [x for x in juliet.received[mark_j:] if x.tag == C + "iq" and x.get("type") == "set"
              and x.find("{%s}block" % BLOCKING) is not None]
    assert len(pushes) == 1, "exactly one block push to the session that read the list"
    gone = [p for p in presences(tybalt.received[mark_t:], "juliet@localhost")
            if p.get("type") == "unavailable"]
    assert gone, "tybalt must see juliet go unavailable when she blocks him"

    # Both directions of messages and presence are stopped.
    mark_j, mark_t = len(juliet.received), len(tybalt.received)
    tybalt.send_message(mto="juliet@localhost", mbody="blocked in", mtype="chat")
    juliet.send_message(mto="tybalt@localhost", mbody="blocked out", mtype="chat")
    tybalt.send_presence(pstatus="tybalt while blocked")
    juliet.send_presence(pstatus="juliet while blocked")
    await settle(juliet, tybalt)
    assert not messages(juliet.received[mark_j:], "blocked in", "chat"), \
        "a message from a blocked contact arrived"
    assert not messages(tybalt.received[mark_t:], "blocked out", "chat"), \
        "a message to a blocked contact arrived"
    assert not presences(juliet.received[mark_j:], "tybalt@localhost"), \
        "presence from a blocked contact arrived"
    assert not presences(tybalt.received[mark_t:], "juliet@localhost"), \
        "presence reached a blocked contact"
    refused = messages(juliet.received[mark_j:], "blocked out", "error")
    assert refused, "the sender to a blocked contact gets an error"
    error = refused[0].find(C + "error")
    assert harness.stanza_error(refused[0]) == "not-acceptable", ET.tostring(refused[0]).decode()
    assert error.find("{%s}blocked" % BLOCKING_ERRORS) is not None, "no <blocked/> payload"
    bounced = messages(tybalt.received[mark_t:], "blocked in", "error")
    assert bounced and harness.stanza_error(bounced[0]) == "service-unavailable", \
        "the blocked contact sees juliet as unavailable (XEP-0191 §3.3)"

    # romeo is not blocked.
    mark_j = len(juliet.received)
    romeo.send_message(mto="juliet@localhost", mbody="still here", mtype="chat")
    await settle(romeo, juliet)
    assert messages(juliet.received[mark_j:], "still here", "chat"), "romeo was blocked too"

    # Unblock: presence comes back both ways, messages flow again.
    mark_j, mark_t = len(juliet.received), len(tybalt.received)
    _, err = await iq(juliet, "set", block_items("tybalt@localhost", kind="unblock"))
    assert err is None, f"unblock failed: {err}"
    await until(lambda: presences(tybalt.received[mark_t:], "juliet@localhost")
                and presences(juliet.received[mark_j:], "tybalt@localhost"),
                "presence restored after unblocking")
    tybalt.send_message(mto="juliet@localhost", mbody="peace in", mtype="chat")
    juliet.send_message(mto="tybalt@localhost", mbody="peace out", mtype="chat")
    await settle(juliet, tybalt)
    assert messages(juliet.received[mark_j:], "peace in", "chat"), "unblocked message lost"
    assert messages(tybalt.received[mark_t:], "peace out", "chat"), "unblocked message lost"

    # Unblock-all empties the list.
    await iq(juliet, "set", block_items("tybalt@localhost", "capulet.lit"))
    _, err = await iq(juliet, "set", ET.Element("{%s}unblock" % BLOCKING))
    assert err is None, f"unblock-all failed: {err}"
    reply, _ = await iq(juliet, "get", ET.Element("{%s}blocklist" % BLOCKING))
    assert len(list(reply.find("{%s}blocklist" % BLOCKING))) == 0, "unblock-all left items"
    return tybalt


async def check_vcard(juliet, romeo):
    reply, err = await iq(juliet, "get", ET.Element("{%s}vCard" % VCARD))
    assert err is None and reply.find("{%s}vCard" % VCARD) is not None, "own empty vCard"
    card = ET.Element("{%s}vCard" % VCARD)
    ET.SubElement(card, "{%s}FN" % VCARD).text = "Juliet Capulet"
    ET.SubElement(card, "{%s}NICKNAME" % VCARD).text = "jc"
    _, err = await iq(juliet, "set", card)
    assert err is None, f"vCard set failed: {err}"
    for who in (juliet, romeo):
        reply, err = await iq(who, "get", ET.Element("{%s}vCard" % VCARD), to="juliet@localhost")
        assert err is None, f"vCard get failed: {err}"
        fn = reply.find("{%s}vCard/{%s}FN" % (VCARD, VCARD))
        assert fn is not None and fn.text == "Juliet Capulet", ET.tostring(reply).decode()
    card = ET.Element("{%s}vCard" % VCARD)
    ET.SubElement(card, "{%s}FN" % VCARD).text = "Romeo's Juliet"
    _, err = await iq(romeo, "set", card, to="juliet@localhost")
    assert err == "forbidden", f"setting another user's vCard: {err}"


async def check_last_activity(juliet, tybalt, romeo):
    reply, err = await iq(romeo, "get", ET.Element("{%s}query" % LAST), to=DOMAIN)
    assert err is None, f"server last activity: {err}"
    seconds = reply.find("{%s}query" % LAST).get("seconds")
    assert seconds is not None and int(seconds) >= 0, f"uptime {seconds}"

    # juliet goes offline with a status; her contact tybalt may ask, romeo may not.
    juliet.send_presence(ptype="unavailable", pstatus="Gone to the friar")
    await juliet.barrier(timeout=TIMEOUT)
    await juliet.close()
    await until(lambda: any(p.get("type") == "unavailable"
                            for p in presences(tybalt.received, "juliet@localhost")),
                "juliet's unavailable presence at tybalt")
    reply, err = await iq(tybalt, "get", ET.Element("{%s}query" % LAST), to="juliet@localhost")
    assert err is None, f"last activity of an offline contact: {err}"
    query = reply.find("{%s}query" % LAST)
    assert int(query.get("seconds")) >= 0 and query.text == "Gone to the friar", \
        ET.tostring(reply).decode()
    _, err = await iq(romeo, "get", ET.Element("{%s}query" % LAST), to="juliet@localhost")
    assert err == "forbidden", f"last activity without a subscription: {err}"


async def main():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2", "tybalt": "pw3"}) as server:
        romeo = await server.client("romeo@localhost/orchard", "pw2")
        await check_discovery(romeo)
        juliet = await check_offline(server, romeo)
        tybalt = await check_blocking(server, juliet, romeo)
        await check_vcard(juliet, romeo)
        await check_last_activity(juliet, tybalt, romeo)
        assert server.alive(), "chorusd died during the scenarios"


if __name__ == "__main__":
    sys.exit(harness.run(main()))
