"""harness: the shared interop harness (a real chorusd, real slixmpp clients, raw sockets).

Every tests/interop/test_*.py is run by CTest as `/usr/bin/python3 script` with the
environment variables CHORUSD, CHORUSCTL (and CHORUS_BENCH) naming the binaries and
PYTHONPATH=tests/interop, so `import harness` works. Set CHORUS_INTEROP_DEBUG=1 for slixmpp's
debug log and to keep the temp dirs; a failing Server prints the tail of chorusd's log.

Server: one chorusd on 127.0.0.1, port 0, a temp data dir and a generated TOML config.

    with harness.Server(users={"juliet": "pw"}) as server:        # or `async with`
        server.c2s_port, server.direct_tls_port, server.domain, server.data_dir, server.s2s_port
        server.http_port, server.https_port             # the HTTP listener (issue 16)
        server.adduser("romeo", "pw2")                  # chorusctl adduser (password on stdin)
        server.ctl("listusers")                         # any chorusctl command -> CompletedProcess
        server.stop()                                   # SIGTERM, SIGKILL after a timeout -> exit code
        server.alive(), server.log_text(), server.log_tail(60)
    Server(config={"allow_registration": True,          # extra config keys, dotted or nested:
                   "limits.max_stanza_bytes": 10000,    #   {"limits": {"max_stanza_bytes": 10000}}
                   "c2s.require_tls": False},
           direct_tls=True)                             # also listen for XEP-0368 direct TLS
    Server(wrapper=["unshare", "--mount", ...])         # argv put before chorusd's (it must
                                                        #   exec chorusd: proc.pid is chorusd)

slixmpp clients (certificate checks off, connected to 127.0.0.1):

    phone = await server.client("juliet@localhost/phone", "pw")   # logged in, presence sent
        options: mechanism="SCRAM-SHA-1" (force one SASL mechanism), direct_tls=True,
                 starttls=False (plaintext; needs c2s.require_tls=false), presence=False,
                 priority=5, timeout=10. Raises LoginFailed(condition) when refused.
    phone.inbox                 # messages and presences received (xml.etree elements)
    phone.received              # every stanza received, iq and stream errors included
    await phone.wait_for(lambda x: x.tag == "{jabber:client}message", timeout=10)
                                # the next stanza (arriving after the call) that matches
    await phone.barrier()       # a ping answered: everything sent before it was handled
    phone.stream_errors         # conditions of <stream:error/>s received ("conflict", ...)
    await phone.close()         # ends the stream and waits for the connection to close
    client = harness.Client(jid, password); await harness.login(client, port, ...)
                                # the same in two steps, to add handlers before connecting

Raw sockets, for exact wire control and hostile input (blocking, with timeouts):

    raw = server.raw()                         # TCP to the c2s port (direct_tls=True: TLS)
    raw = server.raw_login("romeo", "pw", resource="r")   # the same, logged in and bound
    raw.login("juliet", "pw", resource="r")    # stream, STARTTLS, SASL, restart, bind -> JID
        options: mechanism="SCRAM-SHA-256" | "SCRAM-SHA-1" | "...-PLUS" | "PLAIN",
                 tls=False (plaintext), cb_flag="n"|"y" (SCRAM gs2 flag without -PLUS)
    raw.open_stream() -> features; raw.starttls(); raw.authenticate(user, pw, mech) -> None on
    success or the <failure/> condition; raw.restart(); raw.bind(resource) -> JID
    raw.send("<presence/>")                    # str or bytes, as is
    raw.wait_for(pred, timeout)                # next unconsumed stanza (etree) matching pred
    raw.wait_tag("{jabber:client}message")     # the same by tag; raw.read_until(regex) on text
    raw.request("<ping xmlns='urn:xmpp:ping'/>", type="get", to="localhost") -> reply stanza
    raw.ping() -> True when the server answered a ping with a result
    raw.wait_stream_error(timeout) -> condition name (e.g. "policy-violation")
    raw.wait_closed(timeout) -> True when the server closed the connection
    raw.text                                   # everything received, decoded
    raw.close()

harness.run(main()) runs an async main and returns a process exit code (0 or 1).
harness.NS holds namespace URIs (NS.ping, NS.streams, ...); harness.stanza_error(elem) is the
defined condition of a stanza's <error/> ("service-unavailable") or None.
"""
import asyncio
import base64
import codecs
import collections
import hashlib
import hmac
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET  # noqa: re-exported as harness.ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout  # re-exported for tests

