#!/usr/bin/python3
"""chorus-client on the command line: clear errors (wrong password, unknown host, bad JID,
untrusted certificate, no profile) with exit codes and --json, never a stack trace; login
over direct TLS (XEP-0368) with SCRAM-SHA-256-PLUS; --no-imng says it falls back; roster; send to a full JID
still goes to the bare JID (ROUTING.md "Client side")."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import harness

CLIENT = os.environ.get("CHORUS_CLIENT", "chorus-client")


def cli(profile, *args, password=None):
    env = dict(os.environ)
    env.pop("CHORUS_PASSWORD", None)
    if password is not None:
        env["CHORUS_PASSWORD"] = password
    r = subprocess.run([CLIENT, "--profile", profile, *args], capture_output=True, text=True,
                       timeout=30, env=env, stdin=subprocess.DEVNULL)
    assert "Traceback" not in r.stderr and "terminate called" not in r.stderr, r.stderr
    return r


async def main():
    tmp = tempfile.mkdtemp(prefix="chorus-client-cli-")
    try:
        async with harness.Server(users={"juliet": "pw", "romeo": "pw2"},
                                  direct_tls=True) as server:
            p = os.path.join(tmp, "phone")
            common = ["--host", "127.0.0.1", "--port", str(server.c2s_port)]
            r = cli(p, "login", "juliet@localhost/phone", *common, "--trust-on-first-use",
                    "--json", password="nope")
            assert r.returncode == 3 and json.loads(r.stdout)["error"] == "auth", r
            r = cli(p, "login", "juliet@localhost/phone", *common, password="nope")
            assert r.returncode == 1 and "not trusted" in r.stderr, r  # checked before SASL
            assert "--trust-on-first-use" in r.stderr, r.stderr
            r = cli(p, "login", "juliet@no-such-host.invalid/x", "--trust-on-first-use",
                    "--json", password="pw")
            assert json.loads(r.stdout)["error"] == "unknown-host", r
            r = cli(p, "login", "juliet@@localhost", password="pw")
            assert r.returncode == 2 and "not a valid account JID" in r.stderr, r
            r = cli(os.path.join(tmp, "none"), "history")
            assert r.returncode == 2 and "login" in r.stderr, r

            r = cli(p, "login", "juliet@localhost/phone", "--host", "127.0.0.1", "--port",
                    str(server.direct_tls_port), "--direct-tls", "--trust-on-first-use", "--json",
                    password="pw")
            assert r.returncode == 0, r
            info = json.loads(r.stdout)
            assert info["mode"] == "imng" and info["mechanism"] == "SCRAM-SHA-256-PLUS", info
            assert "pinned" in r.stderr, r.stderr
            r = cli(os.path.join(tmp, "legacy"), "login", "juliet@localhost/legacy", *common,
                    "--trust-on-first-use", "--no-imng", "--json", password="pw")
            assert r.returncode == 0 and json.loads(r.stdout)["mode"] == "fallback", r
            assert "IM-NG is switched off in this profile" in r.stderr, r.stderr
            r = cli(p, "send", "not a jid", "x")
            assert r.returncode == 2, r
            r = cli(p, "roster", "--add", "romeo@localhost", "--json")
            assert r.returncode == 0, r
            assert {"jid": "romeo@localhost", "subscription": "none"} in json.loads(r.stdout), r
            romeo = await server.client("romeo@localhost/pc", "pw2")
            r = cli(p, "send", "romeo@localhost/pc", "to the bare JID", "--json")
            assert r.returncode == 0, r
            sent = json.loads(r.stdout)
            assert sent["peer"] == "romeo@localhost" and sent["direction"] == "out", sent
            msg = await romeo.wait_for(lambda x: x.tag == "{jabber:client}message" and
                                       x.findtext("{jabber:client}body") == "to the bare JID")
            assert msg.get("to") == "romeo@localhost", msg.get("to")
            r = cli(p, "history", "romeo@localhost")
            assert r.returncode == 0 and sent["stanza_id"] in r.stdout, r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(harness.run(main()))
