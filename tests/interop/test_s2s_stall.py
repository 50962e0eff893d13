#!/usr/bin/python3
"""No silent loss on a federation link that stops reading (RFC 6120 §10.4.3, issue 17).

A raw socket plays the receiving server stall.example for a.localhost (plaintext allowed
there): it answers the dialback key 'valid' at once, then reads nothing, with a tiny
receive buffer. alice sends large messages to it until errors come back: chorusd cuts the
link once its queue passes 4 x limits.write_high_watermark and bounces every stanza the
socket did not take with <remote-server-timeout/>. The raw peer then reads what reached
it; every message was either received or bounced (none lost).
"""
import asyncio
import re
import socket
import sys
import threading
import time

import harness

STREAMS = "http://etherx.jabber.org/streams"
PEER = "stall.example"


class StallingPeer:
    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(20)
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.conn = None
        self.text = ""
        self.thread = threading.Thread(target=self._handshake, daemon=True)
        self.thread.start()

    def _read_until(self, pattern, timeout=15):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text) and time.monotonic() < deadline:
            chunk = self.conn.recv(4096)
            if not chunk:
                break
            self.text += chunk.decode(errors="replace")

    def _handshake(self):
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(15)
        self._read_until(r"<stream:stream[^>]*>")
        self.conn.sendall(f"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                          f"xmlns:stream='{STREAMS}' xmlns:db='jabber:server:dialback' "
                          f"from='{PEER}' to='a.localhost' id='stall1' version='1.0'>"
                          f"<stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
                          f"</stream:features>".encode())
        self._read_until(r"</(?:db:)?result>")
        self.conn.sendall(f"<db:result from='{PEER}' to='a.localhost' type='valid'/>".encode())
        self.up.set()  # and read nothing more until drain()

    def drain(self, timeout=10):
        """Reads everything that reached us (until the link's end); counts whole messages."""
        deadline = time.monotonic() + timeout
        self.conn.settimeout(1)
        while time.monotonic() < deadline:
            try:
                chunk = self.conn.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            self.text += chunk.decode(errors="replace")
        return self.text.count("</message>")


async def main():
    peer = StallingPeer()
    a = harness.Server(users={"alice": "pw"}, domain="a.localhost",
                       config={"s2s.require_valid_certs": False, "s2s.require_tls": False,
                               "s2s.connect_timeout": 3,
                               "limits.write_high_watermark": 32768,
                               "limits.max_stanza_bytes": 100000,
                               "s2s.routes": [f"{PEER}=127.0.0.1:{peer.port}"]})
    with a:
        alice = await a.client("alice@a.localhost/pc", "pw")
        body = "x" * 60000
        alice.send_message(mto=f"bob@{PEER}", mbody="first", mtype="chat")
        assert await asyncio.get_running_loop().run_in_executor(None, peer.up.wait, 20)

        def errors():
            return [x for x in alice.received if x.get("type") == "error"]
        sent = 1
        deadline = time.monotonic() + 20
        while not errors() and sent < 200 and time.monotonic() < deadline:
            alice.send_message(mto=f"bob@{PEER}", mbody=body, mtype="chat")
            sent += 1
            await asyncio.sleep(0.01)
        assert errors(), f"no bounce after {sent} messages:\n{a.log_tail()}"
        await alice.barrier()
        # What was sent after the cut went to a new link that the peer never accepts: it
        # bounces after s2s.connect_timeout.
        await asyncio.sleep(4)
        bounced = errors()
        assert all(harness.stanza_error(x) == "remote-server-timeout" for x in bounced)
        assert "peer not reading" in a.log_text()

        received = await asyncio.get_running_loop().run_in_executor(None, peer.drain)
        # A stanza half-written when the link was cut may count on both sides; none on neither.
        print(f"sent {sent}, received by the peer {received}, bounced {len(bounced)}")
        assert received + len(bounced) >= sent, (received, len(bounced), sent)
        assert a.alive()
    return 0


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 60)))
