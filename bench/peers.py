# bench/peers.py: the three servers of bench/side-by-side (chorusd, Prosody 0.12, ejabberd 23.01):
# generated configurations, start and stop by PID, the open-files limit they inherit.
"""Server control for bench/side-by-side. Every process started here is remembered by PID and
stopped by PID (SIGTERM, then SIGKILL after a grace period); nothing is stopped by name."""

import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import time

_running = []  # every Server whose process is up, for stop_all()


def nofile_limit():
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def raise_nofile_limit():
    """Raises this process's soft open-files limit to the hard one; the servers and chorus-bench
    inherit it. Returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def make_certificate(work):
    """A self-signed ECDSA P-256 certificate for localhost (cert.pem, key.pem in work)."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj",
                    "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,DNS:pubsub.localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def versions(servers):
    out = []
    for name in servers:
        if name == "chorus":
            out.append("chorusd built from this tree")
            continue
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                           text=True).stdout.strip()
        out.append(f"{'Prosody' if name == 'prosody' else 'ejabberd'} {v} (Debian)")
    return out


def stop_all():
    for server in list(_running):
        server.stop()


def _wait_for_port(port, process, seconds, log_file):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} at start; see {log_file}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"not listening on port {port} after {seconds} s; see {log_file}")


def _chown_tree(path, user):
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


class Server:
    name = "server"
    start_seconds = 60

    def __init__(self, work, port, cert, args):
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        self.cert, self.key = cert
        self.args = args
        self.process = None
        self.log_file = os.path.join(self.dir, "stdout.log")

    def prepare(self):
        pass

    def command(self):
        raise NotImplementedError

    def pid(self):
        return self.process.pid if self.process else None

    def start(self, core):
        with open(self.log_file, "ab") as out:
            self.process = subprocess.Popen(["taskset", "-c", core] + self.command(),
                                            stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, cwd=self.dir,
                                            start_new_session=True)
        _running.append(self)
        try:
            _wait_for_port(self.port, self.process, self.start_seconds, self.log_file)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()  # SIGKILL to the same PID
                self.process.wait(timeout=10)
        if self in _running:
            _running.remove(self)
        self.process = None

    def restart(self, core):
        self.stop()
        self.start(core)


class Prosody(Server):
    name = "prosody"
    start_seconds = 30

    def prepare(self):
        certs = os.path.join(self.dir, "certs")
        os.makedirs(certs, exist_ok=True)
        shutil.copy(self.cert, os.path.join(certs, "localhost.crt"))
        shutil.copy(self.key, os.path.join(certs, "localhost.key"))
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        self.config = os.path.join(self.dir, "prosody.cfg.lua")
        # Debian's default module list minus "limits" (rate limiting) and "posix"
        # (daemonizing); registration open for the bench accounts.
        with open(self.config, "w") as f:
            f.write(f"""-- generated by bench/side-by-side
admins = {{}}
pidfile = "{self.dir}/prosody.pid"
data_path = "{self.dir}/data"
certificates = "{certs}"
log = {{ warn = "{self.dir}/prosody.log" }}
modules_enabled = {{
    "disco", "roster", "saslauth", "tls", "blocklist", "bookmarks", "carbons", "dialback",
    "pep", "private", "smacks", "vcard4", "vcard_legacy", "csi_simple", "invites",
    "invites_adhoc", "invites_register", "ping", "register", "time", "uptime", "version",
    "admin_adhoc",
}}
modules_disabled = {{ "s2s" }}
network_settings = {{ tcp_backlog = 4096 }}
c2s_ports = {{ {self.port} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{}}
c2s_require_encryption = false
allow_registration = true
registration_invite_only = false
authentication = "internal_hashed"
VirtualHost "localhost"
""")
        _chown_tree(self.dir, "prosody")

    def command(self):
        # Prosody refuses to run as root.
        return ["setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups",
                "prosody", "--config", self.config]


