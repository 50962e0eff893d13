"""dns_stub: a tiny authoritative DNS responder for federation tests (RFC 1035, RFC 2782).

Run inside a private network and mount namespace (see netns_reexec) whose /etc/resolv.conf
names 127.0.0.1, so a real peer (Prosody) finds our test domains without touching the
machine's own resolver:

    stub = dns_stub.DnsStub({"chorus.test": 5270})   # _xmpp-server._tcp SRV -> 127.0.0.1:5270
    stub.start(); ...; stub.stop()

A domain may instead map to {"xmpp": port, "xmpps": port} (either key optional): SRV
records for _xmpp-server._tcp and _xmpps-server._tcp (XEP-0368 direct TLS).

Every other name gets NXDOMAIN at once, so a resolver never waits for a timeout.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

SRV_PREFIXES = {"_xmpp-server._tcp.": "xmpp", "_xmpps-server._tcp.": "xmpps"}
TYPE_A, TYPE_SRV = 1, 33


def _name(data, offset):
    labels = []
    while offset < len(data):
        n = data[offset]
        offset += 1
        if n == 0:
            break
        labels.append(data[offset:offset + n].decode("ascii", "replace"))
        offset += n
    return ".".join(labels).lower(), offset


def _encode(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


class DnsStub:
    def __init__(self, servers, address="127.0.0.1"):
        self.servers = {d.lower(): p if isinstance(p, dict) else {"xmpp": p}
                        for d, p in servers.items()}  # domain -> {"xmpp"/"xmpps": port}
        self.address = address
        self.unavailable = set()  # domains whose SRV records say "no service" (target ".")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 53))
        self.sock.settimeout(0.2)
        self.running = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.running = True
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                self.sock.sendto(self.answer(data), peer)
            except (IndexError, struct.error, OSError):
                continue

    def answer(self, query):
        qid, qflags, qdcount = struct.unpack(">HHH", query[:6])
        name, end = _name(query, 12)
        qtype, _qclass = struct.unpack(">HH", query[end:end + 4])
        question = query[12:end + 4]
        answers = []
        srv = next(((kind, name[len(prefix):]) for prefix, kind in SRV_PREFIXES.items()
                    if name.startswith(prefix)), None)
        known = name in self.servers or (srv is not None and srv[1] in self.servers)
        if qtype == TYPE_SRV and srv and srv[1] in self.unavailable:
            known = True
            rdata = struct.pack(">HHH", 0, 0, 0) + b"\0"
            answers.append(struct.pack(">HHHIH", 0xC00C, TYPE_SRV, 1, 60, len(rdata)) + rdata)
        elif qtype == TYPE_SRV and srv and known and srv[0] in self.servers[srv[1]]:
            kind, domain = srv
            rdata = struct.pack(">HHH", 0, 0, self.servers[domain][kind]) + _encode(domain)
            answers.append(struct.pack(">HHHIH", 0xC00C, TYPE_SRV, 1, 60, len(rdata)) + rdata)
        elif qtype == TYPE_A and name in self.servers:
            rdata = socket.inet_aton(self.address)
            answers.append(struct.pack(">HHHIH", 0xC00C, TYPE_A, 1, 60, len(rdata)) + rdata)
        rcode = 0 if known else 3  # NXDOMAIN for names we do not serve
        # response, authoritative, the query's RD echoed (Erlang's inet_res, thus ejabberd,
        # drops an answer whose RD differs) and RA set
        flags = 0x8400 | (qflags & 0x0100) | 0x0080 | rcode
        header = struct.pack(">HHHHHH", qid, flags, min(qdcount, 1), len(answers), 0, 0)
        return header + question + b"".join(answers)


def netns_reexec(pid=False):
    """Runs this script again in private network and mount namespaces (loopback up, its
    own /etc/resolv.conf naming 127.0.0.1), unless it already runs in them. Returns only
    inside them. pid=True adds a PID namespace (and its /proc): whatever a peer leaves
    running (an Erlang VM's helpers) ends with the script."""
    if os.environ.get("CHORUS_TEST_NETNS") == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        fd, path = tempfile.mkstemp(prefix="chorus-resolv-")
        with os.fdopen(fd, "w") as f:
            f.write("nameserver 127.0.0.1\n")
        os.chmod(path, 0o644)
        subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"], check=True)
        os.unlink(path)  # the mount keeps the file; nothing is left in /tmp
        return
    env = dict(os.environ, CHORUS_TEST_NETNS="1")
    pid_ns = ["--pid", "--fork", "--mount-proc"] if pid else []
    done = subprocess.run(["unshare", "--mount", "--net", *pid_ns, "--", sys.executable,
                           *sys.argv], env=env)
    sys.exit(done.returncode)
