#!/usr/bin/python3
"""XEP-0409 IM Routing-NG on the wire (ROUTING.md), with real slixmpp clients.

juliet has four devices: phone and tablet (IM-NG), laptop (legacy, Carbons, priority 1)
and desktop (legacy, no Carbons, priority 5); romeo is a contact on a plain legacy client.
Every row of ROUTING.md's Inbound and Outbound tables is sent once and every device's
inbox is checked: who got it, in which form, with which stanza-id, and what MAM holds.
"""
import asyncio
import sys
import xml.etree.ElementTree as ET

import harness

SID = "{urn:xmpp:sid:0}stanza-id"
CARBONS = "urn:xmpp:carbons:2"
IMNG = "urn:xmpp:im-ng:0"
DOMAIN = "localhost"


def sid_of(xml, by):
    for e in xml.findall(SID):
        if e.get("by") == by:
            return e.get("id")
    return None


def body_of(xml):
    b = xml.find("{jabber:client}body")
    return b.text if b is not None else None


def carbon_of(xml, kind):
    """The message inside a XEP-0280 <received/> or <sent/> wrapper, or None."""
    wrapper = xml.find("{%s}%s" % (CARBONS, kind))
    if wrapper is None:
        return None
    return wrapper.find("{urn:xmpp:forward:0}forwarded/{jabber:client}message")


async def enable(client, ns, what="enable"):
    iq = client.make_iq_set()
    iq.append(ET.Element("{%s}%s" % (ns, what)))
    try:
        await iq.send(timeout=5)
        return None
    except harness.IqError as e:
        return e.iq["error"]["condition"]


