#!/usr/bin/python3
"""XEP-0163 PEP and what lives on it, with slixmpp's own plugins (xep_0060, xep_0163,
xep_0115, xep_0084, xep_0048/xep_0049) and raw stanzas where slixmpp has none (XEP-0402,
OMEMO). juliet publishes; romeo is her contact (mutual subscription) on two devices: phone
asks (caps +notify) for OMEMO device lists, laptop asks for nothing; mallory is a stranger.
Each step waits for the stanzas it expects, never for time.
"""
import asyncio
import os
import sys
import xml.etree.ElementTree as ET

import harness
from slixmpp.exceptions import IqError

PUBSUB = "http://jabber.org/protocol/pubsub"
EVENT = "http://jabber.org/protocol/pubsub#event"
ERRORS = "http://jabber.org/protocol/pubsub#errors"
AXOLOTL_DEVICES = "eu.siacs.conversations.axolotl.devicelist"
OMEMO2_DEVICES = "urn:xmpp:omemo:2:devices"
MOOD = "http://jabber.org/protocol/mood"
USERS = {"juliet": "pw-j", "romeo": "pw-r", "mallory": "pw-m"}
PLUGINS = ("xep_0030", "xep_0004", "xep_0060", "xep_0115", "xep_0163", "xep_0084", "xep_0049",
           "xep_0048", "xep_0199")


def event_for(node, frm=None):
    def match(x):
        if x.tag != "{jabber:client}message":
            return False
        items = x.find(f"{{{EVENT}}}event/{{{EVENT}}}items")
        return (items is not None and items.get("node") == node
                and (frm is None or x.get("from") == frm))
    return match


def events_seen(client, node):
    return [x for x in client.received if event_for(node)(x)]


async def until(client, predicate, timeout=10):
    """A stanza already received that matches, or the next one."""
    for x in client.received:
        if predicate(x):
            return x
    return await client.wait_for(predicate, timeout)


def publish_options(client, **fields):
    form = client["xep_0004"].make_form(ftype="submit")
    form.add_field(var="FORM_TYPE", ftype="hidden",
                   value="http://jabber.org/protocol/pubsub#publish-options")
    for var, value in fields.items():
        form.add_field(var=f"pubsub#{var}", value=value)
    return form


def device_list(ns, *ids):
    if ns == "axolotl":
        root = ET.Element("{eu.siacs.conversations.axolotl}list")
        for i in ids:
            ET.SubElement(root, "{eu.siacs.conversations.axolotl}device", id=str(i))
    else:
        root = ET.Element("{urn:xmpp:omemo:2}devices")
        for i in ids:
            ET.SubElement(root, "{urn:xmpp:omemo:2}device", id=str(i))
    return root


def bundle(device):
    root = ET.Element("{eu.siacs.conversations.axolotl}bundle")
    ET.SubElement(root, "{eu.siacs.conversations.axolotl}signedPreKeyPublic",
                  signedPreKeyId="1").text = "BQ" + str(device)
    ET.SubElement(root, "{eu.siacs.conversations.axolotl}identityKey").text = "BR" + str(device)
    return root


async def client_with_interest(server, jid, password, nodes):
    """A slixmpp client whose caps ask for `nodes` (xep_0163 add_interest) before its
    initial presence."""
    c = harness.Client(jid, password, plugins=PLUGINS)
    server._clients.append(c)
    for node in nodes:
        c["xep_0163"].add_interest(node)
    await harness.login(c, server.c2s_port, presence=False)
    await c["xep_0115"].update_caps(broadcast=False)
    c.send_presence()
    return c


async def befriend(juliet, romeo):
    """Mutual presence subscription (slixmpp answers subscription requests by itself);
    done when each sees the other's presence."""
    await juliet.get_roster()
    await romeo.get_roster()
    juliet.send_presence_subscription(pto="romeo@localhost")

    def presence_from(jid):
        return lambda x: x.tag == "{jabber:client}presence" and x.get("from") == jid and \
            (x.get("type") or "") == ""
    await until(juliet, presence_from(str(romeo.boundjid)))
    await until(romeo, presence_from(str(juliet.boundjid)))


