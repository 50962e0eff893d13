#!/usr/bin/python3
"""Write backpressure on bound sessions (src/stream/c2s_session.cpp), over raw sockets.

chorusd runs with [limits] write_high_watermark = 16384: a session whose queued, unwritten
output exceeds it is no longer read (until on_written brings the backlog back to the mark),
and one whose queue exceeds 8x the mark (131072 bytes) is closed with <policy-violation/>.

1. pause_and_resume (plaintext) and 2. the same over STARTTLS: alice/a (carol/a) sends
   herself ~6 KB messages, each followed by two XEP-0199 pings, without reading, until the
   server stops reading her: her socket takes nothing for a second while chorusd's end holds
   unread bytes that do not move (Recv-Q in /proc/net/tcp), and she is not cut off (her
   queue stays under the overflow limit). Then she reads while she sends the rest (2,000
   pings at least) and
   a last ping: every echo and every ping result arrives exactly once, in order, bodies
   intact, and the stream stays up (no stream error, a ping round trip after).
3. overflow: erin/b floods dave/a (who reads nothing, tiny receive buffer) with ~8 KB
   messages and now and then an IQ to dave/a; when an IQ comes back service-unavailable,
   dave/a has left the session table. dave/a then reads what arrived: the last element is
   a <policy-violation/> stream error, then </stream:stream> and EOF. erin/b still answers
   a ping, and a third client (frank) logs in and pings.
4. overflow_without_reading: the same with dave/never, who never reads again: chorusd must
   close its end of the connection anyway (the server-side socket leaves chorusd's fds,
   i.e. its /proc/net/tcp inode becomes 0 or the entry goes), rather than keep the
   connection for as long as the client keeps it open (it did: the stream error waited
   behind a write the peer never completes; now the socket goes after close_grace).

The slow readers have a 4 KiB SO_RCVBUF, set before connect() (see SlowReader).
5. close_while_paused: gina/slow (available) floods herself until the server stops reading
   her, then closes her socket (unread data: a reset). The server must notice though it is
   not reading: gina/watch gets gina/slow's unavailable presence, an IQ to gina/slow comes
   back service-unavailable, chorusd's socket is gone, and gina/slow can log in again.

Everything runs on 127.0.0.1 with timeouts on every wait.
"""
import codecs
import collections
import select
import socket
import ssl
import sys
import time
import traceback

import harness
from harness import ET, NS

WATERMARK = 16384
CLIENT = "{jabber:client}"
USERS = {"alice": "pw-a", "carol": "pw-c", "dave": "pw-d", "erin": "pw-e", "frank": "pw-f",
         "gina": "pw-g"}
BODY = 6000          # characters of a self-message body (pause/resume)
FLOOD_BODY = 8000    # characters of erin's messages to dave (overflow)
MIN_PINGS = 2000
MAX_BYTES = 48 * 1024 * 1024   # never send more than this in one flood
SMALL_RCVBUF = 4096
STALL = 1.0          # seconds a socket takes nothing before we call the server paused


# ---------------------------------------------------------------------------------------------
# /proc/net/tcp: the server's side of a loopback connection

def server_socket(server_port, client_port):
    """(state, tx_queue, rx_queue, inode) of chorusd's end of the connection from client_port,
    or None when the kernel has no such socket any more."""
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port):
                tx, rx = (int(v, 16) for v in fields[4].split(":"))
                return int(fields[3], 16), tx, rx, int(fields[9])
    return None


def server_holds(server, raw):
    """True while chorusd still has its end of raw's connection open (a nonzero inode)."""
    entry = server_socket(server.c2s_port, raw.port)
    return entry is not None and entry[3] != 0