class Ejabberd(Server):
    name = "ejabberd"
    start_seconds = 90

    def prepare(self):
        os.makedirs(os.path.join(self.dir, "spool"), exist_ok=True)
        pem = os.path.join(self.dir, "ejabberd.pem")
        with open(pem, "w") as out:
            for part in (self.key, self.cert):
                with open(part) as f:
                    out.write(f.read())
        self.config = os.path.join(self.dir, "ejabberd.yml")
        modules = ["mod_adhoc", "mod_admin_extra", "mod_avatar", "mod_blocking", "mod_caps",
                   "mod_carboncopy", "mod_client_state", "mod_configure", "mod_disco",
                   "mod_last", "mod_ping", "mod_privacy", "mod_private", "mod_vcard_xupdate",
                   "mod_version"]
        with open(self.config, "w") as f:
            f.write(f"""# generated by bench/side-by-side: Debian's defaults without shapers and
# without the HTTP, MQTT, STUN and s2s listeners.
loglevel: warning
hosts:
  - localhost
certfiles:
  - "{pem}"
listen:
  -
    port: {self.port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 1048576
    access: c2s
    starttls: true
    starttls_required: false
    backlog: 4096
auth_method: internal
auth_password_format: scram
registration_timeout: infinity
acl:
  local:
    user_regexp: ""
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  register:
    allow: all
  trusted_network:
    allow: loopback
shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages: 100
  c2s_shaper: none
modules:
""")
            for m in modules:
                f.write(f"  {m}: {{}}\n")
            f.write("""  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_pubsub:
    plugins:
      - flat
      - pep
  mod_register:
    access: register
    ip_access: trusted_network
  mod_roster:
    versioning: true
  mod_stream_mgmt:
    resend_on_timeout: if_offline
  mod_vcard:
    search: false
""")
        _chown_tree(self.dir, "ejabberd")

    def command(self):
        # What `ejabberdctl foreground` runs, minus Erlang distribution (no epmd daemon):
        # erl execs beam.smp, so the PID we hold is the server's. ERL_MAX_PORTS (a port per
        # socket) and +P (processes) stay above the 19,000 sessions of the largest idle run.
        return ["setpriv", "--reuid=ejabberd", "--regid=ejabberd", "--init-groups", "env",
                f"HOME={self.dir}", f"EJABBERD_CONFIG_PATH={self.config}",
                f"EJABBERD_LOG_PATH={self.dir}/ejabberd.log",
                "ERL_LIBS=/usr/lib/x86_64-linux-gnu", "ERL_MAX_PORTS=32000",
                f"ERL_CRASH_DUMP={self.dir}/erl_crash.dump",
                "erl", "+K", "true", "+P", "250000", "-env", "ERL_CRASH_DUMP_BYTES", "0",
                "-mnesia", "dir", f'"{self.dir}/spool"', "-s", "ejabberd", "-noinput"]


class Chorus(Server):
    name = "chorus"
    start_seconds = 30

    def prepare(self):
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data, exist_ok=True)
        self.config = os.path.join(self.dir, "chorusd.toml")
        with open(self.config, "w") as f:
            f.write(f"""# generated by bench/side-by-side
domains = ["localhost"]
data_dir = "{self.data}"
log_level = "warn"
# Accounts come by in-band registration, as on the peers (and far faster than one chorusctl
# process per account).
allow_registration = true
mam_default = "{self.args.chorus_mam_default}"

[c2s]
bind = "127.0.0.1"
port = {self.port}
direct_tls_port = 0
require_tls = false
allow_plaintext_on_loopback = true

[tls]
certificate = "{self.cert}"
private_key = "{self.key}"

[limits]
max_stanza_bytes = 1048576
max_connections_per_ip = 0

[s2s]
enabled = false               # like the peers here: no federation listener
""")
            if self.args.chorus_config_extra:
                with open(self.args.chorus_config_extra) as extra:
                    f.write("\n" + extra.read())

    def command(self):
        return [self.args.chorusd, "--config", self.config, "--data-dir", self.data]


def make(name, work, port, cert, args):
    return {"chorus": Chorus, "prosody": Prosody, "ejabberd": Ejabberd}[name](
        work, port, cert, args)