async def omemo(server, juliet, phone, laptop):
    # Conversations and Dino publish the device list with access_model=open.
    for ns, node in (("axolotl", AXOLOTL_DEVICES), ("omemo2", OMEMO2_DEVICES)):
        await juliet["xep_0060"].publish("juliet@localhost", node, id="current",
                                         payload=device_list(ns, 1001, 1002),
                                         options=publish_options(juliet, access_model="open"))
    await juliet["xep_0060"].publish("juliet@localhost",
                                     "eu.siacs.conversations.axolotl.bundles:1001",
                                     id="current", payload=bundle(1001),
                                     options=publish_options(juliet, access_model="open"))
    # The contact's phone asked for device lists: notified; the laptop did not ask.
    got = await until(phone, event_for(AXOLOTL_DEVICES, "juliet@localhost"))
    assert got.get("type") == "headline", ET.tostring(got)
    await laptop.barrier()
    assert not events_seen(laptop, AXOLOTL_DEVICES), "laptop never asked for device lists"
    assert len(events_seen(phone, AXOLOTL_DEVICES)) == 1, "one notification per resource"

    # Fetch by the contact (slixmpp) and by a stranger (raw), as clients do.
    items = await phone["xep_0060"].get_items("juliet@localhost", AXOLOTL_DEVICES)
    ids = [d.get("id") for d in items.xml.iter("{eu.siacs.conversations.axolotl}device")]
    assert ids == ["1001", "1002"], ids
    mallory = server.raw_login("mallory", USERS["mallory"], resource="x")
    for node in (AXOLOTL_DEVICES, OMEMO2_DEVICES, "eu.siacs.conversations.axolotl.bundles:1001"):
        reply = mallory.request(f"<pubsub xmlns='{PUBSUB}'><items node='{node}'/></pubsub>",
                                to="juliet@localhost")
        assert reply.get("type") == "result", (node, ET.tostring(reply))
    # Absent node: item-not-found with XEP-0086 code 404 (Profanity waits for it).
    reply = mallory.request(f"<pubsub xmlns='{PUBSUB}'><items "
                            f"node='eu.siacs.conversations.axolotl.bundles:9'/></pubsub>",
                            to="juliet@localhost")
    assert harness.stanza_error(reply) == "item-not-found", ET.tostring(reply)
    assert reply.find("{jabber:client}error").get("code") == "404"

    # A presence-only node with open publish-options: precondition-not-met (the step after
    # which Conversations reconfigures the node and publishes again).
    await juliet["xep_0060"].publish("juliet@localhost", "urn:test:private", id="a",
                                     payload=ET.Element("{urn:test}x"))
    try:
        await juliet["xep_0060"].publish("juliet@localhost", "urn:test:private", id="b",
                                         payload=ET.Element("{urn:test}x"),
                                         options=publish_options(juliet, access_model="open"))
        raise AssertionError("publish-options that differ must fail")
    except IqError as e:
        assert e.iq["error"]["condition"] == "conflict", e.iq
        assert e.iq.xml.find(f".//{{{ERRORS}}}precondition-not-met") is not None
    # The stranger may not read a presence node.
    reply = mallory.request(f"<pubsub xmlns='{PUBSUB}'><items node='urn:test:private'/></pubsub>",
                            to="juliet@localhost")
    assert harness.stanza_error(reply) == "not-authorized", ET.tostring(reply)
    assert mallory.ping()


async def only_asked_nodes(juliet, phone, laptop):
    await juliet["xep_0060"].publish("juliet@localhost", MOOD, id="current",
                                     payload=ET.Element(f"{{{MOOD}}}mood"))
    await phone.barrier()
    await laptop.barrier()
    assert not events_seen(phone, MOOD), "phone's caps do not ask for moods"
    assert not events_seen(laptop, MOOD)


async def last_item_on_login(server):
    tablet = await client_with_interest(server, "romeo@localhost/tablet", USERS["romeo"],
                                        [AXOLOTL_DEVICES])
    got = await until(tablet, event_for(AXOLOTL_DEVICES, "juliet@localhost"))
    ids = [d.get("id") for d in got.iter("{eu.siacs.conversations.axolotl}device")]
    assert ids == ["1001", "1002"], ids
    await tablet.close()


async def avatar(juliet, romeo_phone):
    data = b"\x89PNG fake image bytes"
    info = await juliet["xep_0084"].publish_avatar(data)
    avatar_id = juliet["xep_0084"].generate_id(data)
    await juliet["xep_0084"].publish_avatar_metadata(
        [{"id": avatar_id, "type": "image/png", "bytes": len(data)}])
    juliet.send_presence(pstatus="with avatar")

    def hashed(x):
        photo = x.find("{vcard-temp:x:update}x/{vcard-temp:x:update}photo")
        return (x.tag == "{jabber:client}presence" and x.get("from") == str(juliet.boundjid)
                and photo is not None and photo.text == avatar_id)
    await romeo_phone.wait_for(hashed)
    del info


