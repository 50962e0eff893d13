#!/usr/bin/python3
"""XEP-0045 group chats on conference.localhost with slixmpp's xep_0045 plugin and raw stanzas.

juliet creates and configures 'tea' (reserved room, muc#roomconfig form), romeo and the
nurse join; subject, nick change, invitations and declines, members-only and password
refusals, kick and ban, history on join and MUC MAM paging are checked on the wire. Then
juliet joins one room from three devices under one nick (phone and tablet with IM-NG,
laptop legacy with Carbons): every group chat message and every private message reaches
each device exactly once. A restart keeps the persistent room, its affiliations and its
archive.
"""
import asyncio
import os
import xml.etree.ElementTree as ET

import harness

ROOM = "tea@conference.localhost"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
MUC_OWNER = "http://jabber.org/protocol/muc#owner"
MAM = "urn:xmpp:mam:2"
SID = "{urn:xmpp:sid:0}stanza-id"
PLUGINS = harness.DEFAULT_PLUGINS + ("xep_0045", "xep_0004")


def is_msg(x):
    return x.tag == "{jabber:client}message"


def is_pres(x):
    return x.tag == "{jabber:client}presence"


def body(x):
    b = x.find("{jabber:client}body")
    return b.text if b is not None else None


def codes(x):
    return {s.get("code") for s in x.findall(f"{{{MUC_USER}}}x/{{{MUC_USER}}}status")}


def from_(x):
    return x.get("from") or ""


async def client(server, jid, pw):
    c = harness.Client(jid, pw, plugins=PLUGINS)
    return await harness.login(c, server.c2s_port)


async def join(c, nick, extra="", room=ROOM):
    """Sends a join presence; returns the self-presence (or the error presence)."""
    waiter = asyncio.ensure_future(c.wait_for(
        lambda x: is_pres(x) and from_(x) == f"{room}/{nick}" and
        ("110" in codes(x) or x.get("type") == "error"), timeout=10))
    c.send_raw(f"<presence to='{room}/{nick}'><x xmlns='{MUC}'>{extra}</x></presence>")
    return await waiter


async def iq(c, payload, to=ROOM, type="set"):
    """Sends an IQ and returns (type, reply element)."""
    q = c.make_iq(itype=type, ito=to)
    q.append(ET.fromstring(payload))
    try:
        reply = await q.send(timeout=10)
        return "result", reply.xml
    except harness.IqError as e:
        return e.iq["error"]["condition"], e.iq.xml


def submit(fields):
    xs = "".join(f"<field var='{k}'><value>{v}</value></field>" for k, v in fields.items())
    return (f"<query xmlns='{MUC_OWNER}'><x xmlns='jabber:x:data' type='submit'>"
            f"<field var='FORM_TYPE'><value>{MUC_OWNER.replace('owner', 'roomconfig')}</value>"
            f"</field>{xs}</x></query>")


async def settle(*clients):
    for c in clients:
        await c.barrier()


