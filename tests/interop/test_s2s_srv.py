#!/usr/bin/python3
"""Federation found through DNS SRV only (RFC 6120 §3.2.1, XEP-0368), no static route.

The script re-runs itself in private network and mount namespaces whose /etc/resolv.conf
names a DNS stub (dns_stub.netns_reexec). The stub publishes a.interop under
_xmpp-server._tcp (STARTTLS) and b.interop under _xmpps-server._tcp only (direct TLS on
B's s2s port, which tells a ClientHello from a stream header), and says "no service" (SRV
target ".") for c.interop. Checked: chats both ways, A's link to B is direct TLS and B's
link to A is STARTTLS (their "link up" log lines), and a
message to c.interop bounces with remote-server-not-found at once.
"""
import asyncio
import sys

import dns_stub

if __name__ == "__main__":
    dns_stub.netns_reexec()

import harness  # noqa: E402 (after the namespace switch)
from test_s2s import Watch, device, message  # noqa: E402

A, B, C = "a.interop", "b.interop", "c.interop"
ALICE, BOB = f"alice@{A}", f"bob@{B}"


def link_up_line(server, local, remote):
    for line in server.log_text().splitlines():
        if f"s2s {local} -> {remote}: link up" in line:
            return line
    raise AssertionError(f"no 'link up' for {local} -> {remote} in:\n{server.log_tail()}")


async def main():
    a_port, b_port = harness.free_port(), harness.free_port()
    stub = dns_stub.DnsStub({A: {"xmpp": a_port}, B: {"xmpps": b_port}}).start()
    stub.unavailable = {C}

    def config(port, **extra):
        return {"s2s.port": port, "s2s.require_valid_certs": False, "s2s.connect_timeout": 5,
                **extra}

    a = harness.Server(users={"alice": "pw-a"}, domain=A, config=config(a_port))
    # B without XEP-0288: its answer takes a link of its own, found by A's SRV record.
    b = harness.Server(users={"bob": "pw-b"}, domain=B,
                       config=config(b_port, **{"s2s.bidi": False}))
    try:
        with a, b:
            alice = await device(a, f"{ALICE}/pc", "pw-a")
            bob = await device(b, f"{BOB}/pc", "pw-b")

            w = Watch(bob)
            alice.send_message(mto=BOB, mbody="over srv", mtype="chat")
            await w.expect(message("over srv"), timeout=15)
            w = Watch(alice)
            bob.send_message(mto=ALICE, mbody="and back", mtype="chat")
            await w.expect(message("and back"), timeout=15)

            assert "TLS direct" in link_up_line(a, A, B), link_up_line(a, A, B)
            assert "TLS starttls" in link_up_line(b, B, A), link_up_line(b, B, A)

            w = Watch(alice)
            alice.send_message(mto=f"carol@{C}", mbody="nobody", mtype="chat")

            def bounced(x):
                return (x.get("type") == "error" and x.get("from") == f"carol@{C}" and
                        harness.stanza_error(x) == "remote-server-not-found")
            bounced.what = "remote-server-not-found for c.interop"
            await w.expect(bounced, timeout=5)
    finally:
        stub.stop()


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 60)))