__all__ = ["Server", "Client", "RawClient", "LoginFailed", "IqError", "IqTimeout", "login",
           "run", "toml_text", "free_port", "stanza_error", "CHORUSD", "CHORUSCTL", "NS"]

DEBUG = bool(os.environ.get("CHORUS_INTEROP_DEBUG"))
logging.basicConfig(level=logging.DEBUG if DEBUG else logging.CRITICAL,
                    format="%(asctime)s %(name)s %(message)s")

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHORUSD = os.environ.get("CHORUSD") or os.path.join(_REPO, "build/apps/chorusd/chorusd")
CHORUSCTL = os.environ.get("CHORUSCTL") or os.path.join(_REPO, "build/apps/chorusctl/chorusctl")


class NS:
    """XML namespaces the tests look for, in ElementTree's {uri}name spelling."""
    client = "jabber:client"
    streams = "http://etherx.jabber.org/streams"
    stream_errors = "urn:ietf:params:xml:ns:xmpp-streams"
    stanza_errors = "urn:ietf:params:xml:ns:xmpp-stanzas"
    tls = "urn:ietf:params:xml:ns:xmpp-tls"
    sasl = "urn:ietf:params:xml:ns:xmpp-sasl"
    bind = "urn:ietf:params:xml:ns:xmpp-bind"
    session = "urn:ietf:params:xml:ns:xmpp-session"
    ping = "urn:xmpp:ping"
    disco_info = "http://jabber.org/protocol/disco#info"
    disco_items = "http://jabber.org/protocol/disco#items"
    version = "jabber:iq:version"
    caps = "http://jabber.org/protocol/caps"
    mam = "urn:xmpp:mam:2"
    rsm = "http://jabber.org/protocol/rsm"


class LoginFailed(Exception):
    """A login did not reach session_start; .condition is the SASL/stream condition if any."""

    def __init__(self, message, condition=None):
        super().__init__(message)
        self.condition = condition


# ---------------------------------------------------------------------------------------------
# Config and process

