#!/usr/bin/python3
"""Storage errors are visible: chorusd's data dir on a small tmpfs that the test fills up.

chorusd runs in its own mount namespace (unshare; a user namespace too where that works, so
CI need not be root), with a tmpfs mounted over its data dir. From outside, the tmpfs is
/proc/<chorusd pid>/root/<data dir>: the test fills it with a filler file until ENOSPC and
deletes the file to give the space back.

juliet/phone (IM-NG) and juliet/laptop (legacy, Carbons) receive from romeo/phone; romeo/tablet
has Carbons; nurse is offline (her own MAM preferences say never), benvolio archives nothing
either, so his messages to her take the offline store alone. While the disk is full, every
sender gets a stanza error, no device gets any copy of the refused messages, the log says
"cannot store" once, and the server stays up; when the space returns, messages flow again,
MAM holds exactly what was delivered, and every stanza-id any device saw is in the archive.
A missing error or a per-message log line is collected and reported at the end, so one run
shows everything that holds and everything that does not.
"""
import asyncio
import errno
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import harness

SID = "{urn:xmpp:sid:0}stanza-id"
CARBONS = "urn:xmpp:carbons:2"
FORWARD = "{urn:xmpp:forward:0}forwarded/{jabber:client}message"
IMNG = "urn:xmpp:im-ng:0"
MAM = harness.NS.mam
STANZA_ERRORS = harness.NS.stanza_errors
TMPFS_SIZE = "16m"
TMPFS_BYTES = 16 << 20
REFUSED = ("resource-constraint", "internal-server-error")  # the archive could not store it
OFFLINE_REFUSED = ("resource-constraint", "internal-server-error", "service-unavailable")

# Runs as `sh -c MOUNT sh chorusd args...` inside the new mount namespace: a tmpfs over the
# data dir (named by --data-dir), with what chorusctl already wrote there, then chorusd itself.
MOUNT = """set -e
d=; prev=
for a in "$@"; do [ "$prev" = --data-dir ] && d=$a; prev=$a; done
mkdir -p "$d" "$d.tmpfs"
mount -t tmpfs -o size=%s,mode=0700 tmpfs "$d.tmpfs"
cp -a "$d/." "$d.tmpfs/"
mount --bind "$d.tmpfs" "$d"
exec "$@"
""" % TMPFS_SIZE

# A user namespace lets a non-root user mount a tmpfs; root may have user namespaces off.
NAMESPACES = (["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"],
              ["unshare", "--mount", "--propagation", "private"])


