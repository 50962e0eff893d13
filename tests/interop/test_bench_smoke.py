#!/usr/bin/python3
# tests/interop/test_bench_smoke.py: a short chorus-bench "pairs" run against a fresh chorusd
# (issue 7): a few hundred messages, every one delivered exactly once. Not a timed assertion.
"""Needs CHORUSD, CHORUSCTL and CHORUS_BENCH in the environment (CTest sets them)."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

PASSWORD = "smoke-secret"
ACCOUNTS = 4


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"chorusd exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    fail(f"chorusd is not listening on {port} after {seconds} s")


def main():
    tools = {name: os.environ.get(name) for name in ("CHORUSD", "CHORUSCTL", "CHORUS_BENCH")}
    for name, path in tools.items():
        if not path or not os.access(path, os.X_OK):
            fail(f"{name} does not name an executable ({path!r})")
    with tempfile.TemporaryDirectory(prefix="chorus-bench-smoke-") as tmp:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        port = free_port()
        config = os.path.join(tmp, "chorusd.toml")
        with open(config, "w") as f:
            f.write(f"""domains = ["localhost"]
data_dir = "{data}"
log_level = "warn"

[c2s]
bind = "127.0.0.1"
port = {port}
direct_tls_port = 0
require_tls = false
allow_plaintext_on_loopback = true

# Not the machine's 5269/5280: another chorusd (a parallel test or bench) may hold them.
[s2s]
enabled = false

[http]
enabled = false
""")
        for n in range(1, ACCOUNTS + 1):
            jid = f"bench{n:04d}@localhost"
            done = subprocess.run([tools["CHORUSCTL"], "--config", config, "adduser", jid],
                                  input=PASSWORD + "\n", capture_output=True, text=True,
                                  timeout=60)
            if done.returncode != 0:
                fail(f"chorusctl adduser {jid} exited {done.returncode}: {done.stderr.strip()}")
        log_path = os.path.join(tmp, "chorusd.log")
        with open(log_path, "wb") as log:
            server = subprocess.Popen([tools["CHORUSD"], "--config", config, "--data-dir", data],
                                      stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            # 4 clients in 2 pairs, 200 msg/s for 2.5 s: about 500 messages in all.
            bench = subprocess.run(
                [tools["CHORUS_BENCH"], "pairs", "--port", str(port), "--domain", "localhost",
                 "--users-prefix", "bench", "--password", PASSWORD, "--clients", str(ACCOUNTS),
                 "--rate", "200", "--warmup", "0.5", "--duration", "2", "--drain", "10",
                 "--login-timeout", "30", "--server-pid", str(server.pid), "--json"],
                capture_output=True, text=True, timeout=120)
            print(bench.stderr, end="")
            try:
                result = json.loads(bench.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                fail(f"chorus-bench exited {bench.returncode} without a JSON report")
            if bench.returncode != 0:
                fail(f"chorus-bench exited {bench.returncode}: {result.get('error', '')}")
            problems = []
            if result.get("logins_failed", 1) != 0:
                problems.append(f"{result.get('logins_failed')} logins failed")
            if result.get("sent", 0) < 100:
                problems.append(f"only {result.get('sent')} messages sent")
            for key in ("lost", "duplicated", "misrouted"):
                if result.get(key, 1) != 0:
                    problems.append(f"{key} = {result.get(key)}")
            if result.get("delivered") != result.get("expected_copies"):
                problems.append(f"delivered {result.get('delivered')} of "
                                f"{result.get('expected_copies')}")
            if problems:
                with open(log_path, errors="replace") as log:
                    print("chorusd log (tail):\n" + log.read()[-3000:])
                fail("; ".join(problems))
            print(f"ok: {result['sent']} messages, {result['delivered']} delivered, "
                  "0 lost, 0 duplicated, 0 misrouted")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
