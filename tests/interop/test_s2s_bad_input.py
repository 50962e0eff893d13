#!/usr/bin/python3
"""Hostile and mistaken input on the s2s port (RFC 6120 §4.9.3, §13; XEP-0220).

A raw socket plays b.localhost towards a.localhost (plaintext allowed there); the real
b.localhost chorusd, whose dialback secret the test knows, confirms the keys the raw socket
computes. Checked: a forged key is refused (type='invalid'); after a valid dialback a
stanza is routed; a 'from' outside the authenticated domain gets <invalid-from/>; an
oversized stanza gets <policy-violation/>; an unknown 'to' in the header gets
<host-unknown/>; a server that requires TLS refuses dialback before STARTTLS; a server
with the default policy (s2s.require_valid_certs) refuses a peer with a self-signed
certificate, and its user's message comes back as an error; past
s2s.max_incoming_per_ip streams from one address, a new connection is closed at once.
XEP-0288: a raw stream that asked for bidi gets alice's stanza for b.localhost once its key
is confirmed (checked over a verification link of a's), and <bidi/> after dialback gets
<policy-violation/>; on a pre-1.0 stream, which offers no features, <unsupported-stanza-type/>.
"""
import asyncio
import hashlib
import hmac
import re
import socket
import sys
import time

import harness

STREAMS = "http://etherx.jabber.org/streams"
SECRET = "known-to-the-test"


class RawS2s:
    def __init__(self, port, frm="b.localhost", to="a.localhost", version=" version='1.0'"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.text = ""
        self.send(f"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                  f"xmlns:stream='{STREAMS}' xmlns:db='jabber:server:dialback' "
                  f"from='{frm}' to='{to}'{version}>")

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def read_until(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text, re.S)
            if m:
                return m
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.text += chunk.decode(errors="replace")
        m = re.search(pattern, self.text, re.S)
        assert m, f"no {pattern!r} in: {self.text[-600:]}"
        return m

    def stream_id(self):
        return self.read_until(r"<stream:stream[^>]*\bid='([^']+)'").group(1)

    def dialback(self, key=None, frm="b.localhost", to="a.localhost", bidi=False):
        sid = self.stream_id()
        self.read_until(r"</stream:features>")
        if bidi:
            assert "<bidi xmlns='urn:xmpp:features:bidi'/>" in self.text, self.text
            self.send("<bidi xmlns='urn:xmpp:bidi'/>")
        if key is None:
            secret = hashlib.sha256(SECRET.encode()).hexdigest().encode()
            key = hmac.new(secret, f"{to} {frm} {sid}".encode(), hashlib.sha256).hexdigest()
        self.send(f"<db:result from='{frm}' to='{to}'>{key}</db:result>")
        # with the db: prefix, as XEP-0220 writes it (ejabberd knows no other form)
        return self.read_until(r"<db:result[^>]*type='(\w+)'").group(1)

    def stream_error(self):
        return self.read_until(r"<stream:error><([a-z-]+)").group(1)

    def close(self):
        self.sock.close()


async def main():
    a_port, b_port = harness.free_port(), harness.free_port()
    a = harness.Server(users={"alice": "pw"}, domain="a.localhost",
                       config={"s2s.port": a_port, "s2s.require_valid_certs": False,
                               "s2s.require_tls": False, "limits.max_stanza_bytes": 10000,
                               "s2s.max_incoming_per_ip": 4,
                               "s2s.routes": [f"b.localhost=127.0.0.1:{b_port}"]})
    b = harness.Server(domain="b.localhost",
                       config={"s2s.port": b_port, "s2s.require_valid_certs": False,
                               "s2s.dialback_secret": SECRET,
                               "s2s.routes": [f"a.localhost=127.0.0.1:{a_port}"]})
    c = harness.Server(users={"carol": "pw"}, domain="c.localhost",
                       config={"s2s.port": 0, "s2s.routes": [f"a.localhost=127.0.0.1:{a_port}"]})
    with a, b, c:
        alice = await a.client("alice@a.localhost/phone", "pw")

        # First, while a has no link to b of its own: the bidi stream is the route back.
        two_way = RawS2s(a_port)
        assert two_way.dialback(bidi=True) == "valid"
        alice.send_message(mto="romeo@b.localhost/x", mbody="back over bidi", mtype="chat")
        await alice.barrier()  # the raw reads below block the loop that sends it
        got = two_way.read_until(r"<message [^>]*>.*?back over bidi.*?</message>").group(0)
        assert "from='alice@a.localhost/phone'" in got, got
        two_way.send("<bidi xmlns='urn:xmpp:bidi'/>")
        assert two_way.stream_error() == "policy-violation"
        two_way.close()
        legacy = RawS2s(a_port, version="")
        legacy.stream_id()
        legacy.send("<bidi xmlns='urn:xmpp:bidi'/>")
        assert legacy.stream_error() == "unsupported-stanza-type"
        legacy.close()

        forged = RawS2s(a_port)
        assert forged.dialback(key="00" * 32) == "invalid"
        forged.close()

        raw = RawS2s(a_port)
        assert raw.dialback() == "valid"
        raw.send("<message from='romeo@b.localhost/x' to='alice@a.localhost' type='chat'>"
                 "<body>hello over a raw link</body></message>")
        got = await alice.wait_for(lambda x: x.tag == "{jabber:client}message", timeout=10)
        assert got.find("{jabber:client}body").text == "hello over a raw link"
        assert got.get("from") == "romeo@b.localhost/x"
        raw.send("<message from='eve@c.localhost' to='alice@a.localhost'><body>x</body></message>")
        assert raw.stream_error() == "invalid-from"
        raw.close()

        big = RawS2s(a_port)
        assert big.dialback() == "valid"
        big.send("<message from='romeo@b.localhost' to='alice@a.localhost'><body>"
                 + "x" * 20000 + "</body></message>")
        assert big.stream_error() == "policy-violation"
        big.close()

        lost = RawS2s(a_port, to="nowhere.localhost")
        assert lost.stream_error() == "host-unknown"
        lost.close()

        plain = RawS2s(b_port, frm="a.localhost", to="b.localhost")
        plain.read_until(r"</stream:features>")
        assert "<required/>" in plain.text, "b.localhost requires STARTTLS"
        plain.send("<db:result from='a.localhost' to='b.localhost'>00</db:result>")
        assert plain.stream_error() == "policy-violation"
        plain.close()

        carol = await c.client("carol@c.localhost/pc", "pw")
        carol.send_message(mto="alice@a.localhost", mbody="over a self-signed link?")
        err = await carol.wait_for(lambda x: x.get("type") == "error", timeout=10)
        assert harness.stanza_error(err) == "remote-server-not-found", harness.ET.tostring(err)
        assert "certificate" in c.log_text()

        # s2s.max_incoming_per_ip (4): b.localhost's link and these raw streams share
        # 127.0.0.1, so a connection within the next few is refused (closed at once).
        held, refused = [], False
        for _ in range(6):
            try:
                r = RawS2s(a_port)
                r.read_until(r"<stream:stream", timeout=3)
                held.append(r)
            except (AssertionError, OSError):
                refused = True
                break
        for r in held:
            r.close()
        assert refused and len(held) <= 4, len(held)
        assert "s2s.max_incoming_per_ip" in a.log_text()

        await alice.barrier()
        assert a.alive() and b.alive() and c.alive()
    return 0


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 60)))