def wait_until(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# ---------------------------------------------------------------------------------------------
# A stanza pipe on a logged-in RawClient's socket (plain or TLS), for bulk traffic

class Pipe:
    """Takes over a bound RawClient's socket: non-blocking writes from an output buffer, reads
    parsed into stanzas (kept only until consumed). TLS retries reuse the same chunk."""

    CHUNK = 16384

    def __init__(self, raw):
        self.raw = raw
        self.sock = raw.sock
        raw.port = self.sock.getsockname()[1]
        self.out = bytearray()
        self.chunk = None          # bytes handed to send() and not yet accepted
        self.sent = 0              # bytes accepted by the socket
        self.received = 0
        self.eof = False
        self.stanzas = collections.deque()
        self.tail = ""             # the last received text, for diagnostics
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._parser = ET.XMLPullParser(events=("start", "end"))
        # The real stream header was parsed by the RawClient: give ours the same root.
        self._parser.feed("<stream:stream xmlns='jabber:client' "
                          "xmlns:stream='http://etherx.jabber.org/streams'>")
        self._depth = 0
        self._root = None
        self.stream_closed = False
        self._drain_events()

    def _drain_events(self):
        for event, elem in self._parser.read_events():
            if event == "start":
                self._depth += 1
                if self._depth == 1:
                    self._root = elem
            else:
                self._depth -= 1
                if self._depth == 0:
                    self.stream_closed = True
                elif self._depth == 1:
                    self.stanzas.append(elem)
                    self._root.remove(elem)

    def queue(self, text):
        self.out += text.encode()

    def pending_out(self):
        return self.chunk is not None or len(self.out) > 0

    def write_some(self):
        """Writes without blocking; True if the socket took anything."""
        moved = False
        self.sock.settimeout(0)
        while self.pending_out():
            if self.chunk is None:
                self.chunk = bytes(self.out[:self.CHUNK])
                del self.out[:len(self.chunk)]
            try:
                n = self.sock.send(self.chunk)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                break
            except (BrokenPipeError, ConnectionResetError):
                self.eof = True
                break
            self.sent += n
            moved = moved or n > 0
            self.chunk = self.chunk[n:] if n < len(self.chunk) else None
        return moved

    def read_some(self):
        """Reads what is there without blocking; True if anything came."""
        moved = False
        self.sock.settimeout(0)
        while not self.eof:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            except (ConnectionResetError, BrokenPipeError):
                self.eof = True
                break
            if not data:
                self.eof = True
                break
            moved = True
            self.received += len(data)
            text = self._decoder.decode(data)
            self.tail = (self.tail + text)[-4000:]
            self._parser.feed(text)
            self._drain_events()
        return moved

    def wait(self, read, write, timeout):
        """Blocks until the socket is readable (read) or writable (write), up to timeout."""
        if read and isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        r, w, _ = select.select([self.sock] if read else [], [self.sock] if write else [], [],
                                timeout)
        return bool(r or w)

    def pump(self, timeout):
        """Reads and writes until neither moves for timeout seconds; returns on progress."""
        moved = self.write_some() | self.read_some()
        if not moved and not self.eof:
            self.wait(True, self.pending_out(), timeout)

    def next_stanza(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.stanzas:
            if self.eof or time.monotonic() >= deadline:
                raise TimeoutError(f"no stanza in {timeout}s (eof={self.eof}); "
                                   f"last text: {self.tail[-600:]!r}")
            self.pump(min(0.1, max(0.0, deadline - time.monotonic())))
        return self.stanzas.popleft()

    def request(self, payload, iq_id, to="localhost", timeout=10):
        """Sends an IQ get and returns its reply; other stanzas are dropped."""
        self.queue(f"<iq type='get' id='{iq_id}' to='{to}'>{payload}</iq>")
        deadline = time.monotonic() + timeout
        while True:
            s = self.next_stanza(max(0.0, deadline - time.monotonic()))
            if s.tag == CLIENT + "iq" and s.get("id") == iq_id:
                return s

    def ping(self, iq_id, timeout=10):
        return self.request(f"<ping xmlns='{NS.ping}'/>", iq_id, timeout=timeout).get("type")

    def flood_until_paused(self, server, make_unit, max_bytes=MAX_BYTES, timeout=20):
        """Queues make_unit(i) for i = 0, 1, ... and writes without reading until the server
        stops reading: our socket takes nothing for STALL seconds while chorusd's side holds
        unread bytes (Recv-Q) that do not move. Returns (units made, chorusd's socket)."""
        deadline = time.monotonic() + timeout
        units = 0
        while True:
            if self.sent > max_bytes or time.monotonic() > deadline:
                raise AssertionError(f"the server kept reading: {self.sent} bytes taken in "
                                     f"{timeout - (deadline - time.monotonic()):.1f}s")
            while len(self.out) < 256 * 1024:
                self.queue(make_unit(units))
                units += 1
            if self.write_some():
                continue
            if self.eof:
                raise AssertionError(f"connection lost while flooding; last text: "
                                     f"{self.tail[-600:]!r}")
            before = server_socket(server.c2s_port, self.raw.port)
            if self.wait(False, True, STALL) or self.write_some():
                continue
            after = server_socket(server.c2s_port, self.raw.port)
            if before and after and after[2] > 0 and after[2] == before[2]:
                return units, after


class SlowReader(harness.RawClient):
    """A RawClient with a small receive buffer, set before connect() so that the TCP window
    is sized for it from the start (shrinking it later leaves the sender with a window the
    buffer cannot hold: zero-window probes with backoff, long stalls)."""

    def __init__(self, server, rcvbuf=SMALL_RCVBUF):
        real = harness.socket.create_connection

        def connect(address, timeout=None):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.settimeout(timeout)
            s.connect(address)
            return s

        harness.socket.create_connection = connect
        try:
            super().__init__(server.c2s_port, domain=server.domain)
        finally:
            harness.socket.create_connection = real
        server._raws.append(self)  # closed when the server stops, like server.raw()


def slow_login(server, user, resource, tls=False):
    raw = SlowReader(server)
    raw.login(user, USERS[user], resource=resource, tls=tls)
    return raw


def stream_error_of(elem):
    if elem.tag != f"{{{NS.streams}}}error":
        return None
    for child in elem:
        if child.tag.startswith(f"{{{NS.stream_errors}}}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return ""


def describe(elem):
    return ET.tostring(elem, encoding="unicode")[:300]


# ---------------------------------------------------------------------------------------------
# 1, 2: pause and resume

def body_text(i, size=BODY):
    head = f"{i:06d}/"
    # XML escapes and non-ASCII in every body, so the bytes are not the characters
    filler = ("&<>'\"\u00e9\u263a-" + "abcdefghijklmnopqrstuvwxyz" * 4) * (size // 110 + 1)
    return head + filler[:size - len(head)]


def escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


def pause_and_resume(server, user, tls):
    label = "STARTTLS" if tls else "plaintext"
    raw = slow_login(server, user, "a", tls=tls)
    jid = raw.jid
    assert raw.tls == tls
    pipe = Pipe(raw)
    expected = collections.deque()  # ("m", index) / ("p", id), in the order they must come

    def unit(i):
        expected.append(("m", i))
        expected.append(("p", f"p{i}a"))
        expected.append(("p", f"p{i}b"))
        return (f"<message to='{jid}' type='chat' id='m{i}'><body>{escape(body_text(i))}"
                f"</body></message>"
                f"<iq type='get' id='p{i}a'><ping xmlns='{NS.ping}'/></iq>"
                f"<iq type='get' id='p{i}b'><ping xmlns='{NS.ping}'/></iq>")

    t0 = time.monotonic()
    units, entry = pipe.flood_until_paused(server, unit)
    stalled_at = pipe.sent
    assert pipe.received == 0
    paused = (f"{label}: paused after {stalled_at} bytes ({units} units queued), "
              f"server Recv-Q {entry[2]} Send-Q {entry[1]}")

    # Now read, finish sending, top up to MIN_PINGS pings, and end with one more ping.
    pings = 2 * units
    while pings < MIN_PINGS:
        pipe.queue(f"<iq type='get' id='x{pings}'><ping xmlns='{NS.ping}'/></iq>")
        expected.append(("p", f"x{pings}"))
        pings += 1
    pipe.queue(f"<iq type='get' id='end'><ping xmlns='{NS.ping}'/></iq>")
    expected.append(("p", "end"))
    got = 0
    deadline = time.monotonic() + 20
    while expected:
        stanza = pipe.next_stanza(max(0.0, deadline - time.monotonic()))
        error = stream_error_of(stanza)
        assert error is None, f"{label}: stream error <{error}/> after {got} replies"
        kind, key = expected.popleft()
        if kind == "m":
            assert stanza.tag == CLIENT + "message", f"reply {got}: wanted message {key}, got " \
                                                     f"{describe(stanza)}"
            b = stanza.findtext(CLIENT + "body") or ""
            assert b[:7] == f"{key:06d}/", f"reply {got}: wanted message {key}, got {b[:7]}"
            assert b == body_text(key), f"message {key}: body differs"
            assert stanza.get("from") == jid, stanza.get("from")
        else:
            assert stanza.tag == CLIENT + "iq" and stanza.get("id") == key, (
                f"reply {got}: wanted ping result {key}, got {describe(stanza)}")
            assert stanza.get("type") == "result", describe(stanza)
        got += 1
    # Nothing extra (a duplicate would be queued after 'end') and the stream is still up.
    assert pipe.ping("after") == "result"
    assert not pipe.stanzas, f"extra stanzas: {[describe(s) for s in pipe.stanzas][:3]}"
    assert not pipe.eof and not pipe.stream_closed
    entry = server_socket(server.c2s_port, raw.port)
    assert entry is not None and entry[2] == 0, f"server socket after: {entry}"
    print(f"{paused}; then {got} replies ({units} messages, {pings} pings) exactly once, "
          f"in order, {pipe.received} bytes, in {time.monotonic() - t0:.1f}s")
    raw.close()


# ---------------------------------------------------------------------------------------------
# 3, 4: overflow

def flood_until_gone(sender, victim_jid, tag):
    """sender writes ~FLOOD_BODY messages to victim_jid, with an IQ to it every 8 messages,
    reading its own stream, until an IQ comes back service-unavailable (the victim's session
    has left the session table); returns (messages sent, seconds)."""
    t0 = time.monotonic()
    deadline = t0 + 20
    n = 0
    body = escape(body_text(0, FLOOD_BODY))
    while True:
        while len(sender.out) < 128 * 1024:
            sender.queue(f"<message to='{victim_jid}' type='chat'><body>{n}:{body}</body>"
                         f"</message>")
            n += 1
            if n % 8 == 0:
                sender.queue(f"<iq type='get' id='{tag}{n}' to='{victim_jid}'>"
                             f"<ping xmlns='{NS.ping}'/></iq>")
        sender.pump(0.1)
        while sender.stanzas:
            s = sender.stanzas.popleft()
            assert stream_error_of(s) is None, f"the sender got a stream error: {describe(s)}"
            if s.tag == CLIENT + "iq" and s.get("id", "").startswith(tag):
                assert s.get("type") == "error", describe(s)
                assert harness.stanza_error(s) == "service-unavailable", describe(s)
                # Let the rest of the flood be written and handled before going on.
                while sender.pending_out():
                    sender.pump(0.1)
                    assert time.monotonic() < deadline, "sender stuck"
                return n, time.monotonic() - t0
        assert not sender.eof, f"the sender lost its connection: {sender.tail[-600:]!r}"
        assert sender.sent < MAX_BYTES and time.monotonic() < deadline, (
            f"{victim_jid} never cut off: {sender.sent} bytes sent in "
            f"{time.monotonic() - t0:.1f}s")


def overflow(server, sender):
    victim = slow_login(server, "dave", "a")
    vpipe = Pipe(victim)
    n, secs = flood_until_gone(sender, victim.jid, "q")
    # dave/a reads now: what the server wrote ends with the stream error, then the end.
    last = None
    deadline = time.monotonic() + 15
    messages = 0
    while not (vpipe.eof and not vpipe.stanzas):
        if vpipe.stanzas:
            last = vpipe.stanzas.popleft()
            messages += last.tag == CLIENT + "message"
            continue
        assert time.monotonic() < deadline, (
            f"dave/a: no end of stream; {vpipe.received} bytes, last "
            f"{last is not None and describe(last)}; tail {vpipe.tail[-300:]!r}")
        vpipe.pump(0.1)
    assert last is not None and stream_error_of(last) == "policy-violation", (
        f"dave/a: last element {last is not None and describe(last)}")
    assert "Too much unread data" in ET.tostring(last, encoding="unicode")
    assert vpipe.stream_closed, "no </stream:stream> after the stream error"
    assert wait_until(lambda: not server_holds(server, victim), 5)
    assert sender.ping("s1") == "result", "the sender's session is still usable"
    print(f"overflow: dave/a cut after {n} messages from erin/b ({secs:.1f}s); it then read "
          f"{messages} messages, <policy-violation/>, </stream:stream>, EOF")
    victim.close()


def overflow_without_reading(server, sender):
    victim = slow_login(server, "dave", "never")
    victim.port = victim.sock.getsockname()[1]
    n, secs = flood_until_gone(sender, victim.jid, "r")
    t0 = time.monotonic()
    closed = wait_until(lambda: not server_holds(server, victim), 8)
    entry = server_socket(server.c2s_port, victim.port)
    assert closed, (f"dave/never was cut off (left the session table) but chorusd still holds "
                    f"its connection {time.monotonic() - t0:.1f}s later: {entry} "
                    f"(state, Send-Q, Recv-Q, inode)")
    # The close is a reset: the kernel keeps no orphaned socket with the unread data.
    gone = wait_until(lambda: server_socket(server.c2s_port, victim.port) is None, 2)
    assert gone, (f"chorusd's end of dave/never's connection lingers: "
                  f"{server_socket(server.c2s_port, victim.port)} (state, Send-Q, Recv-Q, inode)")
    print(f"overflow without reading: dave/never cut after {n} messages ({secs:.1f}s); "
          f"chorusd let go of its socket {time.monotonic() - t0:.1f}s later, with a reset")
    assert sender.ping("s2") == "result"
    victim.sock.close()


# ---------------------------------------------------------------------------------------------
# 5: the peer goes while it is not being read

def close_while_paused(server):
    watch = server.raw_login("gina", USERS["gina"], resource="watch", tls=False)
    watch.send("<presence/>")
    watch.wait_for(lambda e: e.tag == CLIENT + "presence" and e.get("from", "").endswith("/watch"),
                   5)
    slow = slow_login(server, "gina", "slow")
    slow.send("<presence/>")
    slow_jid = slow.jid
    watch.wait_for(lambda e: e.tag == CLIENT + "presence" and e.get("from") == slow_jid
                   and e.get("type") is None, 5)
    spipe = Pipe(slow)

    def unit(i):
        return (f"<message to='{slow_jid}' type='chat'><body>{escape(body_text(i))}</body>"
                f"</message>")

    _, entry = spipe.flood_until_paused(server, unit)
    # Gone, with unread data: the kernel resets the connection.
    slow.sock.close()
    slow.closed = True
    t0 = time.monotonic()
    gone = watch.wait_for(lambda e: e.tag == CLIENT + "presence" and e.get("from") == slow_jid,
                          10)
    assert gone.get("type") == "unavailable", describe(gone)
    seconds = time.monotonic() - t0
    reply = watch.request(f"<ping xmlns='{NS.ping}'/>", to=slow_jid, timeout=5)
    assert reply.get("type") == "error" and harness.stanza_error(reply) == "service-unavailable", \
        describe(reply)
    assert wait_until(lambda: not server_holds(server, slow), 5), \
        server_socket(server.c2s_port, slow.port)
    again = server.raw_login("gina", USERS["gina"], resource="slow", tls=False)
    assert again.jid == slow_jid and again.ping(5)
    assert watch.ping(5) and not watch.closed
    print(f"closed while paused (Recv-Q {entry[2]}): unavailable presence after {seconds:.2f}s, "
          f"IQ bounced, socket released, same resource logs in again")
    again.close()
    watch.close()


# ---------------------------------------------------------------------------------------------

def main():
    config = {"c2s.require_tls": False, "limits.write_high_watermark": WATERMARK}
    failed = []
    with harness.Server(users=USERS, config=config, log_level="info") as server:
        def case(name, fn, *args):
            t0 = time.monotonic()
            try:
                fn(server, *args)
            except Exception:
                traceback.print_exc()
                failed.append(name)
                print(f"FAILED {name} ({time.monotonic() - t0:.1f}s)")
            assert server.alive(), f"chorusd died during {name}"

        case("pause_and_resume/plaintext", pause_and_resume, "alice", False)
        case("pause_and_resume/starttls", pause_and_resume, "carol", True)
        sender = Pipe(server.raw_login("erin", USERS["erin"], resource="b", tls=False))
        case("overflow", overflow, sender)
        case("overflow_without_reading", overflow_without_reading, sender)
        case("close_while_paused", close_while_paused)

        third = server.raw_login("frank", USERS["frank"], resource="c", tls=False)
        assert third.ping(5), "a third client is served"
        assert sender.ping("s3") == "result" and not sender.eof, "erin/b is still up"
        assert server.alive()
        if failed:
            print(f"--- chorusd log, last lines ---\n{server.log_tail(40)}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
