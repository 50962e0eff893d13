#!/usr/bin/python3
"""Bulk delivery over TLS: the server's TLS writes cut short by a full socket (partial
records, want_write, the backlog retried from a moved buffer) lose, repeat and reorder nothing.

juliet/balcony sends romeo 300 chat messages of about 16 KiB each (XML escapes and multi-byte
UTF-8 included) as fast as slixmpp queues them; romeo/orchard (STARTTLS), then romeo/laptop
(direct TLS, XEP-0368) must receive every one exactly once, in order, bodies intact. laptop
stops reading until all 300 are routed to it, so the server's socket to it is surely full and
about 6 MB wait in its queue (under the 8 MiB at which a session that does not read is cut).

Then the other way, record by record: romeo/pieces (a raw client whose TLS records the test
cuts) sends a ping record whole together with the start of a second one, so the server's
read-ahead holds part of a record once the first is answered; the rest follows, and the
second ping must be answered too.
"""
import asyncio
import random
import ssl
import sys

import harness

CLIENT = "{jabber:client}"
COUNT = 300
BODY_CHARS = 16 * 1024
# XML specials and multi-byte UTF-8 (two, three and four bytes), so escapes and characters
# fall across TLS record boundaries; no \r, which XML would normalize.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 <>&'\"\n\u00e9\u263a\U0001f3ad"


def body(index):
    rng = random.Random(index)
    return f"{index:03d}/" + "".join(rng.choice(ALPHABET) for _ in range(BODY_CHARS))


def index_of(message):
    text = message.findtext(CLIENT + "body") or ""
    return int(text[:3]) if text[:3].isdigit() and text[3:4] == "/" else None


async def flood(sender, receiver, expected, stalled=False):
    """sender writes expected to receiver's full JID; receiver must get exactly expected.
    stalled: the receiver reads nothing until the server has routed every message."""
    to = str(receiver.boundjid)
    receiver.inbox.clear()
    is_last = lambda x: x.tag == CLIENT + "message" and index_of(x) == COUNT - 1  # noqa: E731
    last = asyncio.ensure_future(receiver.wait_for(is_last, timeout=30))
    await asyncio.sleep(0)  # the waiter is registered before the first message can arrive
    if stalled:
        receiver.transport.pause_reading()
    for text in expected:
        sender.send_message(mto=to, mbody=text, mtype="chat")
    if stalled:
        await sender.barrier(timeout=20)  # all routed: queued for the receiver
        assert not [m for m in receiver.inbox if m.tag == CLIENT + "message"], "was not reading"
        receiver.transport.resume_reading()
    await last
    # Everything juliet sent has been routed, and everything routed to romeo delivered:
    # a duplicate or a straggler would be in the inbox by now.
    await sender.barrier(timeout=20)
    await receiver.barrier(timeout=20)
    messages = [m for m in receiver.inbox if m.tag == CLIENT + "message"]
    got = [index_of(m) for m in messages]
    assert got == list(range(COUNT)), (
        f"{to}: {len(got)} messages, first out of place at "
        f"{next((i for i, g in enumerate(got) if g != i), len(got))}")
    for i, m in enumerate(messages):
        assert m.get("from") == str(sender.boundjid), m.get("from")
        assert m.findtext(CLIENT + "body") == expected[i], f"{to}: body {i} differs"
    errors = [x for x in sender.received if x.get("type") == "error"]
    assert not errors, f"juliet got errors: {[harness.ET.tostring(e)[:200] for e in errors]}"
    assert not receiver.stream_errors and not sender.stream_errors


class RecordSocket:
    """A TLS client on a plain socket whose records the test can send in pieces; as a
    RawClient's sock it is used like the SSLSocket it replaces."""

    def __init__(self, sock, server_hostname):
        self.sock = sock
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing,
                                    server_hostname=server_hostname)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(self.outgoing.read())
                if not self._fill():
                    raise ConnectionError("closed during the TLS handshake")
        self.sock.sendall(self.outgoing.read())

    def _fill(self):
        data = self.sock.recv(65536)
        if data:
            self.incoming.write(data)
        return bool(data)

    def record(self, data):
        """data encrypted (one record when short), not sent."""
        self.tls.write(data.encode() if isinstance(data, str) else data)
        return self.outgoing.read()

    def sendall(self, data):
        self.sock.sendall(self.record(data))

    def recv(self, size):
        while True:
            try:
                return self.tls.read(size)
            except ssl.SSLWantReadError:
                if not self._fill():
                    return b""
            except ssl.SSLZeroReturnError:
                return b""

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    def close(self):
        self.sock.close()


def split_records(server):
    raw = harness.RawClient(server.direct_tls_port, domain=server.domain)
    server._raws.append(raw)  # closed with the server
    raw.sock = RecordSocket(raw.sock, server.domain)
    raw.tls = True
    assert raw.login("romeo", "pw2", resource="pieces", mechanism="PLAIN") == \
        "romeo@localhost/pieces"
    ping = "<iq type='get' id='{}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
    is_reply = lambda i: lambda e: e.get("id") == i and e.get("type") == "result"  # noqa: E731
    for cut in (1, 3, 5, 6, 40, -1):  # in the record header, right after it, in the body
        whole = raw.sock.record(ping.format(f"whole{cut}"))
        split = raw.sock.record(ping.format(f"split{cut}"))
        raw.sock.sock.sendall(whole + split[:cut])
        raw.wait_for(is_reply(f"whole{cut}"))
        raw.sock.sock.sendall(split[cut:])
        raw.wait_for(is_reply(f"split{cut}"))


async def main():
    expected = [body(i) for i in range(COUNT)]
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"},
                              direct_tls=True) as server:
        balcony = await server.client("juliet@localhost/balcony", "pw1")
        orchard = await server.client("romeo@localhost/orchard", "pw2")
        await flood(balcony, orchard, expected)
        print(f"STARTTLS: {COUNT} messages of {BODY_CHARS} characters, in order, intact")
        await orchard.close()

        laptop = await server.client("romeo@localhost/laptop", "pw2", direct_tls=True)
        await flood(balcony, laptop, expected, stalled=True)
        print(f"direct TLS: {COUNT} messages of {BODY_CHARS} characters, in order, intact")
        split_records(server)
        print("a record that arrives in two pieces is read once it is whole")
        assert server.alive()


if __name__ == "__main__":
    sys.exit(harness.run(main()))
