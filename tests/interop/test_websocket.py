#!/usr/bin/python3
"""RFC 7395 XMPP over WebSocket and XEP-0156 discovery, against a TCP slixmpp client.

juliet/web speaks WebSocket (Debian's python3-websockets, wsclient.py) through the same
stream layer as TCP: SCRAM, bind, IM-NG, SM; romeo/pc is a slixmpp client over TCP. The
framing rules are checked on every message the server sends (one element each), and bad
input ends the stream with its error, never the server.
"""
import asyncio
import json
import sys
import urllib.request
import xml.etree.ElementTree as ET

import harness
import websockets
import wsclient

FRAMING = wsclient.FRAMING
IMNG = "urn:xmpp:im-ng:0"
SM = "urn:xmpp:sm:3"
SID = "{urn:xmpp:sid:0}stanza-id"
SECURE = {"X-Forwarded-Proto": "https"}  # a TLS proxy on loopback vouches for the stream


def http_get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status, dict(r.headers), r.read().decode()


async def main():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}) as server:
        port = server.http_port
        assert port, "the HTTP listener is on"

        # XEP-0156: both host-meta forms name the endpoint.
        status, headers, xrd = http_get(port, "/.well-known/host-meta")
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
        link = ET.fromstring(xrd).find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
        assert link.get("rel") == "urn:xmpp:alt-connections:websocket", xrd
        assert link.get("href") == f"ws://127.0.0.1:{port}/xmpp-websocket", link.get("href")
        _, _, jrd = http_get(port, "/.well-known/host-meta.json")
        assert json.loads(jrd)["links"][0]["href"] == link.get("href")

        # Without the xmpp subprotocol there is no handshake (RFC 7395 §3.1).
        try:
            await websockets.connect(f"ws://127.0.0.1:{port}/xmpp-websocket", open_timeout=5)
            raise AssertionError("a WebSocket without the xmpp subprotocol was accepted")
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == 400, e.status_code

        # Plain HTTP from anyone is not encrypted: no SASL offered (c2s.require_tls).
        insecure = await wsclient.connect(port)
        features = await insecure.open()
        assert features.find("{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms") is None, \
            ET.tostring(features)
        await insecure.close()

        romeo = await server.client("romeo@localhost/pc", "pw2")
        web = await wsclient.connect(port, headers=SECURE)
        jid = await web.login("juliet", "pw1", resource="web")
        assert jid == "juliet@localhost/web", jid
        reply = await web.request(f"<enable xmlns='{IMNG}'/>", type="set")
        assert reply.get("type") == "result", ET.tostring(reply)
        await web.send("<presence xmlns='jabber:client'/>")
        await web.send(f"<enable xmlns='{SM}' resume='true'/>")
        enabled = await web.wait_tag(f"{{{SM}}}enabled")
        assert enabled.get("resume") == "true" and enabled.get("id")

        # TCP -> WebSocket: romeo writes to the bare JID (ROUTING.md R1), archived.
        romeo.send_message(mto="juliet@localhost", mbody="hello over TCP", mtype="chat")
        msg = await web.wait_tag("{jabber:client}message")
        assert msg.findtext("{jabber:client}body") == "hello over TCP", ET.tostring(msg)
        assert msg.find(SID) is not None, "archived: it carries its stanza-id"

        # WebSocket -> TCP, and the IM-NG reflection back to the sender (ROUTING.md O1).
        await web.send("<message xmlns='jabber:client' to='romeo@localhost' type='chat' "
                       "id='w1'><body>hello over WebSocket</body></message>")
        got = await romeo.wait_for(lambda x: x.tag == "{jabber:client}message", timeout=10)
        assert got.findtext("{jabber:client}body") == "hello over WebSocket"
        reflection = await web.wait_for(
            lambda e: e.tag == "{jabber:client}message" and e.get("id") == "w1")
        assert reflection.find(SID) is not None, ET.tostring(reflection)

        # XEP-0198 over WebSocket: <r/> is answered with the count of stanzas handled.
        await web.send(f"<r xmlns='{SM}'/>")
        ack = await web.wait_tag(f"{{{SM}}}a")
        assert ack.get("h") == "1", ET.tostring(ack)  # the message, the one stanza since <enable/>

        # MAM over WebSocket sees both messages.
        await web.send("<iq xmlns='jabber:client' type='set' id='mam1'>"
                       "<query xmlns='urn:xmpp:mam:2' queryid='q1'/></iq>")
        fin = await web.wait_for(lambda e: e.tag == "{jabber:client}iq" and e.get("id") == "mam1")
        assert fin.get("type") == "result", ET.tostring(fin)
        results = [e for e in web.received if e.find("{urn:xmpp:mam:2}result") is not None]
        assert len(results) == 2, f"{len(results)} archived messages"

        # Every message was one namespace-qualified element (ET.fromstring would have raised
        # otherwise); stanzas carry jabber:client, stream elements their own namespace.
        assert all(e.tag.startswith("{") for e in web.received)

        # <close/> is answered with <close/>, and juliet leaves romeo's roster presence.
        await web.close()

        # Bad input: two elements in one message -> a stream error, then <close/>.
        bad = await wsclient.connect(port, headers=SECURE)
        await bad.login("juliet", "pw1", resource="bad")
        await bad.send("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>")
        err = await bad.wait_tag(f"{{{harness.NS.streams}}}error")
        assert err.find("{urn:ietf:params:xml:ns:xmpp-streams}not-well-formed") is not None
        await bad.wait_tag(f"{{{FRAMING}}}close")

        # A stanza over the size limit before authentication ends the stream, the server
        # lives on and TCP clients are unharmed.
        big = await wsclient.connect(port, headers=SECURE)
        await big.open()
        await big.send("<iq xmlns='jabber:client' type='get' id='x'><query xmlns='a'>" +
                       "x" * 20000 + "</query></iq>")
        err = await big.wait_tag(f"{{{harness.NS.streams}}}error")
        assert err.find("{urn:ietf:params:xml:ns:xmpp-streams}policy-violation") is not None
        await romeo.barrier()
        assert server.alive()
        print("WebSocket: host-meta, SCRAM, bind, IM-NG, SM, MAM, chat with TCP, framing errors")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