def free_port():
    """A TCP port free on 127.0.0.1 right now (for options where port 0 means 'off')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flatten(settings):
    out = {}
    for key, value in (settings or {}).items():
        if isinstance(value, dict):
            for inner, v in value.items():
                out[f"{key}.{inner}"] = v
        else:
            out[key] = value
    return out


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for everything tests write
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def toml_text(settings):
    """TOML for a dict of settings; keys may be dotted ("limits.max_depth") or nested."""
    top, sections = [], collections.OrderedDict()
    for key, value in _flatten(settings).items():
        if "." in key:
            section, name = key.split(".", 1)
            sections.setdefault(section, []).append(f"{name} = {_toml_value(value)}")
        else:
            top.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(top) + "\n"
    for section, lines in sections.items():
        text += f"\n[{section}]\n" + "\n".join(lines) + "\n"
    return text


class Server:
    """One chorusd with its own temp dir; see the module docstring."""

    def __init__(self, users=None, config=None, domain="localhost", direct_tls=False,
                 log_level="debug", start_timeout=20, stop_timeout=10, wrapper=None):
        self.domain = domain
        self.wrapper = list(wrapper or [])
        self.users = dict(users or {})
        self.tmp = tempfile.mkdtemp(prefix="chorus-interop-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.config_path = os.path.join(self.tmp, "chorus.toml")
        self.ready_path = os.path.join(self.tmp, "ready.json")
        self.log_path = os.path.join(self.tmp, "chorusd.log")
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.log_level = log_level
        settings = {
            "domains": [domain],
            "data_dir": self.data_dir,
            "log_level": log_level,
            "c2s.bind": "127.0.0.1",
            "c2s.port": 0,
            "c2s.direct_tls_port": free_port() if direct_tls else 0,
            # federation: a free port, never the machine's 5269 (set s2s.port to choose one)
            "s2s.bind": "127.0.0.1",
            "s2s.port": 0,
            # issue 16: the HTTP listener on a free port, HTTPS off (Server(config=...)
            # with "http.tls_port": free_port() turns it on)
            "http.port": 0,
            "http.tls_port": 0,
        }
        settings.update(_flatten(config))
        self.settings = settings
        with open(self.config_path, "w") as f:
            f.write(toml_text(settings))
        self.proc = None
        self.c2s_port = None
        self.direct_tls_port = None
        self.s2s_port = None
        self.returncode = None
        self._log = None
        self._clients = []
        self._raws = []

    # -- lifecycle --

    def start(self):
        for user, password in self.users.items():
            self.adduser(user, password)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [*self.wrapper, CHORUSD, "--config", self.config_path, "--data-dir", self.data_dir,
             "--log-level", self.log_level, "--ready-file", self.ready_path],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout
        while not os.path.exists(self.ready_path):
            if self.proc.poll() is not None:
                raise RuntimeError(f"chorusd exited with {self.proc.returncode} before it was "
                                   f"ready:\n{self.log_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"chorusd not ready after {self.start_timeout}s:\n"
                                   f"{self.log_text()}")
            time.sleep(0.02)
        with open(self.ready_path) as f:
            ports = json.load(f)
        self.c2s_port = ports["c2s"]
        self.direct_tls_port = ports.get("direct_tls") or None
        self.s2s_port = ports.get("s2s") or None
        self.http_port = ports.get("http") or None  # issue 16
        self.https_port = ports.get("https") or None
        return self

    def stop(self, timeout=None):
        """SIGTERM, then SIGKILL after the timeout; returns chorusd's exit code. Raw clients
        stay open until chorusd has gone, so they can read its <system-shutdown/>."""
        if self.proc is not None and self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=timeout or self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.returncode = self.proc.returncode
        for raw in self._raws:
            raw.close()
        self._raws.clear()
        if self._log:
            self._log.close()
            self._log = None
        return self.returncode

    def cleanup(self):
        if not DEBUG:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            self.cleanup()
            raise

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is not None and not issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            sys.stderr.write(f"--- chorusd log ({self.log_path}), last lines ---\n"
                             f"{self.log_tail()}\n--- end of chorusd log ---\n")
        self.cleanup()
        return False

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb):
        for c in self._clients:
            try:
                await c.close(timeout=2)
            except Exception:
                pass
        self._clients.clear()
        return self.__exit__(exc_type, exc, tb)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- accounts --

    def ctl(self, *args, input=None, timeout=30):
        """Runs `chorusctl --config <this server's config> args...`; returns CompletedProcess
        with text stdout/stderr."""
        return subprocess.run([CHORUSCTL, "--config", self.config_path, *args], input=input,
                              stdin=subprocess.DEVNULL if input is None else None,
                              capture_output=True, text=True, timeout=timeout)

    def adduser(self, user, password):
        """Creates user@domain (user may be a full bare JID); raises when chorusctl fails."""
        jid = user if "@" in user else f"{user}@{self.domain}"
        r = self.ctl("adduser", jid, input=password + "\n")
        if r.returncode != 0:
            raise RuntimeError(f"chorusctl adduser {jid} failed ({r.returncode}): {r.stderr}")
        self.users[jid.split("@")[0]] = password

    # -- clients --

    async def client(self, jid, password, **options):
        """A logged-in slixmpp Client (see login()); closed when the server's `async with`
        ends."""
        plugins = options.pop("plugins", None)
        c = Client(jid, password, plugins=plugins, sasl_mech=options.pop("mechanism", None))
        self._clients.append(c)
        direct_tls = options.pop("direct_tls", False)
        port = self.direct_tls_port if direct_tls else self.c2s_port
        if direct_tls and not port:
            raise RuntimeError("Server(direct_tls=True) is needed for a direct TLS client")
        await login(c, port, direct_tls=direct_tls, **options)
        return c

    def raw(self, direct_tls=False, timeout=10):
        """A connected RawClient (not yet speaking XMPP); closed when the server stops."""
        port = self.direct_tls_port if direct_tls else self.c2s_port
        if direct_tls and not port:
            raise RuntimeError("Server(direct_tls=True) is needed for a direct TLS client")
        r = RawClient(port, domain=self.domain, direct_tls=direct_tls, timeout=timeout)
        self._raws.append(r)
        return r

    def raw_login(self, user, password, **options):
        """A RawClient logged in and bound (options as RawClient.login)."""
        r = self.raw(direct_tls=options.pop("direct_tls", False))
        r.login(user, password, **options)
        return r


# ---------------------------------------------------------------------------------------------
# slixmpp

DEFAULT_PLUGINS = ("xep_0030", "xep_0059", "xep_0092", "xep_0199", "xep_0280", "xep_0297",
                   "xep_0313")


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records what it receives; see the module docstring."""

    def __init__(self, jid, password, plugins=None, sasl_mech=None):
        super().__init__(jid, password, sasl_mech=sasl_mech)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.use_aiodns = False
        self.whitespace_keepalive = False
        self.inbox = []           # <message/> and <presence/> elements
        self.received = []        # every stanza
        self.stream_errors = []   # <stream:error/> conditions
        self.failed_auth = []     # SASL <failure/> conditions
        self._waiters = []
        for p in DEFAULT_PLUGINS if plugins is None else plugins:
            self.register_plugin(p)
        self.add_filter("in", self._record)
        self.add_event_handler("stream_error", self._on_stream_error)
        self.add_event_handler("failed_auth", self._on_failed_auth)

    def _record(self, stanza):
        xml = stanza.xml
        self.received.append(xml)
        if xml.tag in ("{jabber:client}message", "{jabber:client}presence"):
            self.inbox.append(xml)
        for waiter in list(self._waiters):
            predicate, future = waiter
            if future.done():
                self._waiters.remove(waiter)
            elif predicate(xml):
                self._waiters.remove(waiter)
                future.set_result(xml)
        return stanza

    def _on_stream_error(self, error):
        self.stream_errors.append(error["condition"])

    def _on_failed_auth(self, failure):
        self.failed_auth.append(failure["condition"])

    async def wait_for(self, predicate, timeout=10):
        """The next stanza received after this call for which predicate(element) is true."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"{self.boundjid}: no matching stanza within {timeout}s") from None

    async def barrier(self, timeout=10):
        """Pings the server and waits for the answer, so everything the server had to do
        before (deliveries to this client included) is done."""
        if self.transport is None:
            raise RuntimeError(f"{self.boundjid}: barrier() on a client that is not connected")
        iq = self.make_iq_get(ito=self.boundjid.domain)
        iq.append(ET.Element(f"{{{NS.ping}}}ping"))
        await iq.send(timeout=timeout)

    async def close(self, timeout=5):
        """Ends the stream and waits until the connection is closed."""
        if self.transport is None:
            return
        try:
            await asyncio.wait_for(asyncio.ensure_future(self.disconnect(wait=timeout)),
                                   timeout + 1)
        except asyncio.TimeoutError:
            self.abort()


async def login(client, port, *, direct_tls=False, starttls=True, presence=True, priority=None,
                timeout=10):
    """Connects client to 127.0.0.1:port and waits for session_start (or raises LoginFailed).
    starttls=False stays in plaintext; direct_tls=True does TLS first (XEP-0368)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def fail(message, condition=None):
        if not done.done():
            done.set_exception(LoginFailed(message, condition))

    def on_session_start(_):
        if not done.done():
            done.set_result(True)

    handlers = {
        "session_start": on_session_start,
        "failed_all_auth": lambda _: fail(f"{client.requested_jid}: authentication failed "
                                          f"({client.failed_auth})",
                                          client.failed_auth[-1] if client.failed_auth else None),
        "stream_error": lambda e: fail(f"{client.requested_jid}: stream error "
                                       f"{e['condition']}", e["condition"]),
        "disconnected": lambda _: fail(f"{client.requested_jid}: disconnected before the "
                                       f"session started",
                                       client.failed_auth[-1] if client.failed_auth else None),
        "connection_failed": lambda e: fail(f"{client.requested_jid}: connection failed: {e}"),
    }
    for event, handler in handlers.items():
        client.add_event_handler(event, handler)
    try:
        client.connect(("127.0.0.1", port), use_ssl=direct_tls,
                       force_starttls=starttls and not direct_tls,
                       disable_starttls=not starttls or direct_tls)
        try:
            await asyncio.wait_for(done, timeout)
        except asyncio.TimeoutError:
            raise LoginFailed(f"{client.requested_jid}: no session within {timeout}s "
                              f"(failures: {client.failed_auth})") from None
    except LoginFailed:
        client.cancel_connection_attempt()
        client.abort()
        raise
    finally:
        for event, handler in handlers.items():
            client.del_event_handler(event, handler)
    if presence:
        client.send_presence(ppriority=priority)
    return client