async def main():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}) as server:
        phone = await server.client("juliet@localhost/phone", "pw1")
        tablet = await server.client("juliet@localhost/tablet", "pw1")
        laptop = await server.client("juliet@localhost/laptop", "pw1", priority=1)
        desktop = await server.client("juliet@localhost/desktop", "pw1", priority=5)
        romeo = await server.client("romeo@localhost/pc", "pw2")
        devices = {"phone": phone, "tablet": tablet, "laptop": laptop, "desktop": desktop}

        # Discovery: the feature on the server and on the account (ROUTING.md).
        for target in ("localhost", "juliet@localhost"):
            info = await phone["xep_0030"].get_info(target, timeout=5)
            assert IMNG in info["disco_info"]["features"], f"{target} lacks {IMNG}"

        # Activation and the mutual exclusion with Carbons, both ways.
        assert await enable(phone, IMNG) is None
        assert await enable(phone, IMNG) is None, "enabling twice must be idempotent"
        assert await enable(tablet, IMNG) is None
        assert await enable(laptop, CARBONS) is None
        assert await enable(phone, CARBONS) == "not-allowed", "Carbons on an IM-NG session"
        assert await enable(laptop, IMNG) == "not-allowed", "IM-NG on a Carbons session"
        for c in [phone, tablet, laptop, desktop, romeo]:
            await c.barrier()
            c.inbox.clear()

        async def settle():
            # The server handles stanzas in order: once every device's ping is answered,
            # every copy routed before it has been written to that device.
            await romeo.barrier()
            for c in devices.values():
                await c.barrier()

        def got(name):
            return [m for m in devices[name].inbox if m.tag == "{jabber:client}message"]

        def clear():
            for c in [*devices.values(), romeo]:
                c.inbox.clear()

        # R1: chat to the bare JID.
        romeo.send_message(mto="juliet@localhost", mbody="r1", mtype="chat")
        await settle()
        ids = {n: sid_of(got(n)[0], "juliet@localhost") for n in ("phone", "tablet", "desktop")}
        assert all(body_of(got(n)[0]) == "r1" for n in ("phone", "tablet", "desktop")), got
        assert len(set(ids.values())) == 1 and None not in ids.values(), f"stanza-ids {ids}"
        inner = carbon_of(got("laptop")[0], "received")
        assert inner is not None and body_of(inner) == "r1", "laptop must get a <received/> carbon"
        assert all(len(got(n)) == 1 for n in devices), "each device exactly once"
        r1_id = ids["phone"]
        clear()

        # R5: chat to the legacy desktop's full JID forks to the IM-NG set with to=bare.
        romeo.send_message(mto="juliet@localhost/desktop", mbody="r5", mtype="chat")
        await settle()
        assert got("desktop")[0].get("to") == "juliet@localhost/desktop"
        for n in ("phone", "tablet"):
            assert got(n)[0].get("to") == "juliet@localhost", "R5 copies carry the bare JID"
            assert body_of(got(n)[0]) == "r5"
        assert carbon_of(got("laptop")[0], "received") is not None
        assert all(len(got(n)) == 1 for n in devices)
        clear()

        # R4: the marker reaches exactly one device and is never archived.
        marked = romeo.make_message(mto="juliet@localhost/tablet", mbody="r4", mtype="chat")
        marked.append(ET.Element("{%s}im-ng" % IMNG))
        marked.send()
        await settle()
        assert [body_of(m) for m in got("tablet")] == ["r4"]
        assert sid_of(got("tablet")[0], "juliet@localhost") is None, "R4 is not archived"
        assert not got("phone") and not got("laptop") and not got("desktop")
        clear()

        # R4 to a missing resource: <service-unavailable/> back to the sender.
        marked = romeo.make_message(mto="juliet@localhost/gone", mbody="r4b", mtype="chat")
        marked.append(ET.Element("{%s}im-ng" % IMNG))
        marked.send()
        await settle()
        errors = [m for m in romeo.inbox if m.get("type") == "error"]
        assert errors and errors[0].find(
            "{jabber:client}error/{urn:ietf:params:xml:ns:xmpp-stanzas}service-unavailable"
        ) is not None, "R4 to a missing resource must bounce"
        assert not any(got(n) for n in devices)
        clear()

        # R6: a headline to a full JID reaches only that device.
        romeo.send_message(mto="juliet@localhost/laptop", mbody="r6", mtype="headline")
        await settle()
        assert [body_of(m) for m in got("laptop")] == ["r6"]
        assert not got("phone") and not got("tablet") and not got("desktop")
        clear()

        # O1: the IM-NG phone writes to romeo's bare JID: reflected with the stanza-id to
        # the whole IM-NG set including the phone itself; laptop gets a <sent/> carbon.
        phone.send_message(mto="romeo@localhost", mbody="o1", mtype="chat")
        await settle()
        assert [body_of(m) for m in romeo.inbox if m.tag.endswith("message")] == ["o1"]
        refl = {n: got(n) for n in ("phone", "tablet")}
        assert all(len(v) == 1 and body_of(v[0]) == "o1" for v in refl.values()), refl
        o1_ids = {sid_of(v[0], "juliet@localhost") for v in refl.values()}
        assert len(o1_ids) == 1 and None not in o1_ids, "reflections carry one stanza-id"
        assert carbon_of(got("laptop")[0], "sent") is not None
        assert not got("desktop")
        clear()

        # A legacy device's outbound message is reflected to the IM-NG set too.
        desktop.send_message(mto="romeo@localhost", mbody="legacy-out", mtype="chat")
        await settle()
        assert [body_of(m) for m in got("phone")] == ["legacy-out"]
        assert [body_of(m) for m in got("tablet")] == ["legacy-out"]
        assert carbon_of(got("laptop")[0], "sent") is not None
        assert not got("desktop")
        clear()

        # O3: a marked device-to-device message is not reflected or archived.
        marked = phone.make_message(mto="juliet@localhost/tablet", mbody="o3", mtype="chat")
        marked.append(ET.Element("{%s}im-ng" % IMNG))
        marked.send()
        await settle()
        assert [body_of(m) for m in got("tablet")] == ["o3"]
        assert not got("phone") and not got("laptop") and not got("desktop")
        clear()

        # MAM holds r1, r5, o1, legacy-out in order, with the ids the devices saw; paged
        # by slixmpp with RSM pages of 2 across the page boundary.
        bodies, mam_ids = [], []
        async for m in phone["xep_0313"].iterate(rsm={"max": 2}):
            fwd = m["mam_result"]["forwarded"]["stanza"]
            bodies.append(fwd["body"])
            mam_ids.append(m["mam_result"]["id"])
        assert bodies == ["r1", "r5", "o1", "legacy-out"], bodies
        assert mam_ids[0] == r1_id and mam_ids[2] in o1_ids, (mam_ids, r1_id, o1_ids)

        # Catch-up: the tablet goes offline, 1,000 messages arrive, it comes back, enables
        # IM-NG and pages MAM after the last stanza-id it saw: exactly the missed ones.
        last_seen = mam_ids[-1]
        await tablet.close()
        del devices["tablet"]
        clear()  # the MAM results above were messages too
        total = 1000
        for i in range(total):
            romeo.send_message(mto="juliet@localhost", mbody=f"m{i}", mtype="chat")
            if i % 100 == 99:
                await romeo.barrier()
        await settle()
        phone_ids = [sid_of(m, "juliet@localhost") for m in got("phone")]
        assert len(phone_ids) == total, f"phone got {len(phone_ids)} of {total}"
        tablet = await server.client("juliet@localhost/tablet", "pw1", presence=False)
        assert await enable(tablet, IMNG) is None
        tablet.send_presence()  # enable first, then presence: no offline queue for IM-NG
        caught = []
        async for m in tablet["xep_0313"].iterate(rsm={"max": 100, "after": last_seen}):
            caught.append((m["mam_result"]["id"], m["mam_result"]["forwarded"]["stanza"]["body"]))
        want = [f"m{i}" for i in range(total)]
        got_bodies = [b for _, b in caught]
        assert got_bodies == want, f"gap or duplicate: {len(got_bodies)} results, " \
            f"first {got_bodies[:3]}, last {got_bodies[-3:]}"
        assert [i for i, _ in caught] == phone_ids, "the same stanza-ids as the online device"
        await tablet.barrier()
        assert not [m for m in tablet.inbox if m.tag.endswith("message") and body_of(m)], \
            "an IM-NG session never gets the offline queue"
        print("IM-NG routing: every row observed on every device; catch-up of", total, "exact")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
