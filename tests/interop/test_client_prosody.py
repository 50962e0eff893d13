#!/usr/bin/python3
"""chorus-client against Prosody (Debian's 0.12, no IM-NG): the fallback path.

The test starts its own Prosody on 127.0.0.1 (own config, data dir and self-signed
certificate; Prosody refuses root, so it runs as the prosody user through setpriv). Two
chorus-client devices of juliet log in (trust on first use), say they fall back to
Carbons + MAM, and converge with romeo (slixmpp) on the same history: juliet/phone
watches while romeo writes, juliet/laptop sends and is killed mid-watch (its XEP-0198
session is resumed by the next process), and at the end both histories are identical.
"""
import asyncio
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import harness

CLIENT = os.environ.get("CHORUS_CLIENT", "chorus-client")
PROSODY_USER = "prosody"


def prosody_config(tmp, port):
    return f"""
pidfile = "{tmp}/prosody.pid"
data_path = "{tmp}/data"
plugin_paths = {{}}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "carbons"; "mam"; "ping";
                    "smacks"; "presence"; "message"; "iq" }}
modules_disabled = {{ "s2s"; "http"; "admin_telnet"; "posix" }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
archive_expires_after = "never"
default_archive_policy = true
log = {{ debug = "{tmp}/prosody.log" }}
VirtualHost "localhost"
    ssl = {{ key = "{tmp}/key.pem"; certificate = "{tmp}/cert.pem" }}
"""


class Prosody:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="chorus-prosody-")
        self.port = harness.free_port()
        self.cfg = os.path.join(self.tmp, "prosody.cfg.lua")
        self.proc = None

    def as_prosody(self):
        return ["setpriv", f"--reuid={PROSODY_USER}", f"--regid={PROSODY_USER}",
                "--clear-groups"] if os.geteuid() == 0 else []

    def start(self, users):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", f"{self.tmp}/key.pem", "-out", f"{self.tmp}/cert.pem"],
                       check=True, capture_output=True)
        os.makedirs(f"{self.tmp}/data")
        with open(self.cfg, "w") as f:
            f.write(prosody_config(self.tmp, self.port))
        if os.geteuid() == 0:
            pw = pwd.getpwnam(PROSODY_USER)
            for root, dirs, files in os.walk(self.tmp):
                for name in [root, *[os.path.join(root, x) for x in dirs + files]]:
                    os.chown(name, pw.pw_uid, pw.pw_gid)
        for user, password in users.items():
            subprocess.run([*self.as_prosody(), "prosodyctl", "--config", self.cfg, "register",
                            user, "localhost", password], check=True, capture_output=True,
                           timeout=30)
        self.proc = subprocess.Popen([*self.as_prosody(), "prosody", "--config", self.cfg, "-F"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                import socket
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("prosody did not start:\n" + self.log_tail())

    def log_tail(self):
        try:
            with open(f"{self.tmp}/prosody.log") as f:
                return "".join(f.readlines()[-40:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not os.environ.get("CHORUS_INTEROP_DEBUG"):
            shutil.rmtree(self.tmp, ignore_errors=True)


async def cli(profile, *args, password=None, timeout=30):
    env = dict(os.environ)
    if password:
        env["CHORUS_PASSWORD"] = password
    proc = await asyncio.create_subprocess_exec(
        CLIENT, "--profile", profile, *args, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def main():
    if shutil.which("prosody") is None:
        print("prosody is not installed: skipped")
        return
    prosody = Prosody()
    tmp = tempfile.mkdtemp(prefix="chorus-client-prosody-")
    try:
        prosody.start({"juliet": "pw", "romeo": "pw2"})
        phone, laptop = os.path.join(tmp, "phone"), os.path.join(tmp, "laptop")
        for profile, name in ((phone, "phone"), (laptop, "laptop")):
            rc, out, err = await cli(profile, "login", f"juliet@localhost/{name}", "--host",
                                     "127.0.0.1", "--port", str(prosody.port),
                                     "--trust-on-first-use", "--json", password="pw")
            assert rc == 0, f"login: {out} {err}\n{prosody.log_tail()}"
            assert json.loads(out)["mode"] == "fallback", out
            assert "does not offer IM-NG" in err and "Carbons" in err, err
        rc, out, err = await cli(phone, "login", "juliet@localhost/phone", "--host", "127.0.0.1",
                                 "--port", str(prosody.port), "--json", password="wrong")
        assert rc != 0 and json.loads(out)["error"] == "certificate", out  # no TOFU: refused

        romeo = harness.Client("romeo@localhost/pc", "pw2")
        await harness.login(romeo, prosody.port)
        watch = await asyncio.create_subprocess_exec(
            CLIENT, "--profile", phone, "watch", "--json", "--timeout", "60",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(1.5)
        for i in range(3):
            romeo.send_message(mto="juliet@localhost", mbody=f"romeo {i}", mtype="chat")
        await romeo.barrier()
        for i in range(2):
            rc, out, err = await cli(laptop, "send", "romeo@localhost", f"laptop {i}", "--json")
            assert rc == 0, f"send: {out} {err}"
            assert json.loads(out)["stanza_id"], out
        # The phone prints what arrives, romeo's messages and the laptop's (Carbons + MAM).
        seen = set()
        deadline = time.monotonic() + 15
        while len(seen) < 5 and time.monotonic() < deadline:
            line = await asyncio.wait_for(watch.stdout.readline(), 15)
            if line:
                seen.add(json.loads(line)["body"])
        assert seen == {"romeo 0", "romeo 1", "romeo 2", "laptop 0", "laptop 1"}, seen
        watch.kill()  # the next process resumes the SM session or binds anew
        await watch.wait()
        romeo.send_message(mto="juliet@localhost", mbody="romeo late", mtype="chat")
        await romeo.barrier()
        histories = []
        for profile in (phone, laptop):
            rc, out, err = await cli(profile, "sync", "--json")
            assert rc == 0, f"sync: {out} {err}"
            rc, out, err = await cli(profile, "history", "--json")
            histories.append([(m["stanza_id"], m["body"]) for m in json.loads(out)])
        assert histories[0] == histories[1], histories
        bodies = sorted(b for _, b in histories[0])
        assert bodies == sorted(["romeo 0", "romeo 1", "romeo 2", "laptop 0", "laptop 1",
                                 "romeo late"]), bodies
        await romeo.close()
        print("prosody fallback: histories identical,", len(bodies), "messages")
    finally:
        prosody.stop()
        if not os.environ.get("CHORUS_INTEROP_DEBUG"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(harness.run(main()))
