#!/usr/bin/python3
"""chorus-client (lib/client) interop: three devices of juliet and romeo on slixmpp.

Devices juliet/phone, juliet/laptop and juliet/tablet run `chorus-client watch` and
`chorus-client send` processes that are stopped (SIGTERM), killed (SIGKILL, leaving an SM
session to resume) and restarted at random (seeded, bounded) while romeo and juliet send.
At the end every device's `history --json` is the same list, equal to juliet's archive as
MAM gives it, with every confirmed message exactly once. A marked full-JID message (device
data, XEP-0409 §6) never shows up as IM. Then the same against a Chorus with IM-NG switched
off (modules_disabled = ["imng"]): the Carbons + MAM fallback converges too.
"""
import asyncio
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import harness

CLIENT = os.environ.get("CHORUS_CLIENT", "chorus-client")
SEED = int(os.environ.get("CHORUS_SEED", "409"))
STEPS = 22
DEVICES = ("phone", "laptop", "tablet")


class Device:
    def __init__(self, name, tmp, port):
        self.name = name
        self.profile = os.path.join(tmp, name)
        self.port = port
        self.proc = None
        self.log = open(os.path.join(tmp, name + ".log"), "ab")

    async def cli(self, *args, password=None, timeout=30):
        env = dict(os.environ)
        if password:
            env["CHORUS_PASSWORD"] = password
        proc = await asyncio.create_subprocess_exec(
            CLIENT, "--profile", self.profile, *args, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=self.log)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        return proc.returncode, out.decode()

    async def watch(self):
        self.proc = await asyncio.create_subprocess_exec(
            CLIENT, "--profile", self.profile, "watch", "--json", "--timeout", "120",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=self.log)

    async def stop(self, kill):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 10)
        if not kill:  # -SIGTERM: stopped before it installed its handler
            assert self.proc.returncode in (0, -signal.SIGTERM), \
                f"{self.name}: watch exited {self.proc.returncode}"
        self.proc = None


def archive(server):
    """juliet's archive through a raw MAM query, paged: [(stanza-id, body)]."""
    raw = server.raw_login("juliet", "pw", resource="audit")
    out, after = [], None
    for page in range(100):
        rsm = "<max>50</max>" + (f"<after>{after}</after>" if after else "")
        raw.send(f"<iq type='set' id='mam{page}'><query xmlns='urn:xmpp:mam:2' queryid='a{page}'>"
                 f"<set xmlns='http://jabber.org/protocol/rsm'>{rsm}</set></query></iq>")
        fin = raw.wait_for(lambda e: e.get("id") == f"mam{page}")
        for m in raw.unconsumed("{jabber:client}message"):
            raw._pending.remove(m)
            result = m.find("{urn:xmpp:mam:2}result")
            if result is None or result.get("queryid") != f"a{page}":
                continue
            inner = result.find("{urn:xmpp:forward:0}forwarded/{jabber:client}message")
            body = inner.find("{jabber:client}body")
            if body is not None:
                out.append((result.get("id"), body.text))
        f = fin.find("{urn:xmpp:mam:2}fin")
        last = f.find("{http://jabber.org/protocol/rsm}set/{http://jabber.org/protocol/rsm}last")
        if f.get("complete") == "true" or last is None:
            break
        after = last.text
    raw.close()
    return out