def run(main):
    """Runs an async main; returns 0, or 1 after printing the failure."""
    try:
        asyncio.run(main)
        return 0
    except Exception:
        traceback.print_exc()
        return 1


# ---------------------------------------------------------------------------------------------
# Raw sockets

STREAM_HEADER = ("<?xml version='1.0'?><stream:stream to='{to}' version='1.0' xml:lang='en' "
                 "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")


def _scram_hash(mechanism):
    return hashlib.sha256 if mechanism.startswith("SCRAM-SHA-256") else hashlib.sha1


class RawClient:
    """A blocking XMPP client on a plain socket; see the module docstring."""

    _ids = itertools.count(1)

    def __init__(self, port, host="127.0.0.1", domain="localhost", direct_tls=False, timeout=10):
        self.domain = domain
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.tls = False
        self.closed = False       # the server closed its side (EOF or reset)
        self.stream_closed = False  # </stream:stream> received
        self.text = ""            # everything received, decoded
        self.header = None        # the server's last stream header
        self.features = None
        self._pending = collections.deque()  # stanzas not yet returned by wait_for
        self._decoder = None
        self._reset_parser()
        if direct_tls:
            self._wrap_tls()

    # -- transport --

    def _reset_parser(self):
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self.parse_error = None   # set when what the server sent was not XML
        self._depth = 0
        self._root = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def _wrap_tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname=self.domain)
        self.tls = True

    def send(self, data):
        """Sends data (str or bytes) as is; returns False if the server has gone."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.closed = True
            return False

    def _pump(self, deadline):
        """Reads once (until deadline); False on timeout or when closed."""
        if self.closed:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except ssl.SSLWantReadError:
            return True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            self.closed = True
            return False
        if not data:
            self.closed = True
            return False
        text = self._decoder.decode(data)
        self.text += text
        self._feed(text)
        return True

    def _feed(self, text):
        if self.parse_error:
            return
        try:
            self._parser.feed(text)
            events = list(self._parser.read_events())
        except ET.ParseError as e:  # the server sent non-XML (a TLS alert, say): keep the text
            self.parse_error = str(e)
            return
        for event, elem in events:
            if event == "start":
                self._depth += 1
                if self._depth == 1:
                    self.header = elem
                    self._root = elem
            else:
                self._depth -= 1
                if self._depth == 0:
                    self.stream_closed = True
                elif self._depth == 1:
                    if elem.tag == f"{{{NS.streams}}}features":
                        self.features = elem
                    self._pending.append(elem)
                    self._root.remove(elem)

    # -- waiting --

    def wait_for(self, predicate, timeout=None):
        """The next unconsumed stanza (etree element) for which predicate is true; raises
        TimeoutError (with what was received) when none comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for elem in list(self._pending):
                if predicate(elem):
                    self._pending.remove(elem)
                    return elem
            if not self._pump(deadline):
                if self.closed or time.monotonic() >= deadline:
                    raise TimeoutError(f"no matching stanza; received so far:\n{self.text[-3000:]}")

    def unconsumed(self, tag):
        """The stanzas with this {ns}name tag received so far that no wait_for has taken."""
        return [e for e in self._pending if e.tag == tag]

    def wait_tag(self, tag, timeout=None):
        """The next stanza with this {ns}name tag."""
        return self.wait_for(lambda e: e.tag == tag, timeout)

    def read_until(self, pattern, timeout=None):
        """Reads until the received text matches the regex; returns the match or None."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            m = re.search(pattern, self.text, re.S)
            if m:
                return m
            if not self._pump(deadline) and (self.closed or time.monotonic() >= deadline):
                return None

    def wait_stream_error(self, timeout=None):
        """The condition of the <stream:error/> the server sends, or None if none came."""
        try:
            err = self.wait_tag(f"{{{NS.streams}}}error", timeout)
        except TimeoutError:
            return None
        for child in err:
            if child.tag.startswith(f"{{{NS.stream_errors}}}") and not child.tag.endswith("}text"):
                return child.tag.split("}", 1)[1]
        return ""

    def wait_closed(self, timeout=None):
        """True once the server has closed the connection (EOF) within the timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.closed:
            if not self._pump(deadline) and not self.closed and time.monotonic() >= deadline:
                return False
        return True

    def close(self):
        try:
            if not self.closed:
                self.send("</stream:stream>")
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    # -- negotiation --

    def open_stream(self, to=None, timeout=None):
        """Sends a stream header; returns the <stream:features/> element."""
        self.features = None
        self.send(STREAM_HEADER.format(to=to or self.domain))
        return self.wait_tag(f"{{{NS.streams}}}features", timeout)

    def restart(self):
        """A new stream after STARTTLS or SASL success (RFC 6120 §4.3.3)."""
        self._reset_parser()
        return self.open_stream()

    def starttls(self):
        self.send(f"<starttls xmlns='{NS.tls}'/>")
        self.wait_tag(f"{{{NS.tls}}}proceed")
        self._wrap_tls()
        self._reset_parser()
        return self.open_stream()

    def mechanisms(self):
        """The SASL mechanisms in the last features."""
        if self.features is None:
            return []
        return [m.text for m in self.features.iter(f"{{{NS.sasl}}}mechanism")]

    def _sasl_reply(self):
        return self.wait_for(lambda e: e.tag in (f"{{{NS.sasl}}}challenge",
                                                 f"{{{NS.sasl}}}success",
                                                 f"{{{NS.sasl}}}failure"))

    @staticmethod
    def _failure(elem):
        for child in elem:
            if not child.tag.endswith("}text"):
                return child.tag.split("}", 1)[1]
        return ""

    def authenticate(self, user, password, mechanism="SCRAM-SHA-256", cb_flag=None,
                     authzid=""):
        """SASL; None on success, else the <failure/> condition. cb_flag for SCRAM without
        -PLUS: "n" (default: client cannot bind) or "y" (client could, thinks server cannot)."""
        if mechanism == "PLAIN":
            blob = f"{authzid}\0{user}\0{password}".encode()
            self.send(f"<auth xmlns='{NS.sasl}' mechanism='PLAIN'>"
                      f"{base64.b64encode(blob).decode()}</auth>")
            reply = self._sasl_reply()
            return None if reply.tag.endswith("}success") else self._failure(reply)
        if not mechanism.startswith("SCRAM-"):
            raise ValueError(f"unsupported mechanism {mechanism}")
        plus = mechanism.endswith("-PLUS")
        if plus:
            gs2 = f"p=tls-unique,{authzid and 'a=' + authzid},"
            if not self.tls:
                raise ValueError(f"{mechanism} needs TLS")
            cb_data = self.sock.get_channel_binding("tls-unique")
        else:
            gs2 = f"{cb_flag or 'n'},{authzid and 'a=' + authzid},"
            cb_data = b""
        nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        name = user.replace("=", "=3D").replace(",", "=2C")
        first_bare = f"n={name},r={nonce}"
        self.send(f"<auth xmlns='{NS.sasl}' mechanism='{mechanism}'>"
                  f"{base64.b64encode((gs2 + first_bare).encode()).decode()}</auth>")
        reply = self._sasl_reply()
        if not reply.tag.endswith("}challenge"):
            return self._failure(reply) if reply.tag.endswith("}failure") else "unexpected"
        server_first = base64.b64decode(reply.text or "").decode()
        fields = dict(kv.split("=", 1) for kv in server_first.split(","))
        if not fields.get("r", "").startswith(nonce):
            raise AssertionError(f"server nonce does not extend ours: {server_first}")
        h = _scram_hash(mechanism)
        salted = hashlib.pbkdf2_hmac(h().name, password.encode(), base64.b64decode(fields["s"]),
                                     int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", h).digest()
        stored_key = h(client_key).digest()
        channel = base64.b64encode(gs2.encode() + cb_data).decode()
        final_bare = f"c={channel},r={fields['r']}"
        auth_message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.new(stored_key, auth_message, h).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = f"{final_bare},p={base64.b64encode(proof).decode()}"
        self.send(f"<response xmlns='{NS.sasl}'>"
                  f"{base64.b64encode(final.encode()).decode()}</response>")
        reply = self._sasl_reply()
        if reply.tag.endswith("}failure"):
            return self._failure(reply)
        if not reply.tag.endswith("}success"):
            return "unexpected"
        server_key = hmac.new(salted, b"Server Key", h).digest()
        expected = base64.b64encode(hmac.new(server_key, auth_message, h).digest()).decode()
        server_final = base64.b64decode(reply.text or "").decode()
        if server_final != f"v={expected}":
            raise AssertionError(f"server signature mismatch: {server_final}")
        return None

    def bind(self, resource=None):
        """Binds a resource (server-generated when None); returns the full JID."""
        inner = f"<resource>{resource}</resource>" if resource else ""
        reply = self.request(f"<bind xmlns='{NS.bind}'>{inner}</bind>", type="set", to=None)
        if reply.get("type") != "result":
            raise AssertionError(f"bind failed: {ET.tostring(reply).decode()}")
        return reply.find(f"{{{NS.bind}}}bind/{{{NS.bind}}}jid").text

    def login(self, user, password, resource=None, mechanism="SCRAM-SHA-256", tls=True,
              cb_flag=None):
        """Stream, STARTTLS (unless tls=False or already TLS), SASL, restart, bind; returns
        the bound JID; raises LoginFailed(condition) when SASL fails. Steps already taken
        (an open stream, TLS) are not repeated."""
        if self.features is None:
            self.open_stream()
        if tls and not self.tls:
            self.starttls()
        failure = self.authenticate(user, password, mechanism, cb_flag=cb_flag)
        if failure is not None:
            raise LoginFailed(f"SASL {mechanism} for {user}: {failure}", failure)
        self.restart()
        self.jid = self.bind(resource)
        return self.jid

    # -- stanzas --

    def request(self, payload, type="get", to="", timeout=None):
        """Sends <iq type=type to=to> with payload (XML text); returns the reply stanza."""
        iq_id = f"raw{next(self._ids)}"
        to = self.domain if to == "" else to
        to_attr = f" to='{to}'" if to else ""
        self.send(f"<iq type='{type}' id='{iq_id}'{to_attr}>{payload}</iq>")
        return self.wait_for(lambda e: e.tag == f"{{{NS.client}}}iq" and e.get("id") == iq_id,
                             timeout)

    def ping(self, timeout=None):
        """True when the server answers a ping (XEP-0199) with a result."""
        try:
            reply = self.request(f"<ping xmlns='{NS.ping}'/>", timeout=timeout)
        except TimeoutError:
            return False
        return reply.get("type") == "result"


def stanza_error(elem):
    """The defined condition of a stanza's <error/>, or None."""
    err = elem.find(f"{{{NS.client}}}error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith(f"{{{NS.stanza_errors}}}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return ""
