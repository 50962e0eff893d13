#!/usr/bin/python3
"""The HTTPS listener (http.tls_port) and wss://, and Beast's pings for dead WebSocket peers.

Over HTTPS, with the server's generated certificate trusted (and its name checked),
host-meta names a wss:// endpoint; juliet logs in over wss:// (SASL is offered: the stream
is encrypted) and chats with romeo on TCP. With a 1 s ping interval, a WebSocket peer that
stops reading (so never answers the server's ping) is closed within seconds: its session
ends, or is kept for XEP-0198 resumption when SM was on, while a peer that answers stays.
"""
import asyncio
import os
import ssl
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

import harness
import websockets
import wsclient

SM = "urn:xmpp:sm:3"


def trusting(server):
    ctx = ssl.create_default_context(cafile=os.path.join(server.data_dir, "tls", "cert.pem"))
    ctx.check_hostname = True  # the certificate names the domain, not 127.0.0.1
    return ctx


async def wss(server, ctx):
    ws = await websockets.connect(f"wss://127.0.0.1:{server.https_port}/xmpp-websocket",
                                  subprotocols=["xmpp"], ssl=ctx, server_hostname="localhost",
                                  open_timeout=10)
    return wsclient.WsClient(ws, "localhost")


def sessions(server, state):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    key = f'chorus_sessions{{transport="websocket",state="{state}"}} '
    return int(float(next(line for line in text.splitlines() if line.startswith(key))
                      .split()[-1]))


async def main():
    config = {"http.tls_port": harness.free_port(), "http.websocket_ping_interval": 1}
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}, config=config) as server:
        ctx = trusting(server)
        url = f"https://localhost:{server.https_port}/.well-known/host-meta.json"
        with urllib.request.urlopen(url, context=ctx, timeout=5) as r:
            jrd = r.read().decode()
        assert f'"wss://localhost:{server.https_port}/xmpp-websocket"' in jrd, jrd

        romeo = await server.client("romeo@localhost/pc", "pw2")
        web = await wss(server, ctx)
        jid = await web.login("juliet", "pw1", resource="wss")  # SASL offered: encrypted
        assert jid == "juliet@localhost/wss", jid
        await web.send("<presence xmlns='jabber:client'/>")
        romeo.send_message(mto=jid, mbody="over TLS", mtype="chat")
        msg = await web.wait_tag("{jabber:client}message")
        assert msg.findtext("{jabber:client}body") == "over TLS", ET.tostring(msg)
        await web.send("<message xmlns='jabber:client' to='romeo@localhost/pc' type='chat'>"
                       "<body>back over wss</body></message>")
        got = await romeo.wait_for(lambda x: x.tag == "{jabber:client}message", timeout=10)
        assert got.findtext("{jabber:client}body") == "back over wss"

        # Dead peers: two clients stop reading (no pong), the wss one keeps answering.
        gone = await wsclient.connect(server.http_port, headers={"X-Forwarded-Proto": "https"})
        await gone.login("juliet", "pw1", resource="gone")
        kept = await wsclient.connect(server.http_port, headers={"X-Forwarded-Proto": "https"})
        await kept.login("juliet", "pw1", resource="kept")
        await kept.send(f"<enable xmlns='{SM}' resume='true'/>")
        await kept.wait_tag(f"{{{SM}}}enabled")
        assert sessions(server, "bound") == 3
        gone.ws.transport.pause_reading()
        kept.ws.transport.pause_reading()
        deadline = time.monotonic() + 10
        while (sessions(server, "bound"), sessions(server, "detached")) != (1, 1):
            assert time.monotonic() < deadline, "silent WebSocket peers were not closed"
            await asyncio.sleep(0.2)
        # The live wss session answered the pings and is still usable.
        reply = await web.request("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        assert reply.get("type") == "result", ET.tostring(reply)
        assert server.alive()
        for c in (gone, kept):
            c.ws.transport.abort()
        await web.close()
        print("HTTPS host-meta, wss:// login and chat; silent peers closed by Beast's pings")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