async def scenario(server, tmp, imng, rng):
    mode = "imng" if imng else "fallback"
    os.makedirs(os.path.join(tmp, mode), exist_ok=True)
    devices = [Device(n, os.path.join(tmp, mode), server.c2s_port) for n in DEVICES]
    for d in devices:
        args = ["login", f"juliet@localhost/{d.name}", "--host", "127.0.0.1", "--port",
                str(server.c2s_port), "--trust-on-first-use", "--json"]
        rc, out = await d.cli(*args, password="pw")
        assert rc == 0, f"login {d.name}: {rc} {out}"
        assert json.loads(out)["mode"] == mode, out
        if not imng:
            with open(d.log.name, "rb") as f:
                assert b"fallback: the server does not offer IM-NG" in f.read()
    romeo = await server.client(f"romeo@localhost/{mode}", "pw2")
    confirmed = []  # bodies the sender was told were delivered
    for step in range(STEPS):
        d = rng.choice(devices)
        action = rng.choice(["watch", "term", "kill", "send", "romeo", "romeo"])
        if action == "watch" and d.proc is None:
            await d.watch()
        elif action in ("term", "kill"):
            await d.stop(kill=action == "kill")
        elif action == "send":
            await d.stop(kill=rng.random() < 0.5)  # one process per device at a time
            body = f"{mode} juliet/{d.name} #{step}"
            rc, out = await d.cli("send", "romeo@localhost", body, "--json")
            assert rc == 0, f"send from {d.name}: {rc} {out}"
            assert json.loads(out)["stanza_id"], out
            confirmed.append(body)
        elif action == "romeo":
            body = f"{mode} romeo #{step}"
            romeo.send_message(mto="juliet@localhost", mbody=body, mtype="chat")
            await romeo.barrier()
            confirmed.append(body)
        await asyncio.sleep(rng.uniform(0, 0.3))
    if imng:
        # Device data: a marked message to one full JID is not IM (XEP-0409 §6).
        phone = devices[0]
        if phone.proc is None:
            await phone.watch()
        await devices[1].stop(kill=False)  # `devices` runs as laptop: one process per device
        await asyncio.sleep(1)  # the phone's watch is up
        for attempt in range(5):  # until the phone's watch is up
            rc, out = await devices[1].cli("devices", "--json")
            assert rc == 0, out
            listed = {x["jid"]: x for x in json.loads(out)}
            if listed.get("juliet@localhost/phone", {}).get("imng"):
                break
        assert listed["juliet@localhost/laptop"]["imng"] is True, listed
        assert listed["juliet@localhost/laptop"]["self"] is True, listed
        assert listed.get("juliet@localhost/phone", {}).get("imng") is True, listed
        msg = romeo.make_message(mto="juliet@localhost/phone", mbody="device data, not IM",
                                 mtype="chat")
        msg.xml.append(ET.Element("{urn:xmpp:im-ng:0}im-ng"))
        msg.send()
        await romeo.barrier()
        await asyncio.sleep(0.5)
    for d in devices:
        await d.stop(kill=False)
    histories = {}
    for d in devices:
        rc, out = await d.cli("sync", "--json")
        assert rc == 0, f"sync {d.name}: {out}"
        rc, out = await d.cli("history", "--json")
        assert rc == 0, out
        histories[d.name] = [(m["stanza_id"], m["body"]) for m in json.loads(out)]
    expected = [x for x in archive(server) if x[1].startswith(mode + " ")]
    for name, h in histories.items():
        mine = [x for x in h if x[1].startswith(mode + " ")]
        assert len(set(i for i, _ in mine)) == len(mine), f"{name}: a stanza-id twice"
        assert sorted(mine) == sorted(expected), \
            f"{name} differs from the archive:\n{mine}\n{expected}"
        assert mine == expected, f"{name}: same messages, another order:\n{mine}\n{expected}"
        assert all(b != "device data, not IM" for _, b in h), f"{name} kept device data as IM"
    bodies = [b for _, b in expected]
    for body in confirmed:
        assert bodies.count(body) == 1, f"{body!r} is in the archive {bodies.count(body)} times"
    # romeo got every message a juliet device confirmed
    deadline = time.monotonic() + 10
    want = {b for b in confirmed if "juliet/" in b}
    while time.monotonic() < deadline:
        got = {m.findtext("{jabber:client}body") for m in romeo.inbox}
        if want <= got:
            break
        await asyncio.sleep(0.1)
    assert want <= got, f"romeo missed {want - got}"
    print(f"{mode}: {len(expected)} messages, {len(confirmed)} confirmed, histories identical")
    await romeo.close()


async def main():
    tmp = tempfile.mkdtemp(prefix="chorus-client-")
    rng = random.Random(SEED)
    try:
        async with harness.Server(users={"juliet": "pw", "romeo": "pw2"}) as server:
            await scenario(server, tmp, True, rng)
        async with harness.Server(users={"juliet": "pw", "romeo": "pw2"},
                                  config={"modules_disabled": ["imng"]}) as server:
            await scenario(server, tmp, False, rng)
    finally:
        if not os.environ.get("CHORUS_INTEROP_DEBUG"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)


if __name__ == "__main__":
    sys.exit(harness.run(main()))
