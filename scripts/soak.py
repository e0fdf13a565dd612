"""Soak test: many analyses in one process; reports resident memory growth (target: under 50 MB).

    python scripts/soak.py [--runs 200] [--json]

With ``--json`` the last line is the figures as JSON (``scripts/benchmark.py`` reads it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.io import PROJECT_ROOT as ROOT


def rss_mb() -> float:
    """Resident memory of this process now, from /proc (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="end with the figures as one line of JSON")
    args = parser.parse_args()

    import pandas as pd

    from ecg_pipeline.models.inference import analyze

    samples = ROOT / "data" / "samples"
    manifest = pd.read_csv(samples / "manifest.csv")
    data = [(samples / f).read_bytes() for f in manifest["file"]]
    for i in range(args.warmup):
        analyze(data[i % len(data)], task="auto")
    before = rss_mb()
    started = time.perf_counter()
    samples_rss = []
    for i in range(args.runs):
        analyze(data[i % len(data)], task="auto")
        if i % 20 == 19:
            samples_rss.append(rss_mb())
            print(f"{i + 1:4d} analyses  RSS {samples_rss[-1]:7.1f} MB", flush=True)
    after = rss_mb()
    print(f"{args.runs} analyses in {time.perf_counter() - started:.1f} s; RSS after warm-up {before:.1f} MB, "
          f"after {after:.1f} MB, growth {after - before:+.1f} MB (target < 50 MB)")
    if args.json:
        print(json.dumps({"analyses": args.runs, "rss_after_warmup_mb": before, "rss_after_mb": after,
                          "growth_mb": after - before}))
    sys.exit(0 if after - before < 50 else 1)


if __name__ == "__main__":
    main()
