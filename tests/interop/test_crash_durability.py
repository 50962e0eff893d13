#!/usr/bin/python3
"""Issue 13 part 2, the crash test: clients send while chorusd is killed with SIGKILL, several
times. After each restart, every message a device received live (with its stanza-id) is in
the archive of both parties exactly once, under that stanza-id; every message whose IM-NG
reflection the sender saw (the server's "it is stored" for an IM-NG device) is archived for
both and, for an offline legacy recipient, waits in her offline queue; and the database's
PRAGMA integrity_check is ok.

Devices: alice/phone and bob/phone (IM-NG), carol (legacy, offline until the end).
"""
import os
import random
import signal
import sqlite3
import time

import harness
from harness import ET, NS

USERS = {"alice": "a1ice-pw", "bob": "b0b-pw", "carol": "car0l-pw"}
IMNG = "urn:xmpp:im-ng:0"
ROUNDS = 3
RATE = 300              # messages per second per stream
MAX_ROUND_SECONDS = 2.0  # the kill comes at a random moment within this
BURST = 200             # messages per stream sent at once just before the kill
CLIENT = f"{{{NS.client}}}"


def enable_imng(raw):
    reply = raw.request(f"<enable xmlns='{IMNG}'/>", type="set", to=None)
    assert reply.get("type") == "result", ET.tostring(reply).decode()


def login(server, user):
    raw = server.raw_login(user, USERS[user], resource="phone", tls=False)
    enable_imng(raw)
    raw.send("<presence/>")
    assert raw.ping(10)
    return raw


def stanza_id_of(msg, owner):
    for sid in msg.findall("{urn:xmpp:sid:0}stanza-id"):
        if sid.get("by") == owner:
            return sid.get("id")
    return None


class Observed:
    """What the devices saw: (owner, body) -> stanza-id for live copies and reflections."""

    def __init__(self):
        self.live = {}        # (owner, body) -> stanza-id: received from the contact
        self.reflected = {}   # (owner, body) -> stanza-id: own message reflected
        self.sent = {}        # body -> (sender, recipient)

    def record(self, owner, elem):
        if elem.tag != CLIENT + "message" or elem.get("type") == "error":
            return
        body = elem.findtext(CLIENT + "body")
        if not body or not body.startswith("crash-"):
            return
        sid = stanza_id_of(elem, f"{owner}@localhost")
        assert sid, f"a copy without our stanza-id at {owner}: {ET.tostring(elem).decode()}"
        sender = elem.get("from", "").split("@")[0]
        table = self.reflected if sender == owner else self.live
        assert (owner, body) not in table, f"{owner} received {body} twice"
        table[(owner, body)] = sid


def drain(raws, observed, until):
    for owner, raw in raws.items():
        while raw._pump(min(until, time.monotonic() + 0.001)):
            pass
        while raw._pending:
            observed.record(owner, raw._pending.popleft())


def traffic_until_killed(server, round_no, observed):
    raws = {"alice": login(server, "alice"), "bob": login(server, "bob")}
    streams = [("alice", "bob"), ("alice", "carol"), ("bob", "alice")]
    kill_at = time.monotonic() + random.uniform(0.3, MAX_ROUND_SECONDS)
    n = 0
    next_send = time.monotonic()
    def send_one_each(n):
        for sender, recipient in streams:
            body = f"crash-{round_no}-{sender}-{recipient}-{n}"
            observed.sent[body] = (sender, recipient)
            raws[sender].send(f"<message to='{recipient}@localhost' type='chat' id='{body}'>"
                              f"<body>{body}</body></message>")

    while time.monotonic() < kill_at:
        send_one_each(n)
        n += 1
        next_send += 1.0 / RATE
        drain(raws, observed, next_send)
    # A burst right before the kill, so that some messages are in the middle of their way
    # (read, routed, waiting for the group commit) when the process dies.
    for _ in range(BURST):
        send_one_each(n)
        n += 1
    drain(raws, observed, time.monotonic() + random.uniform(0, 0.005))
    server.proc.send_signal(signal.SIGKILL)  # our own child, by its Popen handle
    server.proc.wait()
    # What the server wrote before it died is still in our sockets: read it to the end.
    deadline = time.monotonic() + 5
    for owner, raw in raws.items():
        while not raw.closed and time.monotonic() < deadline:
            raw._pump(deadline)
        while raw._pending:
            observed.record(owner, raw._pending.popleft())
    return n * len(streams)


def restart(server):
    server.stop()  # collects the killed process, closes its log and our sockets
    os.unlink(server.ready_path)
    server.returncode = None
    server.users = {}  # the accounts exist already
    server.start()