async def scenario_rooms(server):
    juliet = await client(server, "juliet@localhost/laptop", "pw")
    romeo = await client(server, "romeo@localhost/pc", "pw")
    nurse = await client(server, "nurse@localhost/pc", "pw")

    # The service is listed by the server and names itself a conference service.
    items = await juliet["xep_0030"].get_items("localhost", timeout=5)
    assert "conference.localhost" in [i[0] for i in items["disco_items"]["items"]]
    info = await juliet["xep_0030"].get_info("conference.localhost", timeout=5)
    assert MUC in info["disco_info"]["features"]

    # Reserved room: 201, locked for others until the owner submits the form.
    pres, subject, occupants, history = await juliet["xep_0045"].join_muc_wait(
        ROOM, "Juliet", timeout=10)
    assert "201" in codes(pres.xml) and "110" in codes(pres.xml), ET.tostring(pres.xml)
    refused = await join(romeo, "Romeo")
    assert harness.stanza_error(refused) == "item-not-found", ET.tostring(refused)
    form = await juliet["xep_0045"].get_room_config(ROOM, timeout=5)
    assert "muc#roomconfig_persistentroom" in form.get_fields(), form
    kind, _ = await iq(juliet, submit({"muc#roomconfig_persistentroom": "1",
                                       "muc#roomconfig_roomname": "Tea room",
                                       "muc#roomconfig_whois": "anyone",
                                       "muc#roomconfig_changesubject": "0"}))
    assert kind == "result", kind

    # Romeo joins: he sees Juliet, she sees him, with real JIDs (whois anyone: 100).
    self_pres = await join(romeo, "Romeo")
    assert "100" in codes(self_pres) and "170" in codes(self_pres), ET.tostring(self_pres)
    await settle(juliet)
    assert any(from_(x) == f"{ROOM}/Romeo" for x in juliet.inbox if is_pres(x))

    # Subject: owner sets it, a participant may not (changesubject off).
    got = asyncio.ensure_future(romeo.wait_for(
        lambda x: is_msg(x) and x.find("{jabber:client}subject") is not None))
    juliet["xep_0045"].set_subject(ROOM, "Earl Grey")
    assert (await got).find("{jabber:client}subject").text == "Earl Grey"
    err = asyncio.ensure_future(romeo.wait_for(lambda x: x.get("type") == "error"))
    romeo["xep_0045"].set_subject(ROOM, "Coffee")
    assert harness.stanza_error(await err) == "forbidden"

    # Group chat: everyone, the sender included, gets one copy with the room's stanza-id.
    for i in range(5):
        got = asyncio.ensure_future(juliet.wait_for(lambda x: is_msg(x) and body(x) == f"m{i}"))
        romeo.send_message(ROOM, f"m{i}", mtype="groupchat")
        msg = await got
        sid = msg.find(SID)
        assert sid is not None and sid.get("by") == ROOM, ET.tostring(msg)
        assert msg.find("{urn:xmpp:occupant-id:0}occupant-id") is not None

    # Nick change (303).
    got = asyncio.ensure_future(juliet.wait_for(lambda x: is_pres(x) and "303" in codes(x)))
    romeo.send_raw(f"<presence to='{ROOM}/Romeo2'/>")
    changed = await got
    item = changed.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}item")
    assert item.get("nick") == "Romeo2", ET.tostring(changed)

    # Mediated invitation and decline.
    got = asyncio.ensure_future(nurse.wait_for(
        lambda x: is_msg(x) and x.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}invite") is not None))
    juliet["xep_0045"].invite(ROOM, "nurse@localhost", reason="tea?")
    invitation = await got
    assert invitation.get("from") == ROOM
    got = asyncio.ensure_future(juliet.wait_for(
        lambda x: is_msg(x) and x.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}decline") is not None))
    nurse["xep_0045"].decline(ROOM, "juliet@localhost", reason="busy")
    declined = await got
    assert declined.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}decline").get("from") == \
        "nurse@localhost"

    # Members-only and password.
    kind, _ = await iq(juliet, submit({"muc#roomconfig_membersonly": "1",
                                       "muc#roomconfig_passwordprotectedroom": "1",
                                       "muc#roomconfig_roomsecret": "s3cret"}))
    assert kind == "result"
    await settle(romeo)  # Romeo (no affiliation) was removed with 322
    assert any("322" in codes(x) for x in romeo.inbox if is_pres(x))
    refused = await join(nurse, "Nurse", "<password>s3cret</password>")
    assert harness.stanza_error(refused) == "registration-required"
    await juliet["xep_0045"].set_affiliation(ROOM, "member", jid="nurse@localhost")
    await juliet["xep_0045"].set_affiliation(ROOM, "member", jid="romeo@localhost")
    refused = await join(nurse, "Nurse")
    assert harness.stanza_error(refused) == "not-authorized"
    pres = await join(nurse, "Nurse", "<password>s3cret</password><history maxstanzas='2'/>")
    assert pres.get("type") is None
    await settle(nurse)
    delayed = [x for x in nurse.inbox
               if is_msg(x) and x.find("{urn:xmpp:delay}delay") is not None]
    assert [body(x) for x in delayed] == ["m3", "m4"], [body(x) for x in delayed]
    members = await juliet["xep_0045"].get_affiliation_list(ROOM, "member")
    assert sorted(str(j) for j in members) == ["nurse@localhost", "romeo@localhost"], members

    # Kick (307) and ban (301); a banned user cannot come back.
    await join(romeo, "Romeo", "<password>s3cret</password>")
    got = asyncio.ensure_future(romeo.wait_for(lambda x: is_pres(x) and "307" in codes(x)))
    await juliet["xep_0045"].set_role(ROOM, "Romeo", "none", reason="out")
    await got
    kind, _ = await iq(nurse, f"<query xmlns='{MUC_ADMIN}'><item nick='Juliet' role='none'/>"
                              f"</query>")
    assert kind == "forbidden", kind
    await juliet["xep_0045"].set_affiliation(ROOM, "outcast", jid="romeo@localhost")
    refused = await join(romeo, "Romeo", "<password>s3cret</password>")
    assert harness.stanza_error(refused) == "forbidden"

    # MUC MAM: two pages of two, then the rest, by RSM <after/>.
    ids = []
    after = ""
    for page in range(3):
        q = (f"<query xmlns='{MAM}' queryid='p{page}'><set xmlns='http://jabber.org/protocol/rsm'>"
             f"<max>2</max>{after}</set></query>")
        before = len(nurse.received)
        kind, fin = await iq(nurse, q)
        assert kind == "result", kind
        results = [x for x in nurse.received[before:] if is_msg(x) and
                   x.find(f"{{{MAM}}}result") is not None]
        ids += [r.find(f"{{{MAM}}}result").get("id") for r in results]
        last = fin.find(f"{{{MAM}}}fin/{{http://jabber.org/protocol/rsm}}set/"
                        f"{{http://jabber.org/protocol/rsm}}last")
        if last is None:
            break
        after = f"<after>{last.text}</after>"
    assert len(ids) == 5 and len(set(ids)) == 5, ids

    for c in (juliet, romeo, nurse):
        await c.close()


async def scenario_devices(server):
    """One user, three devices, one nick: every message once per device (ROUTING.md R6/R7)."""
    phone = await client(server, "juliet@localhost/phone", "pw")
    tablet = await client(server, "juliet@localhost/tablet", "pw")
    laptop = await client(server, "juliet@localhost/laptop", "pw")
    nurse = await client(server, "nurse@localhost/pc", "pw")
    for c, ns in ((phone, "urn:xmpp:im-ng:0"), (tablet, "urn:xmpp:im-ng:0"),
                  (laptop, "urn:xmpp:carbons:2")):
        kind, _ = await iq(c, f"<enable xmlns='{ns}'/>", to="")
        assert kind == "result", kind
    for c in (phone, tablet, laptop):
        pres = await join(c, "Juliet")
        assert pres.get("type") is None, ET.tostring(pres)
    await join(nurse, "Nurse", "<password>s3cret</password>")
    await settle(nurse)
    assert sum(1 for x in nurse.inbox
               if is_pres(x) and from_(x) == f"{ROOM}/Juliet") == 1, "one Juliet"
    for c in (phone, tablet, laptop):
        c.inbox.clear()
    for i in range(3):
        nurse.send_message(ROOM, f"g{i}", mtype="groupchat")
    for i in range(2):
        nurse.send_message(f"{ROOM}/Juliet", f"pm{i}", mtype="chat")
    await settle(nurse, phone, tablet, laptop)
    for name, c in (("phone", phone), ("tablet", tablet), ("laptop", laptop)):
        bodies = [body(x) for x in c.inbox if is_msg(x) and body(x)]
        assert sorted(bodies) == ["g0", "g1", "g2", "pm0", "pm1"], (name, bodies)
        carbons = [x for x in c.inbox if is_msg(x) and
                   x.find("{urn:xmpp:carbons:2}received") is not None]
        assert not carbons, (name, "a MUC PM was carbon-copied")
    # A PM from one of Juliet's devices does not come back to her other devices as Carbons.
    phone.send_message(f"{ROOM}/Nurse", "reply", mtype="chat")
    await settle(phone, tablet, laptop, nurse)
    assert [body(x) for x in nurse.inbox if is_msg(x) and body(x) == "reply"] == ["reply"]
    assert not any(body(x) == "reply" for c in (tablet, laptop) for x in c.inbox if is_msg(x))
    # One device leaves: the nurse sees nothing; the last one leaving is seen.
    nurse.inbox.clear()
    await phone.close()
    await tablet.close()
    await settle(nurse)
    assert not any(is_pres(x) and from_(x) == f"{ROOM}/Juliet" for x in nurse.inbox)
    got = asyncio.ensure_future(nurse.wait_for(
        lambda x: is_pres(x) and from_(x) == f"{ROOM}/Juliet" and x.get("type") == "unavailable"))
    await laptop.close()  # the presence module sends the room unavailable for the session
    await got
    await nurse.close()


async def scenario_restart(server):
    server.stop()
    os.unlink(server.ready_path)
    server.returncode = None
    server.users = {}
    server.start()
    juliet = await client(server, "juliet@localhost/laptop", "pw")
    romeo = await client(server, "romeo@localhost/pc", "pw")
    info = await juliet["xep_0030"].get_info(ROOM, timeout=5)
    assert "muc_persistent" in info["disco_info"]["features"]
    assert "muc_membersonly" in info["disco_info"]["features"]
    refused = await join(romeo, "Romeo", "<password>s3cret</password>")
    assert harness.stanza_error(refused) == "forbidden", "the ban survived the restart"
    await join(juliet, "Juliet", "<history maxstanzas='2'/>")
    await settle(juliet)
    history = [body(x) for x in juliet.inbox
               if is_msg(x) and x.find("{urn:xmpp:delay}delay") is not None]
    assert history == ["g1", "g2"], history  # taken back from the room archive
    before = len(juliet.received)
    kind, fin = await iq(juliet, f"<query xmlns='{MAM}'/>")
    assert kind == "result", kind
    results = [x for x in juliet.received[before:]
               if is_msg(x) and x.find(f"{{{MAM}}}result") is not None]
    assert len(results) == 8, len(results)  # m0..m4 and g0..g2
    subject = [x for x in juliet.inbox if is_msg(x) and x.find("{jabber:client}subject") is not None]
    assert subject and subject[-1].find("{jabber:client}subject").text == "Earl Grey"
    # The owner destroys the room, naming another venue; it is gone afterwards.
    got = asyncio.ensure_future(juliet.wait_for(
        lambda x: is_pres(x) and x.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}destroy") is not None))
    await juliet["xep_0045"].destroy(ROOM, reason="closing", altroom="cafe@conference.localhost")
    gone = await got
    assert gone.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}destroy").get("jid") == \
        "cafe@conference.localhost"
    kind, _ = await iq(juliet, "<query xmlns='http://jabber.org/protocol/disco#info'/>",
                       type="get")
    assert kind == "item-not-found", kind
    await juliet.close()
    await romeo.close()



async def scenario_config_and_requests(server):
    """muc#roomconfig fields beyond the basics, and a membership request (§7.10, §9.9)."""
    club = "club@conference.localhost"
    juliet = await client(server, "juliet@localhost/club", "pw")
    romeo = await client(server, "romeo@localhost/club", "pw")
    await juliet["xep_0045"].join_muc_wait(club, "Juliet", timeout=10)
    form = await juliet["xep_0045"].get_room_config(club, timeout=5)
    for var in ("muc#roomconfig_roomowners", "muc#roomconfig_roomadmins",
                "muc#roomconfig_presencebroadcast", "muc#roomconfig_canchangenick",
                "muc#roomconfig_getmemberlist", "muc#maxhistoryfetch",
                "muc#roomconfig_lang", "muc#roomconfig_pubsub"):
        assert var in form.get_fields(), var
    kind, _ = await iq(juliet, submit({"muc#roomconfig_membersonly": "1",
                                       "muc#roomconfig_lang": "en",
                                       "muc#roomconfig_canchangenick": "0",
                                       "muc#roomconfig_roomadmins": "nurse@localhost"}), to=club)
    assert kind == "result", kind
    admins = await juliet["xep_0045"].get_affiliation_list(club, "admin")
    assert admins == ["nurse@localhost"], admins
    info = await romeo["xep_0030"].get_info(club, timeout=5)
    roominfo = {f.get("var"): [v.text for v in f.findall("{jabber:x:data}value")]
                for f in info.xml.iter("{jabber:x:data}field")}
    assert roominfo.get("muc#roominfo_lang") == ["en"], roominfo

    # romeo asks to register; juliet gets the request form and approves it.
    request = asyncio.ensure_future(juliet.wait_for(
        lambda x: is_msg(x) and x.find("{jabber:x:data}x") is not None, timeout=10))
    kind, _ = await iq(romeo, "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' "
                       "type='submit'><field var='FORM_TYPE'><value>"
                       "http://jabber.org/protocol/muc#register</value></field><field "
                       "var='muc#register_roomnick'><value>Romeo</value></field></x></query>",
                       to=club)
    assert kind == "result", kind
    req = await request
    assert from_(req) == club
    fields = {f.get("var"): [v.text for v in f.findall("{jabber:x:data}value")]
              for f in req.iter("{jabber:x:data}field")}
    assert fields["muc#jid"] == ["romeo@localhost"] and fields["muc#register_roomnick"] == [
        "Romeo"], fields
    approved = asyncio.ensure_future(romeo.wait_for(
        lambda x: is_msg(x) and "101" in codes(x), timeout=10))
    juliet.send_raw(f"<message to='{club}'><x xmlns='jabber:x:data' type='submit'><field "
                    "var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value>"
                    "</field><field var='muc#jid'><value>romeo@localhost</value></field><field "
                    "var='muc#register_allow'><value>1</value></field></x></message>")
    await approved
    self_pres = await join(romeo, "Romeo", room=club)
    assert "110" in codes(self_pres), ET.tostring(self_pres)
    # canchangenick is off.
    refused = await join(romeo, "Romeo2", room=club)
    assert harness.stanza_error(refused) == "not-acceptable", ET.tostring(refused)
    await juliet.close()
    await romeo.close()

async def main():
    users = {"juliet": "pw", "romeo": "pw", "nurse": "pw"}
    async with harness.Server(users=users) as server:
        await scenario_rooms(server)
        await scenario_config_and_requests(server)
        await scenario_devices(server)
        await scenario_restart(server)


if __name__ == "__main__":
    raise SystemExit(harness.run(main()))