def tmpfs_wrapper():
    """The first unshare that can mount a tmpfs here, as a harness.Server wrapper, or None."""
    with tempfile.TemporaryDirectory(prefix="chorus-tmpfs-probe-") as d:
        for ns in NAMESPACES:
            try:
                r = subprocess.run([*ns, "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$1"',
                                    "sh", d], capture_output=True, timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode == 0:
                return [*ns, "sh", "-c", MOUNT, "sh"]
    return None


def fill(path):
    """Writes a file until the file system has no byte left (ENOSPC at every size)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    try:
        for size in (1 << 20, 1 << 12, 1):
            chunk = b"\0" * size
            while True:
                try:
                    written += os.write(fd, chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return written


def body_of(xml):
    b = xml.find("{jabber:client}body")
    return b.text if b is not None else None


def copies(client):
    """Every message the client received, as (message, carbon kind or None): carbons open."""
    out = []
    for m in client.inbox:
        if m.tag != "{jabber:client}message":
            continue
        for kind in ("received", "sent"):
            inner = m.find("{%s}%s/%s" % (CARBONS, kind, FORWARD))
            if inner is not None:
                out.append((inner, kind))
                break
        else:
            out.append((m, None))
    return out


def bodies(client):
    return [body_of(m) for m, _ in copies(client) if m.get("type") != "error"]


def stanza_ids(client):
    """(by, id, body) of every stanza-id on every copy the client got."""
    return [(s.get("by"), s.get("id"), body_of(m)) for m, _ in copies(client)
            for s in m.findall(SID)]


def errors(client, prefix):
    """{message id: condition} of the errors the client got for messages it sent."""
    out = {}
    for m in client.inbox:
        if m.get("type") == "error" and (m.get("id") or "").startswith(prefix):
            out[m.get("id")] = harness.stanza_error(m)
    return out


async def within(client, done, timeout=10):
    """Waits (for stanzas, not for time) until done() holds; False if not within timeout.
    done() is checked before each stanza, so none slips by between two checks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():
        left = deadline - loop.time()
        if left <= 0:
            return False
        try:
            await client.wait_for(lambda x: True, timeout=left)
        except TimeoutError:
            pass
    return True


async def until(client, done, what, timeout=10):
    if not await within(client, done, timeout):
        raise AssertionError(f"{client.boundjid}: {what} not within {timeout}s")


async def iq_set(client, child):
    iq = client.make_iq_set()
    iq.append(ET.fromstring(child))
    try:
        await iq.send(timeout=10)
        return None
    except harness.IqError as e:
        return e.iq["error"]["condition"]


async def mam_all(client):
    """[(archive id, body)] of the client's whole archive, paged by slixmpp."""
    out = []
    async for m in client["xep_0313"].iterate(rsm={"max": 20}):
        out.append((m["mam_result"]["id"], m["mam_result"]["forwarded"]["stanza"]["body"]))
    return out


def send(client, to, body, mid):
    m = client.make_message(mto=to, mbody=body, mtype="chat")
    m["id"] = mid
    m.send()


async def main():
    wrapper = tmpfs_wrapper()
    if wrapper is None:
        print("SKIPPED: no unshare here can mount a tmpfs (user namespaces off and not root)")
        return
    users = {"juliet": "pw1", "romeo": "pw2", "nurse": "pw3", "benvolio": "pw4"}
    async with harness.Server(users=users, wrapper=wrapper) as server:
        data = f"/proc/{server.proc.pid}/root{server.data_dir}"
        filler = os.path.join(data, "filler")
        # Never fill a real disk: the data dir seen from here must be the small tmpfs.
        fs = os.statvfs(data)
        assert fs.f_blocks * fs.f_frsize <= TMPFS_BYTES, f"{data} is not the test's tmpfs"
        assert os.path.exists(os.path.join(data, "chorus.sqlite")), f"no database in {data}"

        # The offline-only path: neither nurse nor benvolio archives anything.
        nurse = await server.client("nurse@localhost/pda", "pw3", presence=False)
        benvolio = await server.client("benvolio@localhost/pc", "pw4")
        for c in (nurse, benvolio):
            assert await iq_set(c, f"<prefs xmlns='{MAM}' default='never'/>") is None
        await nurse.close()

        phone = await server.client("juliet@localhost/phone", "pw1")
        laptop = await server.client("juliet@localhost/laptop", "pw1")
        rphone = await server.client("romeo@localhost/phone", "pw2")
        tablet = await server.client("romeo@localhost/tablet", "pw2")
        assert await iq_set(phone, f"<enable xmlns='{IMNG}'/>") is None
        assert await iq_set(laptop, f"<enable xmlns='{CARBONS}'/>") is None
        assert await iq_set(tablet, f"<enable xmlns='{CARBONS}'/>") is None
        devices = {"juliet/phone": phone, "juliet/laptop": laptop, "romeo/phone": rphone,
                   "romeo/tablet": tablet, "benvolio/pc": benvolio}

        async def settle():
            # Stanzas are handled in order and later ones queue behind held copies: once
            # every device's ping is answered, every copy routed before has been written.
            for c in devices.values():
                await c.barrier()

        for c in devices.values():
            await c.barrier()
            c.inbox.clear()

        # 1. Space: romeo -> juliet and juliet's IM-NG phone -> romeo, stored and delivered.
        for i in range(3):
            send(rphone, "juliet@localhost", f"before-{i}", f"before-{i}")
        send(phone, "romeo@localhost", "before-out", "before-out")
        send(rphone, "nurse@localhost", "before-offline", "before-offline")
        await until(phone, lambda: "before-out" in bodies(phone), "the reflection of before-out")
        await until(rphone, lambda: "before-out" in bodies(rphone), "before-out")
        await settle()
        for name in ("juliet/phone", "juliet/laptop"):
            got = bodies(devices[name])
            assert all(f"before-{i}" in got for i in range(3)), (name, got)
        assert any(sid and body == "before-0" for _, sid, body in stanza_ids(phone)), \
            "a delivered message carries its stanza-id"
        assert not errors(rphone, "") and not errors(phone, ""), "nothing refused yet"

        # 2. The disk fills up. Every message now is refused with an error to its sender.
        filled = fill(filler)
        assert filled > 0, "the tmpfs had no space to fill"
        # The archive's journal may still have room in its last page: messages go through
        # until a write needs a new one. Send until the first refusal (bounded).
        slack = []
        for i in range(400):
            mid = f"slack-{i}"
            slack.append(mid)
            send(rphone, "juliet@localhost", mid, mid)
            await rphone.barrier()
            if errors(rphone, "slack-"):
                break
        assert errors(rphone, "slack-"), "nothing was refused on a full disk"
        await settle()
        full_in = [f"full-{i}" for i in range(12)]
        for mid in full_in:
            send(rphone, "juliet@localhost", mid, mid)
        full_out = ["full-out-0", "full-out-1"]
        for mid in full_out:
            send(phone, "romeo@localhost", mid, mid)  # an IM-NG device's outbound message
        send(rphone, "nurse@localhost", "full-offline", "full-offline")  # archived, offline
        # Checks that do not stop the scenario: what else holds is worth knowing too.
        problems = []
        if not await within(rphone, lambda: len(errors(rphone, "full-")) == len(full_in) + 1):
            problems.append(f"romeo/phone got errors for {sorted(errors(rphone, 'full-'))} of "
                            f"the {len(full_in) + 1} messages refused while the disk was full")
        if not await within(phone, lambda: len(errors(phone, "full-out-")) == len(full_out)):
            problems.append(f"juliet/phone got errors for {sorted(errors(phone, 'full-out-'))} "
                            f"of the {len(full_out)} messages refused while the disk was full")
        for mid, cond in {**errors(rphone, "full-"), **errors(phone, "full-out-")}.items():
            # full-offline: romeo's archive entry may still fit in the journal's last page,
            # and then it is nurse's offline store that refuses it.
            allowed = OFFLINE_REFUSED if mid == "full-offline" else REFUSED
            assert cond in allowed, f"{mid} refused with <{cond}/>"
        # benvolio archives nothing: his message to juliet is refused by her archive, and
        # the error to him is not archived either.
        send(benvolio, "juliet@localhost", "full-b", "full-b")
        if not await within(benvolio, lambda: errors(benvolio, "full-b")):
            problems.append("benvolio/pc got no error for full-b, refused by juliet's archive")
        for m in benvolio.inbox:
            if m.get("id") == "full-b" and m.get("type") == "error":
                e = m.find("{jabber:client}error")
                assert e.get("type") == "wait" and harness.stanza_error(m) in REFUSED, \
                    harness.ET.tostring(m)
                assert e.find(f"{{{STANZA_ERRORS}}}text") is not None, "the error says why"
        # The offline store alone (no archive on either side) cannot write either.
        offline_only = [f"offline-only-{i}" for i in range(3)]
        for mid in offline_only:
            send(benvolio, "nurse@localhost", mid, mid)
        if not await within(benvolio, lambda: len(errors(benvolio, "offline-only-")) == 3):
            problems.append(f"benvolio/pc got errors for {sorted(errors(benvolio, 'offline-'))}"
                            " of the 3 messages the offline store could not keep")
        for mid, cond in errors(benvolio, "offline-only-").items():
            assert cond in OFFLINE_REFUSED, f"{mid} refused with <{cond}/>"
        await settle()
        refused = set(full_in) | set(full_out) | {"full-offline", "full-b"}
        for name, c in devices.items():
            leaked = refused & set(bodies(c))
            assert not leaked, f"{name} got copies of refused messages: {sorted(leaked)}"
        assert server.alive(), "chorusd must survive a full disk"
        log = server.log_text()
        assert log.count("archive: cannot store messages") == 1, \
            "the archive's failure is logged once per burst, not per message:\n" + \
            "\n".join(l for l in log.splitlines() if "cannot store" in l)
        offline_lines = [l for l in log.splitlines() if "offline:" in l and "[error]" in l]
        if len(offline_lines) > 1:
            problems.append("the offline store's failure is logged per message, not once per "
                            "burst:\n  " + "\n  ".join(offline_lines))

        # 3. The space returns: the server stores again by itself.
        os.remove(filler)
        for i in range(3):
            send(rphone, "juliet@localhost", f"after-{i}", f"after-{i}")
        send(phone, "romeo@localhost", "after-out", "after-out")
        send(rphone, "nurse@localhost", "after-offline", "after-offline")
        send(benvolio, "nurse@localhost", "after-offline-only", "after-offline-only")
        await until(phone, lambda: "after-out" in bodies(phone), "the reflection of after-out")
        await until(rphone, lambda: "after-out" in bodies(rphone), "after-out")
        await until(phone, lambda: "after-2" in bodies(phone), "after-2")
        await settle()
        for name in ("juliet/phone", "juliet/laptop"):
            got = bodies(devices[name])
            assert all(f"after-{i}" in got for i in range(3)), (name, got)
        assert not errors(rphone, "after-") and not errors(phone, "after-") and \
            not errors(benvolio, "after-"), "nothing refused once the space is back"
        assert "archive: storing again" in server.log_text(), "the recovery is logged"

        # MAM holds exactly what was delivered, and every stanza-id a device saw is stored.
        delivered_in = ([f"before-{i}" for i in range(3)] + [f"after-{i}" for i in range(3)] +
                        [m for m in slack if m not in errors(rphone, "slack-")])
        # (Two senders at once: the order between them is the server's, so compare sorted.)
        juliet_mam = await mam_all(phone)
        assert sorted(b for _, b in juliet_mam) == \
            sorted(delivered_in + ["before-out", "after-out"]), juliet_mam
        romeo_mam = await mam_all(rphone)
        assert sorted(b for _, b in romeo_mam) == sorted(
            delivered_in + ["before-out", "before-offline", "after-out", "after-offline"]), \
            romeo_mam
        for archive in (juliet_mam, romeo_mam):
            ids = [int(i) for i, _ in archive]
            assert ids == sorted(ids) and len(set(ids)) == len(ids), f"ids grow: {ids}"
        archives = {"juliet@localhost": set(juliet_mam), "romeo@localhost": set(romeo_mam)}
        seen = [(name, *s) for name, c in devices.items() for s in stanza_ids(c)]
        assert any(by == "juliet@localhost" for _, by, _, _ in seen) and \
            any(by == "romeo@localhost" for _, by, _, _ in seen), seen
        for name, by, sid, body in seen:
            assert (sid, body) in archives.get(by, set()), \
                f"{name} got {body!r} with stanza-id {sid} by {by}, which is not stored"

        # nurse's offline queue holds exactly what was not refused.
        nurse = await server.client("nurse@localhost/pda", "pw3")
        await until(nurse, lambda: "after-offline-only" in bodies(nurse), "the offline queue")
        await nurse.barrier()
        assert sorted(bodies(nurse)) == sorted(["before-offline", "after-offline",
                                                "after-offline-only"]), bodies(nurse)
        for by, sid, body in stanza_ids(nurse):
            assert (sid, body) in archives.get(by, set()), \
                f"nurse/pda got {body!r} with stanza-id {sid} by {by}, which is not stored"

        for c in (*devices.values(), nurse):
            await c.barrier()  # a ping answered by every device: the server is well
        assert server.alive()
        assert not problems, "while the disk was full:\n- " + "\n- ".join(problems)
        print(f"storage faults: {len(refused) + len(offline_only)} messages refused while "
              f"the disk was full ({filled} bytes of filler), none delivered; service resumed")


if __name__ == "__main__":
    sys.exit(harness.run(main()))