def integrity_ok(data_dir):
    found = []
    for name in os.listdir(data_dir):
        if name.endswith(".db") or name.endswith(".sqlite"):
            db = sqlite3.connect(os.path.join(data_dir, name))
            try:
                found.append((name, db.execute("PRAGMA integrity_check").fetchone()[0]))
            finally:
                db.close()
    assert found, f"no database in {data_dir}: {os.listdir(data_dir)}"
    return found


def archive_of(raw, owner):
    """(body -> [stanza-id, ...]) of the owner's whole archive, through MAM with RSM paging."""
    items = {}
    after = ""
    for page in range(1000):
        qid = f"all{page}"
        rsm = f"<set xmlns='{NS.rsm}'><max>250</max>{after}</set>"
        raw.send(f"<iq type='set' id='{qid}'><query xmlns='{NS.mam}' queryid='{qid}'>{rsm}"
                 f"</query></iq>")
        while True:
            elem = raw.wait_for(lambda e: e.tag == CLIENT + "message" or e.get("id") == qid, 20)
            if elem.tag == CLIENT + "iq":
                break
            result = elem.find(f"{{{NS.mam}}}result")
            if result is None or result.get("queryid") != qid:
                continue
            msg = result.find("{urn:xmpp:forward:0}forwarded/" + CLIENT + "message")
            body = msg.findtext(CLIENT + "body") if msg is not None else None
            if body and body.startswith("crash-"):
                items.setdefault(body, []).append(result.get("id"))
        assert elem.get("type") == "result", ET.tostring(elem).decode()
        fin = elem.find(f"{{{NS.mam}}}fin")
        if fin.get("complete") == "true":
            return items
        last = fin.findtext(f"{{{NS.rsm}}}set/{{{NS.rsm}}}last")
        after = f"<after>{last}</after>"
    raise AssertionError("MAM paging did not end")


def check_archives(server, observed):
    raws = {u: server.raw_login(u, USERS[u], resource="audit", tls=False)
            for u in ("alice", "bob", "carol")}
    archives = {u: archive_of(raw, u) for u, raw in raws.items()}
    for raw in raws.values():
        raw.close()
    checked = 0
    for table in (observed.live, observed.reflected):
        for (owner, body), sid in table.items():
            sender, recipient = observed.sent[body]
            for party in (sender, recipient):
                ids = archives[party].get(body, [])
                assert len(ids) == 1, (f"{body}, seen by {owner}, is {len(ids)} times in "
                                       f"{party}'s archive")
            assert archives[owner][body] == [sid], (
                f"{owner} saw {body} as {sid}; the archive has {archives[owner][body]}")
            checked += 1
    for party, items in archives.items():
        for body, ids in items.items():
            assert len(ids) == 1, f"{body} is {len(ids)} times in {party}'s archive"
    return checked


def check_offline_queue(server, observed):
    """carol logs in (legacy) and must get every message to her that alice saw reflected."""
    carol = server.raw_login("carol", USERS["carol"], resource="laptop", tls=False)
    carol.send("<presence/>")
    assert carol.ping(10)
    deadline = time.monotonic() + 10
    got = set()
    want = {body for (owner, body) in observed.reflected if observed.sent[body][1] == "carol"}
    while not want <= got and time.monotonic() < deadline:
        carol._pump(deadline)
        while carol._pending:
            e = carol._pending.popleft()
            if e.tag == CLIENT + "message":
                body = e.findtext(CLIENT + "body") or ""
                assert body not in got, f"{body} delivered twice from the offline queue"
                got.add(body)
    missing = want - got
    assert not missing, f"{len(missing)} acknowledged messages to carol lost, e.g. {sorted(missing)[:3]}"
    assert carol.ping(10)
    carol.close()
    return len(want)


def main():
    observed = Observed()
    config = {"c2s.require_tls": False, "offline.max_messages": 100000}
    with harness.Server(users=USERS, config=config, log_level="info") as server:
        for round_no in range(ROUNDS):
            sent = traffic_until_killed(server, round_no, observed)
            for name, verdict in integrity_ok(server.data_dir):
                assert verdict == "ok", f"{name} after SIGKILL: {verdict}"
            restart(server)
            checked = check_archives(server, observed)
            print(f"round {round_no}: {sent} sent ({len(observed.sent)} in all), "
                  f"{len(observed.live)} received live and "
                  f"{len(observed.reflected)} reflections so far, {checked} checked in both "
                  f"archives after the restart")
        assert observed.live and observed.reflected, "the rounds delivered nothing"
        queued = check_offline_queue(server, observed)
        print(f"carol got all {queued} acknowledged messages from her offline queue")
        for name, verdict in integrity_ok(server.data_dir):
            assert verdict == "ok", f"{name}: {verdict}"
    print("OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
