# bench/report.py: the table of bench/side-by-side (medians, ratios, failures) and the
# bench/RESULTS.md page written from it.
"""Tables and the results page of the side-by-side benchmark."""

import datetime
import json
import os
import platform
import statistics
import subprocess

import peers
from conditions import (BENCH_CORE, CLIENTS, FOREIGN_LIMIT, IDLE_SIZES, LOGIN_TIMEOUT, ROOT,
                        SERVER_CORE, TRAFFIC, log)


# Rows of the table: (label, scenario, json key, unit, better)
ROWS = [
    ("saturation: delivered msg/s", "saturation", "delivered_per_s", "msg/s", "higher"),
    ("saturation: server CPU per msg", "saturation", "server_us_per_delivered", "us", "lower"),
    ("saturation, 4 in flight: delivered msg/s", "saturation-w4", "delivered_per_s", "msg/s",
     "higher"),
    ("saturation, 4 in flight: server CPU per msg", "saturation-w4", "server_us_per_delivered",
     "us", "lower"),
    ("pairs @2k/s: latency p99", "pairs-2k", "latency_p99_us", "us", "lower"),
    ("pairs @5k/s: server CPU per msg", "pairs", "server_us_per_delivered", "us", "lower"),
    ("pairs @5k/s: latency p50", "pairs", "latency_p50_us", "us", "lower"),
    ("pairs @5k/s: latency p99", "pairs", "latency_p99_us", "us", "lower"),
    ("pairs @5k/s: latency p99.9", "pairs", "latency_p999_us", "us", "lower"),
    ("fanout @10k copies/s: server CPU per copy", "fanout", "server_us_per_delivered", "us",
     "lower"),
    ("fanout @10k copies/s: latency p99", "fanout", "latency_p99_us", "us", "lower"),
    ("fanout saturated: delivered copies/s", "fanout-sat", "delivered_per_s", "/s", "higher"),
    ("fanout saturated: server CPU per copy", "fanout-sat", "server_us_per_delivered", "us",
     "lower"),
] + [
    (f"idle plaintext {size}: memory per session", f"idle-{size}", "kib_per_session", "KiB",
     "lower") for size in IDLE_SIZES
] + [
    (f"idle STARTTLS {size}: memory per session", f"idle-tls-{size}", "kib_per_session", "KiB",
     "lower") for size in IDLE_SIZES
] + [
    (f"logins/s, plaintext SCRAM, {size} sessions", f"idle-{size}", "logins_per_s", "/s",
     "higher") for size in IDLE_SIZES
] + [
    (f"logins/s, STARTTLS + SCRAM, {size} sessions", f"idle-tls-{size}", "logins_per_s", "/s",
     "higher") for size in IDLE_SIZES
] + [
    (f"server CPU per STARTTLS login, {size} sessions", f"idle-tls-{size}",
     "server_us_per_login", "us", "lower") for size in IDLE_SIZES
] + [
    # When chorus-bench's own TLS handshakes fill its core, the measured rate is the bench's;
    # this is what the server's CPU per login allows on one core.
    (f"STARTTLS logins/s the server CPU allows, {size} sessions", f"idle-tls-{size}",
     "server_login_capacity", "/s", "higher") for size in IDLE_SIZES
]

# The soak's rows; their labels get the soak's size and length from its run.
SOAK_ROWS = [
    ("memory per session", "kib_per_session", "KiB"),
    ("server RSS at the start of the hold", "hold_rss_start_mib", "MiB"),
    ("server RSS, lowest during the hold", "hold_rss_min_mib", "MiB"),
    ("server RSS, highest during the hold", "hold_rss_max_mib", "MiB"),
    ("server RSS at the end of the hold", "hold_rss_end_mib", "MiB"),
]


# What RESULTS.md keeps of each run (chorus-bench --json has more).
RAW_KEYS = [
    "server", "run", "rep", "chorus_rev", "attempts", "tls_mode", "sent", "delivered", "lost",
    "duplicated", "misrouted", "delivered_per_s", "latency_p50_us", "latency_p99_us",
    "latency_p999_us", "server_us_per_delivered", "server_cpu_percent",
    "server_core_foreign_percent", "bench_cpu_percent", "wanted_sessions", "sessions",
    "logins_failed", "login_seconds", "logins_per_s", "server_us_per_login", "kib_per_session",
    "server_rss_before_kib", "server_rss_after_kib", "hold_seconds", "hold_rss_min_kib",
    "hold_rss_max_kib", "hold_rss_end_kib", "error", "first_error",
]


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def fmt(value):
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def is_failed(run):
    """A run that crashed, or that could not log in all its sessions in time."""
    wanted = run.get("wanted_sessions")
    return bool(run.get("error")) or (wanted is not None and (run.get("sessions") or 0) < wanted)


def failure_text(runs):
    """The cell for a scenario with a failed run: its figures would describe fewer sessions."""
    worst = min((r for r in runs if is_failed(r)), key=lambda r: r.get("sessions") or 0)
    if worst.get("wanted_sessions") is None:
        return "failed"
    return f"failed ({worst.get('sessions') or 0:,} of {worst['wanted_sessions']:,} sessions)"


def soak_label(runs):
    run = next((r for s in runs.values() for r in s.get("soak", [])), {})
    n, seconds = run.get("wanted_sessions"), run.get("hold_seconds")
    if n is None or seconds is None:
        return "soak"
    return f"soak, {n:,} STARTTLS sessions for {seconds:g} s"


