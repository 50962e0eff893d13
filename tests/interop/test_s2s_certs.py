#!/usr/bin/python3
"""Federation authenticated by certificates: SASL EXTERNAL (RFC 6120 §6.4, XEP-0178).

The script makes a throwaway CA with the openssl CLI and issues a.localhost a certificate
with a DNS-ID and b.localhost one whose only identity is an SRV-ID
(_xmpp-server.b.localhost, RFC 4985; its CN names nothing). Both servers trust the CA
through s2s.ca_file and keep the default s2s.require_valid_certs = true. Checked: chats
both ways over A's link, authenticated by SASL EXTERNAL, which B uses back (XEP-0288 bidi:
B's stanzas may flow once A's restarted stream is open; log lines and `chorusctl s2s`), and
a message to c.localhost, whose certificate is self-signed, bounces with
remote-server-not-found (the link is refused).
"""
import asyncio
import os
import sys
import subprocess

import harness
from test_s2s import Watch, device, message

A, B, C = "a.localhost", "b.localhost", "c.localhost"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def make_pki(tmp, subjects=None):
    """A throwaway CA and a certificate from it per (name, CN, subjectAltName)."""
    subjects = subjects or ((A, A, f"DNS:{A}"),
                            (B, "B server", f"otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.{B}"))
    ca_key, ca_crt = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.crt")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=Chorus test CA",
            "-keyout", ca_key, "-out", ca_crt)
    out = {}
    for name, cn, san in subjects:
        key, csr, crt, ext = (os.path.join(tmp, f"{name}.{x}") for x in ("key", "csr", "crt", "ext"))
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\n")
        openssl("req", *ec, "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                "-days", "2", "-extfile", ext, "-out", crt)
        out[name] = (crt, key)
    return ca_crt, out


def link_up_line(server, local, remote):
    for line in server.log_text().splitlines():
        if f"s2s {local} -> {remote}: link up" in line:
            return line
    raise AssertionError(f"no 'link up' for {local} -> {remote} in:\n{server.log_tail()}")


async def main():
    ports = {d: harness.free_port() for d in (A, B, C)}
    routes = [f"{d}=127.0.0.1:{p}" for d, p in ports.items()]
    pki = harness.Server(domain="unused")  # only for its temp dir
    ca, certs = make_pki(pki.tmp)

    def server(domain, user, **extra):
        config = {"s2s.port": ports[domain], "s2s.routes": routes, "s2s.connect_timeout": 5,
                  "s2s.ca_file": ca, **extra}
        if domain in certs:
            config.update({"tls.certificate": certs[domain][0], "tls.private_key": certs[domain][1]})
        return harness.Server(users={user: "pw"}, domain=domain, config=config)

    a, b, c = server(A, "alice"), server(B, "bob"), server(C, "carol")
    try:
        with a, b, c:
            alice = await device(a, f"alice@{A}/pc", "pw")
            bob = await device(b, f"bob@{B}/pc", "pw")

            w = Watch(bob)
            alice.send_message(mto=f"bob@{B}", mbody="certified", mtype="chat")
            await w.expect(message("certified"), timeout=15)
            w = Watch(alice)
            bob.send_message(mto=f"alice@{A}", mbody="certified too", mtype="chat")
            await w.expect(message("certified too"), timeout=15)

            up = link_up_line(a, A, B)
            assert "SASL EXTERNAL" in up and "bidi" in up and "dialback" not in up, up
            assert f"{A} authenticated by SASL EXTERNAL" in b.log_text()
            assert f"s2s {B} -> {A}: over the bidi stream" in b.log_text(), b.log_tail()
            assert f"s2s {B} -> {A}: link up" not in b.log_text(), "B needs no link of its own"

            listing = a.ctl("s2s", "--url", f"http://127.0.0.1:{a.http_port}/admin/s2s")
            assert listing.returncode == 0, listing.stderr
            rows = [r.split() for r in listing.stdout.splitlines()[1:]]
            assert [r[:3] for r in rows] == [["out", A, B]], listing.stdout
            assert "EXTERNAL" in listing.stdout and " yes " in listing.stdout, listing.stdout

            # c.localhost has a self-signed certificate: refused, the message bounces.
            w = Watch(alice)
            alice.send_message(mto=f"carol@{C}", mbody="untrusted", mtype="chat")

            def bounced(x):
                return (x.get("type") == "error" and x.get("from") == f"carol@{C}" and
                        harness.stanza_error(x) == "remote-server-not-found")
            bounced.what = "remote-server-not-found from the untrusted c.localhost"
            await w.expect(bounced, timeout=10)
            assert "has no valid certificate" in a.log_text()
    finally:
        pki.cleanup()


if __name__ == "__main__":
    sys.exit(harness.run(asyncio.wait_for(main(), 60)))
