"""Measure the digitizer on synthetic pages, whose printed signal is known: the SNR of every digitized lead
against it (the PhysioNet Challenge 2024's measure), on clean pages and under each moderate distortion.

    python scripts/evaluate_digitization.py [--seeds 3] [--level moderate] [--out docs/digitization.json]

Prints the summary per condition and writes it, with every lead's figures, to ``--out``; ``scripts/results_table.py
--write-readme`` then puts the table into the README.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.results import DIGITIZATION_REPORT, digitization_table
from ecg_pipeline.synth.fidelity import fidelity_report, fidelity_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="synthetic pages per class and condition")
    parser.add_argument("--level", default="moderate", choices=["mild", "moderate", "strong"])
    parser.add_argument("--out", type=Path, default=DIGITIZATION_REPORT)
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    rows = [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
            for row in fidelity_report(seeds=range(args.seeds), level=args.level)]
    report = {"level": args.level, "seeds": args.seeds, "summary": fidelity_summary(rows), "leads": rows}
    args.out.write_text(json.dumps(report, indent=1, allow_nan=True) + "\n")
    print(digitization_table(report))
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