async def bookmarks(server, juliet):
    # XEP-0048 through XEP-0049 (slixmpp), read as XEP-0402 items.
    marks = juliet["xep_0048"].stanza.Bookmarks()
    marks.add_conference("room@conference.localhost", "Jules", name="The Room", autojoin=True)
    await juliet["xep_0048"].set_bookmarks(marks, method="xep_0049")
    items = await juliet["xep_0060"].get_items("juliet@localhost", "urn:xmpp:bookmarks:1")
    got = {i.get("id"): i for i in items.xml.iter(f"{{{PUBSUB}}}item")}
    conf = got["room@conference.localhost"].find("{urn:xmpp:bookmarks:1}conference")
    assert conf.get("autojoin") in ("true", "1") and conf.get("name") == "The Room"
    assert conf.findtext("{urn:xmpp:bookmarks:1}nick") == "Jules"
    # XEP-0402 publish (raw payload), read through XEP-0048.
    c = ET.Element("{urn:xmpp:bookmarks:1}conference", name="Other", autojoin="false")
    await juliet["xep_0060"].publish(
        "juliet@localhost", "urn:xmpp:bookmarks:1", id="other@conference.localhost", payload=c,
        options=publish_options(juliet, persist_items="true", max_items="max",
                                send_last_published_item="never", access_model="whitelist"))
    result = await juliet["xep_0048"].get_bookmarks(method="xep_0049")
    jids = sorted(x.get("jid") for x in result.xml.iter("{storage:bookmarks}conference"))
    assert jids == ["other@conference.localhost", "room@conference.localhost"], jids


async def pubsub_service(juliet, romeo):
    """The generic service on pubsub.localhost: juliet creates a node, romeo subscribes and
    gets the item juliet publishes; the server lists the service in its disco#items."""
    items = await juliet["xep_0030"].get_items(jid="localhost")
    assert "pubsub.localhost" in [i[0] for i in items["disco_items"]["items"]]
    await juliet["xep_0060"].create_node("pubsub.localhost", "news")
    await romeo["xep_0060"].subscribe("pubsub.localhost", "news")
    await juliet["xep_0060"].publish("pubsub.localhost", "news", id="n1",
                                     payload=ET.Element("{urn:test}headline"))
    await until(romeo, event_for("news", "pubsub.localhost"))
    try:
        await romeo["xep_0060"].delete_node("pubsub.localhost", "news")
        raise AssertionError("only the node's owner deletes it")
    except IqError as e:
        assert e.iq["error"]["condition"] == "forbidden", e.iq


async def survives_restart(server):
    server.stop()
    os.unlink(server.ready_path)
    server.returncode = None
    server.users = {}
    server.start()
    romeo = await server.client("romeo@localhost/after", USERS["romeo"], plugins=PLUGINS)
    for node in (AXOLOTL_DEVICES, OMEMO2_DEVICES, "eu.siacs.conversations.axolotl.bundles:1001"):
        items = await romeo["xep_0060"].get_items("juliet@localhost", node)
        assert list(items.xml.iter(f"{{{PUBSUB}}}item")), node
    juliet = await server.client("juliet@localhost/after", USERS["juliet"], plugins=PLUGINS)
    items = await juliet["xep_0060"].get_items("juliet@localhost", "urn:xmpp:bookmarks:1")
    assert len(list(items.xml.iter(f"{{{PUBSUB}}}item"))) == 2
    items = await romeo["xep_0060"].get_items("pubsub.localhost", "news")
    assert [i.get("id") for i in items.xml.iter(f"{{{PUBSUB}}}item")] == ["n1"]


async def main():
    async with harness.Server(users=USERS) as server:
        juliet = await server.client("juliet@localhost/balcony", USERS["juliet"], plugins=PLUGINS)
        phone = await client_with_interest(server, "romeo@localhost/phone", USERS["romeo"],
                                           [AXOLOTL_DEVICES, OMEMO2_DEVICES])
        laptop = await server.client("romeo@localhost/laptop", USERS["romeo"], plugins=PLUGINS)
        await befriend(juliet, phone)
        await omemo(server, juliet, phone, laptop)
        await only_asked_nodes(juliet, phone, laptop)
        await last_item_on_login(server)
        await avatar(juliet, phone)
        await bookmarks(server, juliet)
        await pubsub_service(juliet, laptop)
        await survives_restart(server)


if __name__ == "__main__":
    sys.exit(harness.run(main()))