def build_table(results, servers, scenarios):
    header = ["metric"] + servers
    if "chorus" in servers:
        header += [f"chorus/{s}" for s in servers if s != "chorus"]
    rows = list(ROWS) + [(f"{soak_label(results)}: {label}", "soak", key, unit, "lower")
                         for label, key, unit in SOAK_ROWS]
    lines = []
    for label, scenario, key, unit, better in rows:
        if scenario not in scenarios:
            continue
        med, cells = {}, {}
        for s in servers:
            runs = results.get(s, {}).get(scenario, [])
            failed = any(is_failed(r) for r in runs)
            med[s] = None if failed else median([r.get(key) for r in runs])
            cells[s] = failure_text(runs) if failed else fmt(med[s])
        row = [f"{label} ({unit}, {better} is better)"] + [cells[s] for s in servers]
        if "chorus" in servers:
            row += [ratio(med["chorus"], med[s]) for s in servers if s != "chorus"]
        lines.append(row)
    checks = ["exactly once (lost/duplicated/misrouted, all runs)"]
    for s in servers:
        runs = [r for sc in TRAFFIC for r in results.get(s, {}).get(sc, [])]
        if not runs:
            checks.append("-")
            continue
        total = [sum(r.get(k, 0) or 0 for r in runs) for k in ("lost", "duplicated", "misrouted")]
        checks.append("/".join(str(t) for t in total))
    if "chorus" in servers:
        checks += [""] * (len(header) - len(checks))
    lines.append(checks)
    return header, lines


def markdown_table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in lines]
    return "\n".join(out)


def text_table(header, lines):
    widths = [max(len(str(row[i])) for row in [header] + lines) for i in range(len(header))]
    fmt_row = lambda row: "  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                                    for i, c in enumerate(row))
    return "\n".join([fmt_row(header), fmt_row(["-" * w for w in widths])] +
                     [fmt_row(r) for r in lines])


def git_rev():
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "uncommitted"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except OSError:
        mem_kib = 0
    return (f"{model}, {os.cpu_count()} cores, {mem_kib // 1024 // 1024} GiB RAM, "
            f"Linux {platform.release()}, open files limit {peers.nofile_limit()}")


def scenario_text(raw):
    """The scenarios paragraph; sizes and times come from the runs, so it matches the table."""
    runs = {r["run"]: r for r in raw}
    sizes = ", ".join(f"{n:,}" for n in IDLE_SIZES.values())
    text = (
        f"Scenarios (chorus-bench): saturation = {CLIENTS} clients in pairs, 16 messages in "
        f"flight per sender (saturation-w4: 4); pairs = {CLIENTS} clients in pairs at 5,000 "
        "msg/s in total (pairs-2k: 2,000); fanout "
        "= 50 accounts with 4 devices (IM-NG on Chorus, Carbons and equal priority on the "
        "peers) and one contact each at 2,500 msg/s (10,000 copies/s); fanout saturated = the "
        "same with 16 messages in flight per contact; idle-1k, idle-5k, idle-19k = "
        f"{sizes} sessions logged in with SCRAM-SHA-1 over plaintext c2s (idle-tls-*: after "
        "STARTTLS), 200 logins in flight, then held open; memory per session is the server's "
        "RSS growth from before the first login to 3 s after the last, divided by the "
        "sessions; logins/s counts from the first connect to the last bind. A server that "
        f"does not log in every session within {LOGIN_TIMEOUT} s fails the run, shown as "
        "'failed (N of M sessions)'. 19,000 sessions is as many as fit, beside the "
        "server's own files, under the open-files hard limit of 20,000 (which cannot be "
        "raised on these machines).")
    if "soak" in runs:
        soak = runs["soak"]
        text += (
            " soak = Chorus only, a single run: "
            f"{soak.get('wanted_sessions', 0):,} STARTTLS sessions logged in as above and held "
            f"{soak.get('hold_seconds', 0):g} s after the 3 s settle, the server's RSS sampled "
            "every second; its rows give the memory per session at the start of the hold and "
            "the RSS at the start, lowest, highest and at the end of the hold: memory that "
            "stays flat keeps the end near the start.")
    return text + (
        " Every run starts on a freshly started server (accounts kept). Server CPU is "
        "utime+stime from /proc over the measured window; runs during which other processes "
        f"took more than {FOREIGN_LIMIT:.0f}% of the server's core were repeated.")


def max_reps(raw):
    return max((r.get("rep", 1) for r in raw if r.get("run") != "soak"), default=1)


def write_results(args, servers, header, lines, notes, raw, elapsed):
    if not args.results:
        return
    revs = sorted({r["chorus_rev"] for r in raw if r.get("chorus_rev")})
    rev = ", ".join(revs) or git_rev()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    reps = max_reps(raw)
    text = [
        "# Benchmark results: Chorus, Prosody, ejabberd side by side",
        "",
        f"Written by `bench/side-by-side{' --quick' if args.quick else ''}` on {now} "
        f"(tree at {rev})"
        + (f", rendered from saved runs ({os.path.basename(args.from_json)})"
           if args.from_json else f", in {elapsed / 60:.0f} min")
        + ". Issue 7 holds the targets; rerun the script to refresh this page.",
        "",
        f"- Machine: {machine()}.",
        f"- Servers: {', '.join(peers.versions(servers))}.",
        f"- Pinning: server on core {SERVER_CORE}, chorus-bench on core {BENCH_CORE} (taskset); "
        f"{reps} run{'s' if reps > 1 else ''} per scenario, medians shown"
        + ("; the soak is a single run." if any(r["run"] == "soak" for r in raw) else "."),
    ] + [f"- {n}" for n in notes] + [
        "",
        markdown_table(header, lines),
        "",
        scenario_text(raw),
        "",
        "<details><summary>every run (JSON)</summary>",
        "",
        "```",
    ] + [json.dumps({k: r[k] for k in RAW_KEYS if k in r}) for r in raw] + [
        "```", "", "</details>", ""]
    with open(args.results, "w") as f:
        f.write("\n".join(text))
    log(f"wrote {args.results}")
