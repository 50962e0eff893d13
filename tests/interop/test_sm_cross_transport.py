#!/usr/bin/python3
"""XEP-0198 resumption across transports: one resumption table serves TCP and WebSocket.

juliet enables SM over TCP and loses her connection; a message from romeo waits in the
detached session; she resumes over WebSocket and gets it. Then the other way: SM enabled
over WebSocket, the socket dropped, resumed over TCP.
"""
import asyncio
import sys
import xml.etree.ElementTree as ET

import harness
import wsclient

SM = "urn:xmpp:sm:3"
SECURE = {"X-Forwarded-Proto": "https"}


def body(elem):
    return elem.findtext("{jabber:client}body")


async def main():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}) as server:
        romeo = await server.client("romeo@localhost/pc", "pw2")

        # TCP -> WebSocket.
        tcp = server.raw_login("juliet", "pw1", resource="phone")
        tcp.send(f"<enable xmlns='{SM}' resume='true'/>")
        previd = tcp.wait_tag(f"{{{SM}}}enabled").get("id")
        tcp.sock.close()  # the network goes away: no </stream:stream>
        await asyncio.sleep(0.3)
        romeo.send_message(mto="juliet@localhost/phone", mbody="while away", mtype="chat")
        await romeo.barrier()
        web = await wsclient.connect(server.http_port, headers=SECURE)
        await web.open()
        assert await web.authenticate("juliet", "pw1") is None
        await web.open()
        await web.send(f"<resume xmlns='{SM}' previd='{previd}' h='0'/>")
        resumed = await web.wait_for(lambda e: e.tag.startswith(f"{{{SM}}}"))
        assert resumed.tag == f"{{{SM}}}resumed", ET.tostring(resumed)
        msg = await web.wait_tag("{jabber:client}message")
        assert body(msg) == "while away", ET.tostring(msg)
        # The resumed session is the same resource, now reached over WebSocket.
        romeo.send_message(mto="juliet@localhost/phone", mbody="now on the web", mtype="chat")
        msg = await web.wait_tag("{jabber:client}message")
        assert body(msg) == "now on the web", ET.tostring(msg)

        # WebSocket -> TCP.
        web2 = await wsclient.connect(server.http_port, headers=SECURE)
        await web2.login("juliet", "pw1", resource="tab")
        await web2.send(f"<enable xmlns='{SM}' resume='true'/>")
        previd2 = (await web2.wait_tag(f"{{{SM}}}enabled")).get("id")
        web2.ws.transport.abort()
        await asyncio.sleep(0.3)
        romeo.send_message(mto="juliet@localhost/tab", mbody="for the tab", mtype="chat")
        await romeo.barrier()
        raw = server.raw()
        raw.open_stream()
        raw.starttls()
        assert raw.authenticate("juliet", "pw1") is None
        raw.restart()
        raw.send(f"<resume xmlns='{SM}' previd='{previd2}' h='0'/>")
        resumed = raw.wait_for(lambda e: e.tag.startswith(f"{{{SM}}}"))
        assert resumed.tag == f"{{{SM}}}resumed", ET.tostring(resumed)
        msg = raw.wait_tag("{jabber:client}message")
        assert body(msg) == "for the tab", ET.tostring(msg)
        assert raw.ping()
        await web.close()
        print("XEP-0198: TCP session resumed over WebSocket, WebSocket session over TCP")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
