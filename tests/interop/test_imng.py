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


async def enable(client, ns, what="enable", to=None):
    iq = client.make_iq_set(ito=to)
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
        # ROUTING.md: addressed to the own bare JID or to the domain works the same.
        assert await enable(phone, IMNG, to="juliet@localhost") is None
        assert await enable(phone, IMNG, to="localhost") is None
        assert await enable(romeo, IMNG, to="juliet@localhost") == "forbidden"
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

        # R2: an error to the bare JID answers a server-generated stanza: consumed.
        romeo.send_message(mto="juliet@localhost", mbody="r2", mtype="error")
        await settle()
        assert not any(got(n) for n in devices), "R2 reaches nobody"
        clear()

        # R3: an error to a full JID reaches the IM-NG set and the legacy addressee.
        romeo.send_message(mto="juliet@localhost/desktop", mbody="r3", mtype="error")
        await settle()
        for n in ("phone", "tablet", "desktop"):
            assert [m.get("type") for m in got(n)] == ["error"], f"R3 to {n}"
        assert not got("laptop")
        clear()

        # R7: a MUC private message reaches only the addressed session, no carbon.
        pm = romeo.make_message(mto="juliet@localhost/laptop", mbody="r7", mtype="chat")
        pm.append(ET.Element("{http://jabber.org/protocol/muc#user}x"))
        pm.send()
        await settle()
        assert [body_of(m) for m in got("laptop")] == ["r7"]
        assert not got("phone") and not got("tablet") and not got("desktop")
        clear()

        # O4, O5, O6: groupchat, error and MUC PM from a device are not reflected.
        phone.send_message(mto="romeo@localhost", mbody="o4", mtype="groupchat")
        phone.send_message(mto="romeo@localhost/pc", mbody="o5", mtype="error")
        pm = phone.make_message(mto="romeo@localhost/pc", mbody="o6", mtype="chat")
        pm.append(ET.Element("{http://jabber.org/protocol/muc#user}x"))
        pm.send()
        await settle()
        # romeo's legacy client cannot take a groupchat at its bare JID (RFC 6121 §8.5.2.1.1):
        # the bounce is an error to the phone's full JID, which R3 gives the whole IM-NG set.
        for n in ("phone", "tablet"):
            assert [(m.get("type"), body_of(m)) for m in got(n)] == [("error", "o4")], got(n)
        assert not got("laptop") and not got("desktop"), "O4-O6 are not reflected or copied"
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
        assert bodies == ["r1", "r5", "r3", "o4", "o1", "legacy-out"], bodies
        assert mam_ids[0] == r1_id and mam_ids[4] in o1_ids, (mam_ids, r1_id, o1_ids)

        # XEP-0313 #extended: ids, before-id, metadata; unknown ids are item-not-found.
        async def mam(fields=None, rsm=""):
            form = "".join(f"<field var='{k}'>" + "".join(f"<value>{v}</value>" for v in vs)
                           + "</field>" for k, vs in (fields or {}).items())
            x = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                 f"<value>urn:xmpp:mam:2</value></field>{form}</x>")
            iq = phone.make_iq_set()
            iq.append(ET.fromstring(f"<query xmlns='urn:xmpp:mam:2' queryid='x'>{x}{rsm}</query>"))
            phone.inbox.clear()
            try:
                result = await iq.send(timeout=10)
            except harness.IqError as e:
                return e.iq["error"]["condition"], []
            await phone.barrier()
            found = [r.find("{urn:xmpp:mam:2}result") for r in phone.inbox]
            return result, [r.get("id") for r in found if r is not None]

        _, only = await mam({"ids": [mam_ids[1], mam_ids[3]]})
        assert only == [mam_ids[1], mam_ids[3]], only
        _, before = await mam({"before-id": [mam_ids[2]]})
        assert before == mam_ids[:2], before
        cond, _ = await mam({"after-id": ["4242"]})
        assert cond == "item-not-found", cond
        _, last_page = await mam(rsm="<set xmlns='http://jabber.org/protocol/rsm'>"
                                     "<max>1</max><before/></set>")
        assert last_page == mam_ids[-1:], last_page
        iq = phone.make_iq_get()
        iq.append(ET.Element("{urn:xmpp:mam:2}metadata"))
        md = (await iq.send(timeout=5)).xml.find("{urn:xmpp:mam:2}metadata")
        assert md.find("{urn:xmpp:mam:2}start").get("id") == mam_ids[0]
        assert md.find("{urn:xmpp:mam:2}end").get("id") == mam_ids[-1]
        clear()

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
