#!/usr/bin/python3
"""XEP-0198 Stream Management on the wire (raw sockets, exact XML), ROUTING.md "Stream
management (XEP-0198) and session loss".

1. enable: advertised after SASL; <enable/> before bind fails (unexpected-request), after
   bind it works with and without resume, twice fails; <r/>/<a/> both ways (the server asks
   after 5 unacked stanzas); a client <a/> acking more than was sent ends the stream with
   <undefined-condition/> + <handled-count-too-high/>, and the server still answers a ping.
2. resume: juliet/phone (legacy) gets m1..m3 from romeo, acks m1, loses its TCP connection
   (closed without </stream>); m4, m5 arrive while it is detached; <resume h/> on a new
   stream gets exactly m2..m5 once each, m2/m3 with their original stanza-ids, then the
   session continues under the same full JID. Unknown previd: <failed><item-not-found/>.
   A resumption while the old connection is still open closes it with <conflict/>; a new
   bind of the same full JID replaces a detached session (its unacked message still
   arrives); a non-numeric h ends the stream.
3. IM-NG flag: an IM-NG session without presence, cut and resumed, still gets bare-JID
   messages (a legacy session without presence would not).
5. over TLS: a session on STARTTLS and one on direct TLS (XEP-0368) lose their TLS
   connections without close_notify and resume on new TLS streams, getting what arrived
   meanwhile exactly once.
4. expiry (sm.resume_timeout = 2): a lost legacy session's unacked messages reach the
   account's other legacy resource with their stanza-ids; a lost IM-NG session's copies are
   not re-sent anywhere; the archive holds each message exactly once (MAM); a legacy
   session with no other resource leaves its messages in offline storage, delivered at the
   next login with the same stanza-id; the expired id cannot be resumed.
"""
import time

import harness
from harness import ET, NS

SM = "urn:xmpp:sm:3"
IMNG = "urn:xmpp:im-ng:0"
SID = "{urn:xmpp:sid:0}stanza-id"
C = f"{{{NS.client}}}"
STANZAS = {C + "message", C + "presence", C + "iq"}
USERS = {"juliet": "jul1et-pw", "romeo": "r0meo-pw", "carol": "car0l-pw"}
CONFIG = {"c2s.require_tls": False}


def sm(name):
    return f"{{{SM}}}{name}"


def body(e):
    return e.findtext(C + "body")


def sid_of(e, by):
    for s in e.findall(SID):
        if s.get("by") == by:
            return s.get("id")
    return None


def next_elem(raw, deadline):
    """The next element the server sent, or None at the deadline or when closed."""
    while True:
        if raw._pending:
            return raw._pending.popleft()
        if not raw._pump(deadline) and (raw.closed or time.monotonic() >= deadline):
            return None


