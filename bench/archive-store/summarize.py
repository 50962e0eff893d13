#!/usr/bin/env python3
# bench/archive-store/summarize.py RESULTS.jsonl: the median of each label's runs as a
# Markdown table (bench/RESULTS-archive-store.md).
"""Medians of archive_store_bench's JSON lines, one table row per label."""

import json
import statistics
import sys
from collections import OrderedDict

COLUMNS = [  # (heading, key, format)
    ("store CPU µs/msg (min–max)", "store_cpu_us", "{:.2f}"),
    ("of it in the kernel", "store_sys_us", "{:.2f}"),
    ("I/O-thread CPU µs/msg", "main_cpu_us", "{:.2f}"),
    ("process CPU µs/msg", "process_cpu_us", "{:.2f}"),
    ("store writes B/msg", "store_write_bytes", "{:.0f}"),
    ("on disk B/msg", "dir_bytes_per_msg", "{:.0f}"),
    ("wall s", "wall_s", "{:.1f}"),
    ("peak RSS MiB", "max_rss_kib", "{:.0f}"),
    ("page: owner µs", "query_owner_us", "{:.0f}"),
    ("page: with µs", "query_with_us", "{:.0f}"),
    ("page w/o counts: owner µs", "query_owner_page_only_us", "{:.0f}"),
    ("page w/o counts: with µs", "query_with_page_only_us", "{:.0f}"),
]


def main(path):
    runs = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("{"):
                row = json.loads(line)
                runs.setdefault(row["label"], []).append(row)
    shown = [c for c in COLUMNS if any(c[1] in r for rows in runs.values() for r in rows)]
    print("| run | n | " + " | ".join(c[0] for c in shown) + " |")
    print("|---|---|" + "---|" * len(shown))
    for label, rows in runs.items():
        cells = []
        for _, key, fmt in shown:
            values = [r[key] for r in rows if key in r]
            if key == "max_rss_kib":
                values = [v / 1024 for v in values]
            cell = fmt.format(statistics.median(values)) if values else ""
            if key == "store_cpu_us" and len(values) > 1:  # the spread of the headline figure
                cell += f" ({min(values):.2f}–{max(values):.2f})"
            cells.append(cell)
        print(f"| {label} | {len(rows)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
