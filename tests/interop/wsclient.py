"""wsclient: a small RFC 7395 client (XMPP over WebSocket) for interop tests and bench.

    ws = await wsclient.connect(server.http_port)            # subprotocol 'xmpp'
    features = await ws.open()                               # <open/>, returns <stream:features>
    await ws.login("juliet", "pw", resource="web")           # SCRAM-SHA-1, <open/> again, bind
    await ws.send("<presence xmlns='jabber:client'/>")
    msg = await ws.wait_tag("{jabber:client}message")        # next unconsumed match (etree)
    await ws.close()                                         # <close/>, then the WebSocket close

Each message the server sends must be exactly one element (RFC 7395 §3.3.3); the client
asserts so. Uses Debian's python3-websockets.
"""
import asyncio
import base64
import hashlib
import hmac
import itertools
import secrets
import xml.etree.ElementTree as ET

import websockets

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
STREAMS = "http://etherx.jabber.org/streams"


class WsClient:
    _ids = itertools.count(1)

    def __init__(self, ws, domain):
        self.ws = ws
        self.domain = domain
        self.received = []   # every element received, in order
        self._unconsumed = []
        self.jid = None

    async def send(self, text):
        await self.ws.send(text)

    async def _next(self, timeout):
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        elem = ET.fromstring(text)  # raises unless the message is one element
        self.received.append(elem)
        return elem

    async def wait_for(self, predicate, timeout=10):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for i, elem in enumerate(self._unconsumed):
            if predicate(elem):
                return self._unconsumed.pop(i)
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError("no matching element")
            elem = await self._next(left)
            if predicate(elem):
                return elem
            self._unconsumed.append(elem)

    async def wait_tag(self, tag, timeout=10):
        return await self.wait_for(lambda e: e.tag == tag, timeout)

    async def open(self):
        await self.send(f"<open xmlns='{FRAMING}' to='{self.domain}' version='1.0'/>")
        opened = await self.wait_tag(f"{{{FRAMING}}}open")
        assert opened.get("version") == "1.0" and opened.get("id"), ET.tostring(opened)
        return await self.wait_tag(f"{{{STREAMS}}}features")

    async def authenticate(self, user, password):
        """SCRAM-SHA-1 (what Strophe.js/Converse.js use); None on success, else the
        failure's condition."""
        nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        first_bare = f"n={user},r={nonce}"
        await self.send(f"<auth xmlns='{SASL}' mechanism='SCRAM-SHA-1'>"
                        f"{base64.b64encode(('n,,' + first_bare).encode()).decode()}</auth>")
        reply = await self.wait_for(lambda e: e.tag.startswith(f"{{{SASL}}}"))
        if not reply.tag.endswith("}challenge"):
            return reply[0].tag.split("}")[1] if len(reply) else "unexpected"
        server_first = base64.b64decode(reply.text).decode()
        fields = dict(kv.split("=", 1) for kv in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha1", password.encode(), base64.b64decode(fields["s"]),
                                     int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
        stored_key = hashlib.sha1(client_key).digest()
        final_bare = f"c=biws,r={fields['r']}"
        auth_message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha1).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = f"{final_bare},p={base64.b64encode(proof).decode()}"
        await self.send(f"<response xmlns='{SASL}'>"
                        f"{base64.b64encode(final.encode()).decode()}</response>")
        reply = await self.wait_for(lambda e: e.tag.startswith(f"{{{SASL}}}"))
        if reply.tag.endswith("}success"):
            return None
        return reply[0].tag.split("}")[1] if len(reply) else "unexpected"

    async def request(self, payload, type="get", to=None, timeout=10):
        rid = f"ws{next(self._ids)}"
        to_attr = f" to='{to}'" if to else ""
        await self.send(f"<iq xmlns='jabber:client' type='{type}' id='{rid}'{to_attr}>"
                        f"{payload}</iq>")
        return await self.wait_for(lambda e: e.tag == "{jabber:client}iq" and e.get("id") == rid,
                                   timeout)

    async def login(self, user, password, resource="web"):
        features = await self.open()
        mechs = [m.text for m in features.iter(f"{{{SASL}}}mechanism")]
        assert "SCRAM-SHA-1" in mechs, f"mechanisms offered: {mechs}"
        failure = await self.authenticate(user, password)
        if failure:
            raise AssertionError(f"SASL failed: {failure}")
        await self.open()
        reply = await self.request(f"<bind xmlns='{BIND}'><resource>{resource}</resource></bind>",
                                   type="set")
        self.jid = reply.find(f"{{{BIND}}}bind/{{{BIND}}}jid").text
        return self.jid

    async def close(self, timeout=5):
        """<close/>; waits for the server's <close/> and the end of the WebSocket."""
        await self.send(f"<close xmlns='{FRAMING}'/>")
        try:
            await self.wait_tag(f"{{{FRAMING}}}close", timeout)
            await asyncio.wait_for(self.ws.wait_closed(), timeout)
        finally:
            await self.ws.close()


async def connect(port, domain="localhost", headers=None, host="127.0.0.1"):
    ws = await websockets.connect(f"ws://{host}:{port}/xmpp-websocket", subprotocols=["xmpp"],
                                  extra_headers=headers or {}, open_timeout=10,
                                  max_size=2 ** 20)
    assert ws.subprotocol == "xmpp", ws.subprotocol
    return WsClient(ws, domain)
