#!/usr/bin/python3
"""/metrics (Prometheus text format) and `chorusctl stats`: promtool accepts the page, and
the counters move as a scenario runs (logins ok and failed, stanzas by kind, messages by
ROUTING.md row, fan-out, archive commits, SM, TLS, WebSocket, errors by condition)."""
import asyncio
import re
import shutil
import subprocess
import sys
import urllib.request

import harness
import wsclient


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def promtool_check(text):
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is installed by install-deps"
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, f"promtool: {r.stdout}{r.stderr}"


async def main():
    async with harness.Server(users={"juliet": "pw1", "romeo": "pw2"}) as server:
        before = scrape(server.http_port)
        promtool_check(before)
        b = samples(before)

        phone = await server.client("juliet@localhost/phone", "pw1")
        romeo = await server.client("romeo@localhost/pc", "pw2")
        bad = server.raw()
        bad.open_stream()
        bad.starttls()
        assert bad.authenticate("romeo", "wrong") == "not-authorized"
        bad.close()
        for i in range(5):
            romeo.send_message(mto="juliet@localhost", mbody=f"m{i}", mtype="chat")
        await romeo.barrier()
        for _ in range(100):  # bounded: the messages wait for the archive's commit
            if len([m for m in phone.inbox if m.tag == "{jabber:client}message"]) >= 5:
                break
            await asyncio.sleep(0.05)
        raw = server.raw_login("juliet", "pw1", resource="raw")
        raw.request("<query xmlns='urn:xmpp:nothing'/>", to="localhost")  # an error
        web = await wsclient.connect(server.http_port, headers={"X-Forwarded-Proto": "https"})
        await web.login("juliet", "pw1", resource="web")
        await web.send("<enable xmlns='urn:xmpp:sm:3'/>")
        await web.wait_tag("{urn:xmpp:sm:3}enabled")
        await romeo.barrier()

        after = scrape(server.http_port)
        promtool_check(after)
        a = samples(after)

        def moved(name, at_least=1):
            got = a.get(name, 0) - b.get(name, 0)
            assert got >= at_least, f"{name}: moved by {got}, wanted {at_least}"

        moved("chorus_logins_total", 4)
        moved("chorus_login_failures_total", 1)
        moved('chorus_messages_total{row="R1"}', 5)
        moved('chorus_messages_total{row="O1"}', 5)
        moved("chorus_fanout_copies_total", 5)
        moved('chorus_stanzas_in_total{kind="message"}', 5)
        moved('chorus_stanzas_out_total{kind="message"}', 5)
        moved('chorus_stanzas_in_total{kind="presence"}', 2)
        moved("chorus_archive_commit_seconds_count", 1)
        moved("chorus_tls_handshakes_total", 3)
        moved("chorus_sm_enabled_total", 1)
        moved("chorus_websocket_upgrades_total", 1)
        moved('chorus_stanza_errors_total{condition="service-unavailable"}', 1)
        assert a['chorus_sessions{transport="tls",state="bound"}'] == 3, after
        assert a['chorus_sessions{transport="websocket",state="bound"}'] == 1
        assert a["chorus_bound_sessions"] == 4

        # chorusctl stats: the same numbers, for a person.
        r = server.ctl("stats", "--url", f"http://127.0.0.1:{server.http_port}/metrics")
        assert r.returncode == 0, r.stderr
        assert re.search(r"row=\"R1\"\s+\d+", r.stdout), r.stdout
        assert "SASL authentications that succeeded" in r.stdout, r.stdout
        await web.close()
        raw.close()
        print("metrics: promtool accepts the page; the counters move; chorusctl stats prints")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