class Device:
    """A raw client that counts the stanzas it handles (its XEP-0198 h) and keeps them."""

    def __init__(self, raw, name):
        self.raw = raw
        self.name = name
        self.h = 0
        self.stanzas = []     # every stanza received (since enable)
        self.requests = 0     # server <r/>s seen

    def take(self, e):
        if e.tag in STANZAS:
            self.h = (self.h + 1) % 2**32
            self.stanzas.append(e)
        elif e.tag == sm("r"):
            self.requests += 1

    def until(self, pred, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            e = next_elem(self.raw, deadline)
            if e is None:
                raise TimeoutError(f"{self.name}: nothing matching; received:\n"
                                   f"{self.raw.text[-2000:]}")
            self.take(e)
            if pred(e):
                return e

    def enable(self, resume):
        extra = " resume='true'" if resume else ""
        self.raw.send(f"<enable xmlns='{SM}'{extra}/>")
        e = self.until(lambda x: x.tag in (sm("enabled"), sm("failed")))
        assert e.tag == sm("enabled"), f"{self.name}: {ET.tostring(e).decode()}"
        self.h = 0  # §4: counting starts with <enabled/>
        self.stanzas.clear()
        return e

    def ping(self):
        """A barrier: every stanza the server routed here before it has arrived."""
        iq_id = f"p{time.monotonic_ns()}"
        self.raw.send(f"<iq type='get' id='{iq_id}' to='localhost'><ping xmlns='{NS.ping}'/></iq>")
        reply = self.until(lambda x: x.tag == C + "iq" and x.get("id") == iq_id)
        assert reply.get("type") == "result", ET.tostring(reply).decode()

    def messages(self):
        return [m for m in self.stanzas if m.tag == C + "message"]

    def cut(self):
        """The TCP connection dies: no </stream:stream>."""
        self.raw.sock.close()
        self.raw.closed = True


def bound(server, user, resource):
    raw = server.raw()
    raw.login(user, USERS[user], resource=resource, tls=False)
    return Device(raw, f"{user}/{resource}")


def authenticated(server, user):
    """A stream authenticated as user but not bound; returns (device, features)."""
    raw = server.raw()
    raw.open_stream()
    failure = raw.authenticate(user, USERS[user])
    assert failure is None, failure
    features = raw.restart()
    return Device(raw, f"{user}/(new)"), features


def resume(server, user, previd, h):
    dev, _ = authenticated(server, user)
    dev.raw.send(f"<resume xmlns='{SM}' previd='{previd}' h='{h}'/>")
    e = dev.until(lambda x: x.tag in (sm("resumed"), sm("failed")))
    dev.h = h  # the client's count goes on from the h it sent
    return dev, e


def send_chat(dev, to, text):
    dev.raw.send(f"<message to='{to}' type='chat'><body>{text}</body></message>")


def enable_imng(dev):
    reply = dev.raw.request(f"<enable xmlns='{IMNG}'/>", type="set", to=None)
    assert reply.get("type") == "result", ET.tostring(reply).decode()


def archive_bodies(dev, prefix):
    """body -> number of entries in the account's archive (MAM, one page)."""
    qid = f"q{time.monotonic_ns()}"
    dev.raw.send(f"<iq type='set' id='{qid}'><query xmlns='{NS.mam}' queryid='{qid}'>"
                 f"<set xmlns='{NS.rsm}'><max>200</max></set></query></iq>")
    counts = {}
    while True:
        e = dev.until(lambda x: x.tag == C + "message" or x.get("id") == qid)
        if e.tag == C + "iq":
            assert e.get("type") == "result", ET.tostring(e).decode()
            return counts
        result = e.find(f"{{{NS.mam}}}result")
        if result is None or result.get("queryid") != qid:
            continue
        msg = result.find(f"{{urn:xmpp:forward:0}}forwarded/{C}message")
        text = body(msg) if msg is not None else None
        if text and text.startswith(prefix):
            counts[text] = counts.get(text, 0) + 1


def failed_condition(e):
    assert e.tag == sm("failed"), ET.tostring(e).decode()
    for child in e:
        return child.tag.split("}", 1)[1]
    return None


def enable_and_acks(server):
    # Advertised after authentication; <enable/> before bind is refused (§3).
    dev, features = authenticated(server, "juliet")
    assert features.find(sm("sm")) is not None, ET.tostring(features).decode()
    dev.raw.send(f"<enable xmlns='{SM}'/>")
    assert failed_condition(dev.until(lambda x: x.tag == sm("failed"))) == "unexpected-request"
    dev.raw.bind("acks")
    enabled = dev.enable(resume=False)
    assert enabled.get("resume") is None and enabled.get("id") is None, "no resumption asked"
    dev.raw.send(f"<enable xmlns='{SM}'/>")
    assert failed_condition(dev.until(lambda x: x.tag == sm("failed"))) == "unexpected-request"

    # Client asks: h counts the stanzas the server handled since <enabled/>.
    dev.raw.send(f"<r xmlns='{SM}'/>")
    assert dev.until(lambda x: x.tag == sm("a")).get("h") == "0"
    dev.ping()
    dev.raw.send(f"<r xmlns='{SM}'/>")
    assert dev.until(lambda x: x.tag == sm("a")).get("h") == "1"
    # A message the server archives is acked once its archive entry is committed: by the
    # time the <a/> arrives, MAM has it.
    send_chat(dev, "romeo@localhost", "acks-durable")
    dev.raw.send(f"<r xmlns='{SM}'/>")
    assert dev.until(lambda x: x.tag == sm("a")).get("h") == "2"
    assert archive_bodies(dev, "acks-") == {"acks-durable": 1}

    # Server asks after 5 unacked stanzas (sm.request_after).
    romeo = bound(server, "romeo", "pc")
    dev.ping()
    dev.raw.send(f"<a xmlns='{SM}' h='{dev.h}'/>")  # everything so far
    for i in range(1, 7):
        send_chat(romeo, "juliet@localhost/acks", f"acks-{i}")
    dev.until(lambda x: x.tag == sm("r"))
    assert [body(m) for m in dev.messages()][-5:] == [f"acks-{i}" for i in range(1, 6)], \
        "<r/> comes right after the fifth unacked stanza"
    dev.raw.send(f"<a xmlns='{SM}' h='{dev.h}'/>")
    dev.until(lambda x: x.tag == C + "message" and body(x) == "acks-6")
    dev.ping()
    dev.raw.send(f"<a xmlns='{SM}' h='{dev.h}'/>")
    dev.ping()
    romeo.raw.close()

    # Bad input: an ack of more than was sent (XEP-0198 §4).
    bad = bound(server, "juliet", "bad")
    bad.enable(resume=True)
    bad.ping()
    bad.raw.send(f"<a xmlns='{SM}' h='{bad.h + 3}'/>")
    err = bad.until(lambda x: x.tag == f"{{{NS.streams}}}error")
    assert err.find(f"{{{NS.stream_errors}}}undefined-condition") is not None, \
        ET.tostring(err).decode()
    too_high = err.find(sm("handled-count-too-high"))
    assert too_high is not None and too_high.get("h") == str(bad.h + 3), ET.tostring(err).decode()
    assert bad.raw.wait_closed(5)
    assert dev.raw.ping(), "the server still answers"
    dev.raw.close()
    print("enable_and_acks: ok")


def resume_scenario(server):
    romeo = bound(server, "romeo", "pc")
    phone = bound(server, "juliet", "phone")
    previd = phone.enable(resume=True).get("id")
    assert previd
    phone.ping()  # the server has handled 1 stanza of ours
    for i in (1, 2, 3):
        send_chat(romeo, "juliet@localhost/phone", f"res-m{i}")
    phone.until(lambda x: x.tag == C + "message" and body(x) == "res-m3")
    seen = {body(m): sid_of(m, "juliet@localhost") for m in phone.messages()}
    assert all(seen[f"res-m{i}"] for i in (1, 2, 3)), seen
    acked = 2  # the ping result and m1
    phone.raw.send(f"<a xmlns='{SM}' h='{acked}'/>")
    phone.ping()  # read before the connection goes; its result stays unacked
    phone.cut()
    for i in (4, 5):
        send_chat(romeo, "juliet@localhost/phone", f"res-m{i}")
    romeo.ping()

    new, resumed = resume(server, "juliet", previd, acked)
    assert resumed.tag == sm("resumed"), ET.tostring(resumed).decode()
    assert resumed.get("previd") == previd
    assert resumed.get("h") == "2", "the server handled the two pings and nothing else"
    new.until(lambda x: x.tag == C + "message" and body(x) == "res-m5")
    new.ping()
    got = [body(m) for m in new.messages()]
    # (The second ping's result, unacked too, comes again after m3.)
    assert got == ["res-m2", "res-m3", "res-m4", "res-m5"], got
    for m in new.messages():
        sid = sid_of(m, "juliet@localhost")
        assert sid, ET.tostring(m).decode()
        if body(m) in seen:
            assert sid == seen[body(m)], f"{body(m)}: {sid} != {seen[body(m)]}"
    # The session goes on under the same full JID.
    send_chat(romeo, "juliet@localhost/phone", "res-m6")
    new.until(lambda x: x.tag == C + "message" and body(x) == "res-m6")
    new.raw.send(f"<a xmlns='{SM}' h='{new.h}'/>")
    new.ping()
    assert [body(m) for m in new.messages()].count("res-m2") == 1

    # Unknown id: item-not-found, and the stream can still bind.
    stranger, failed = resume(server, "juliet", "no-such-id", 0)
    assert failed_condition(failed) == "item-not-found"
    stranger.raw.bind("after-failed")
    assert stranger.raw.ping()
    stranger.raw.close()

    # Another account cannot take the session over.
    thief, failed = resume(server, "romeo", previd, 0)
    assert failed_condition(failed) == "item-not-found"
    thief.raw.close()

    # Resumption while the old connection is still open: the old one is closed (§5).
    again, resumed = resume(server, "juliet", previd, new.h)
    assert resumed.tag == sm("resumed"), ET.tostring(resumed).decode()
    assert new.raw.wait_stream_error(5) == "conflict"
    again.ping()
    again.raw.close()
    romeo.raw.close()
    print("resume: ok")


def imng_flag_scenario(server):
    romeo = bound(server, "romeo", "pc2")
    phone = bound(server, "juliet", "imng")
    enable_imng(phone)  # and no presence: only the IM-NG flag brings bare-JID messages
    previd = phone.enable(resume=True).get("id")
    phone.ping()
    phone.cut()
    romeo.ping()
    new, resumed = resume(server, "juliet", previd, 0)
    assert resumed.tag == sm("resumed"), ET.tostring(resumed).decode()
    new.ping()
    send_chat(romeo, "juliet@localhost", "imng-bare")
    m = new.until(lambda x: x.tag == C + "message" and body(x) == "imng-bare")
    assert sid_of(m, "juliet@localhost"), "an IM-NG copy carries the stanza-id"
    new.raw.close()
    romeo.raw.close()
    print("imng_flag: ok")


def conflict_scenario(server):
    romeo = bound(server, "romeo", "pc3")
    tablet = bound(server, "juliet", "tablet")
    previd = tablet.enable(resume=True).get("id")
    send_chat(romeo, "juliet@localhost/tablet", "conf-1")
    first = tablet.until(lambda x: x.tag == C + "message" and body(x) == "conf-1")
    tablet.cut()
    romeo.ping()
    # RFC 6120 §7.7.2.2: a new bind of the same full JID replaces the detached session; its
    # unacked message is not lost (re-routed, here through offline storage to the new one).
    fresh = bound(server, "juliet", "tablet")
    fresh.raw.send("<presence/>")
    again = fresh.until(lambda x: x.tag == C + "message" and body(x) == "conf-1")
    assert sid_of(again, "juliet@localhost") == sid_of(first, "juliet@localhost")
    _, failed = resume(server, "juliet", previd, 0)
    assert failed_condition(failed) == "item-not-found", "the replaced session is gone"

    # Bad input: an h that is not a number.
    fresh.enable(resume=False)
    fresh.raw.send(f"<a xmlns='{SM}' h='many'/>")
    assert fresh.raw.wait_stream_error(5) == "undefined-condition"
    assert romeo.raw.ping(), "the server still answers"
    romeo.raw.close()
    print("conflict: ok")


def expiry_scenario():
    config = dict(CONFIG, **{"sm.resume_timeout": 2})
    with harness.Server(users=USERS, config=config) as server:
        romeo = bound(server, "romeo", "pc")
        desktop = bound(server, "juliet", "desktop")
        desktop.raw.send("<presence/>")
        desktop.ping()
        laptop = bound(server, "juliet", "laptop")
        laptop_id = laptop.enable(resume=True).get("id")
        phone = bound(server, "juliet", "phone")
        enable_imng(phone)
        phone.enable(resume=True)

        # Legacy laptop: x1 seen, never acked, then lost; x2 arrives while detached.
        send_chat(romeo, "juliet@localhost/laptop", "exp-x1")
        laptop.until(lambda x: x.tag == C + "message" and body(x) == "exp-x1")
        phone.until(lambda x: x.tag == C + "message" and body(x) == "exp-x1")
        laptop.cut()
        send_chat(romeo, "juliet@localhost/laptop", "exp-x2")
        phone.until(lambda x: x.tag == C + "message" and body(x) == "exp-x2")
        sids = {body(m): sid_of(m, "juliet@localhost") for m in phone.messages()}
        # After the timeout the desktop (the other legacy resource) gets both.
        desktop.until(lambda x: x.tag == C + "message" and body(x) == "exp-x2", timeout=15)
        desktop.ping()
        got = [(body(m), sid_of(m, "juliet@localhost")) for m in desktop.messages()]
        assert got == [("exp-x1", sids["exp-x1"]), ("exp-x2", sids["exp-x2"])], (got, sids)
        _, failed = resume(server, "juliet", laptop_id, 0)
        assert failed_condition(failed) == "item-not-found", "an expired session is gone"

        # IM-NG phone: lost with x1, x2 unacked; after the timeout nobody gets them again.
        phone.cut()
        time.sleep(4)
        desktop.ping()
        assert len(desktop.messages()) == 2, [body(m) for m in desktop.messages()]
        assert archive_bodies(desktop, "exp-") == {"exp-x1": 1, "exp-x2": 1}, \
            "archived once, never again on re-delivery"

        # A legacy session with no other resource: its message waits offline.
        carol = bound(server, "carol", "laptop")
        carol.raw.send("<presence/>")
        carol.ping()
        carol.enable(resume=True)
        send_chat(romeo, "carol@localhost", "exp-y1")
        y1 = carol.until(lambda x: x.tag == C + "message" and body(x) == "exp-y1")
        y1_sid = sid_of(y1, "carol@localhost")
        assert y1_sid
        carol.cut()
        time.sleep(4)
        again = bound(server, "carol", "pc")
        again.raw.send("<presence/>")
        m = again.until(lambda x: x.tag == C + "message" and body(x) == "exp-y1")
        assert sid_of(m, "carol@localhost") == y1_sid, ET.tostring(m).decode()
        again.ping()
        assert archive_bodies(again, "exp-") == {"exp-y1": 1}
        assert [body(x) for x in again.messages()].count("exp-y1") == 1
        assert again.raw.ping()
        for d in (romeo, desktop, again):
            d.raw.close()
    print("expiry: ok")


def tls_scenario():
    with harness.Server(users=USERS, direct_tls=True) as server:
        romeo = Device(server.raw_login("romeo", USERS["romeo"], resource="tls"), "romeo/tls")
        for direct in (False, True):
            raw = server.raw(direct_tls=direct)
            raw.login("juliet", USERS["juliet"], resource=f"tls{int(direct)}")
            dev = Device(raw, f"juliet/tls{int(direct)}")
            previd = dev.enable(resume=True).get("id")
            send_chat(romeo, f"juliet@localhost/tls{int(direct)}", f"tls{int(direct)}-m1")
            dev.until(lambda x: x.tag == C + "message" and body(x) == f"tls{int(direct)}-m1")
            dev.cut()  # no close_notify, no </stream:stream>
            send_chat(romeo, f"juliet@localhost/tls{int(direct)}", f"tls{int(direct)}-m2")
            romeo.ping()

            again = server.raw(direct_tls=direct)
            again.open_stream()
            if not direct:
                again.starttls()
            assert again.authenticate("juliet", USERS["juliet"]) is None
            again.restart()
            new = Device(again, f"juliet/tls{int(direct)}-resumed")
            new.raw.send(f"<resume xmlns='{SM}' previd='{previd}' h='{dev.h}'/>")
            resumed = new.until(lambda x: x.tag in (sm("resumed"), sm("failed")))
            assert resumed.tag == sm("resumed"), ET.tostring(resumed).decode()
            new.until(lambda x: x.tag == C + "message" and body(x) == f"tls{int(direct)}-m2")
            new.ping()
            assert [body(m) for m in new.messages()] == [f"tls{int(direct)}-m2"], \
                [body(m) for m in new.messages()]
            again.close()
    print("tls: ok")


def main():
    with harness.Server(users=USERS, config=CONFIG) as server:
        enable_and_acks(server)
        resume_scenario(server)
        imng_flag_scenario(server)
        conflict_scenario(server)
    expiry_scenario()
    tls_scenario()
    print("OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
