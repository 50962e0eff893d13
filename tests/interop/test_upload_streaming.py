#!/usr/bin/python3
"""XEP-0363 uploads stream through the disk, never through memory.

A 20 MiB file is PUT and read back byte for byte (whole and a range) while chorusd's peak
RSS (VmHWM) grows by far less than the file; a PUT whose URL is tampered with, or whose
Content-Length exceeds the signed size, is answered from its header before any body is
sent.
"""
import hashlib
import http.client
import socket
import sys
import urllib.parse
import xml.etree.ElementTree as ET

import harness

UPLOAD = "urn:xmpp:http:upload:0"
SIZE = 20 * 1024 * 1024
MiB = 1024 * 1024


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def slot(raw, name, size):
    reply = raw.request(f"<request xmlns='{UPLOAD}' filename='{name}' size='{size}' "
                        "content-type='application/octet-stream'/>", to="upload.localhost")
    s = reply.find(f"{{{UPLOAD}}}slot")
    assert s is not None, ET.tostring(reply)
    return s.find(f"{{{UPLOAD}}}put").get("url"), s.find(f"{{{UPLOAD}}}get").get("url")


def connection(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=20), \
        u.path + ("?" + u.query if u.query else "")


def put_streamed(url, size, seed):
    """PUTs size bytes made from seed in 1 MiB pieces; returns (status, sha256)."""
    conn, target = connection(url)
    conn.putrequest("PUT", target)
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    digest = hashlib.sha256()
    piece = hashlib.sha256(seed).digest() * (MiB // 32)
    sent = 0
    while sent < size:
        chunk = piece[:min(MiB, size - sent)]
        conn.send(chunk)
        digest.update(chunk)
        sent += len(chunk)
    status = conn.getresponse().status
    conn.close()
    return status, digest.hexdigest()


def get(url, headers=None):
    conn, target = connection(url)
    conn.request("GET", target, headers=headers or {})
    r = conn.getresponse()
    digest, n = hashlib.sha256(), 0
    while chunk := r.read(MiB):
        digest.update(chunk)
        n += len(chunk)
    conn.close()
    return r.status, dict(r.headers), n, digest.hexdigest()


def header_only_put(url, length):
    """Sends a PUT's header with Content-Length but no body; the answer's status line."""
    u = urllib.parse.urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        s.sendall((f"PUT {u.path}?{u.query} HTTP/1.1\r\nHost: {u.hostname}\r\n"
                   f"Content-Length: {length}\r\n\r\n").encode())
        answer = s.recv(4096).decode("latin-1")
    return answer.split("\r\n", 1)[0]


def main():
    config = {"upload.max_file_size": 64 * MiB, "upload.quota_per_user": 256 * MiB}
    with harness.Server(users={"juliet": "pw1"}, config=config) as server:
        raw = server.raw_login("juliet", "pw1", resource="r")
        put, get_url = slot(raw, "big.bin", SIZE)
        before = vm_hwm_kib(server.proc.pid)
        status, sent_hash = put_streamed(put, SIZE, b"chorus")
        assert status == 201, status
        status, headers, n, got_hash = get(get_url)
        assert status == 200 and n == SIZE and got_hash == sent_hash, (status, n)
        assert headers["Content-Length"] == str(SIZE)
        grown = vm_hwm_kib(server.proc.pid) - before
        # The old path held the body twice (parser + file write); streaming holds 64 KiB.
        assert grown < 8 * 1024, f"chorusd's peak RSS grew by {grown} KiB for a 20 MiB file"

        # A range in the middle, across a 1 MiB piece boundary.
        piece = hashlib.sha256(b"chorus").digest() * (MiB // 32)
        first, last = MiB - 100, MiB + 99
        status, headers, n, got_hash = get(get_url, {"Range": f"bytes={first}-{last}"})
        want = (piece + piece)[first:last + 1]
        assert status == 206 and n == 200 and got_hash == hashlib.sha256(want).hexdigest()
        assert headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"

        # Refused from the header alone: the body is never sent, yet the answer comes.
        put2, _ = slot(raw, "second.bin", SIZE)
        tampered = put2.replace(f"&n={SIZE}&", f"&n={SIZE * 50}&")  # a forged larger size
        assert tampered != put2, put2
        assert header_only_put(tampered, SIZE * 50).startswith("HTTP/1.1 403"), tampered
        assert header_only_put(put2, SIZE + 1).startswith("HTTP/1.1 413")
        assert header_only_put(put2, 1 << 40).startswith("HTTP/1.1 413")
        # The slot is still usable after the refusals.
        assert put_streamed(put2, SIZE, b"two")[0] == 201
        assert raw.ping()
        print(f"20 MiB PUT/GET streamed (peak RSS +{grown} KiB), range, header-only refusals")


if __name__ == "__main__":
    sys.exit(main())
