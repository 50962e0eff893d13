# bench/conditions.py: the scenarios, sizes and limits of bench/side-by-side, shared with
# bench/report.py.
"""Constants of the side-by-side benchmark."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = ["chorus", "prosody", "ejabberd"]
TRAFFIC = ["saturation", "saturation-w4", "pairs", "pairs-2k", "fanout", "fanout-sat"]
# Issue 7's sizes. 19,000 is as many sessions as fit, beside the server's own files, under the
# reference machines' open-files hard limit of 20,000 (which cannot be raised there).
IDLE_SIZES = {"1k": 1000, "5k": 5000, "19k": 19000}
SCENARIOS = (TRAFFIC + [f"idle-{size}" for size in IDLE_SIZES] +
             [f"idle-tls-{size}" for size in IDLE_SIZES] + ["soak"])
ALIASES = {"idle": "idle-5k", "idle-tls": "idle-tls-5k"}  # the names from before the sizes
CLIENTS = 200  # saturation and pairs: issue 7's reference conditions
SOAK_SESSIONS = 19000
SOAK_SECONDS = 300
# A server that cannot log in all of a run's sessions in this time fails the run instead of
# holding up the rest. Prosody, the slowest, logs in fewer per second the more it holds (about
# 800/s at 1k, 370/s at 5k, plaintext): extrapolated, 19k take it 2.5 to 3 minutes.
LOGIN_TIMEOUT = 300
WARMUP_CHUNK = 5000  # accounts logged in per warm-up run
PASSWORD = "bench-secret-0409"
SERVER_CORE = "0"
BENCH_CORE = "1"
# A run during which other processes took more than this share of the server's core is
# repeated (twice at most) after waiting for the core to quiet down: the machine is shared.
FOREIGN_LIMIT = 10.0


def log(message):
    print(f"side-by-side: {message}", file=sys.stderr, flush=True)
