"""How often the ECG-evidence gate refuses real ECGs and images that are not ECGs.

    python scripts/check_gate.py --data ../shared/data

Prints the share refused of: the project's non-ECG corpus (ecg_pipeline.synth.non_ecg; all should be refused),
the shared 12-lead printouts (none should be) and the shared beat images (at most 0.5 %), with the reasons.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from ecg_pipeline.gate import evidence_of, refusals
from ecg_pipeline.io.data import find_images
from ecg_pipeline.synth.non_ecg import non_ecg_corpus


def report(title: str, messages: list[str]) -> None:
    refused = [m for m in messages if m]
    print(f"{title}: {len(refused)} of {len(messages)} refused ({len(refused) / max(len(messages), 1):.2%})")
    for message, count in Counter(m.split(":")[1].split("(")[0].strip() for m in refused).most_common(5):
        print(f"   {count:5d}  {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="the shared data folder (ecg-images/, beat-images/)")
    args = parser.parse_args(argv)
    corpus = non_ecg_corpus()
    passed = [name for name, make in corpus.items() if evidence_of(make()).passed]
    print(f"non-ECG images: {len(corpus) - len(passed)} of {len(corpus)} refused"
          + (f"; passed: {', '.join(passed)}" if passed else ""))
    if args.data:
        report("shared 12-lead printouts", refusals(find_images(args.data / "ecg-images"), "twelve_lead"))
        report("shared beat images", refusals(find_images(args.data / "beat-images"), "beat"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
