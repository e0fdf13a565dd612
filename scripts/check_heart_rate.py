"""Compare the digitized heart rate (rhythm strip) with the rate the device printed in each page's footer.

    python scripts/check_heart_rate.py --data ../shared/data/ecg-images [--json out/heart_rate.json]

Needs Debian's tesseract-ocr to read the footer. Prints the share within 5 bpm, the error distribution and
the worst cases.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecg_pipeline.data import find_images  # noqa: E402
from ecg_pipeline.digitize import digitize_page  # noqa: E402
from ecg_pipeline.footer import printed_heart_rate, tesseract_available  # noqa: E402
from ecg_pipeline.pipeline import run_pipeline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--json", default=str(ROOT / "out" / "heart_rate.json"))
    args = parser.parse_args()
    if not tesseract_available():
        sys.exit("tesseract is not installed (apt-get install tesseract-ocr)")
    rows = []
    for path in find_images(args.data):
        result = run_pipeline(path)
        digitized = digitize_page(result)
        printed = printed_heart_rate(result.original, result.layout.grid_box[1])
        measured = digitized.heart_rate_bpm if digitized else None
        rows.append({"file": str(Path(path).relative_to(args.data)), "printed_bpm": printed,
                     "digitized_bpm": None if measured is None else round(measured, 1)})
    both = [r for r in rows if r["printed_bpm"] is not None and r["digitized_bpm"] is not None]
    errors = np.array([r["digitized_bpm"] - r["printed_bpm"] for r in both])
    within = float(np.mean(np.abs(errors) <= 5)) if len(errors) else 0.0
    unread = sum(r["printed_bpm"] is None for r in rows)
    print(f"{len(rows)} pages; footer read on {len(rows) - unread}; both rates on {len(both)}")
    print(f"within 5 bpm: {within:.1%} of the pages with both rates "
          f"({np.sum(np.abs(errors) <= 5)} / {len(both)}); of all pages: {np.sum(np.abs(errors) <= 5) / len(rows):.1%}")
    if len(errors):
        q = np.percentile(np.abs(errors), [50, 90, 95, 99])
        print(f"absolute error bpm: median {q[0]:.1f}, 90th {q[1]:.1f}, 95th {q[2]:.1f}, 99th {q[3]:.1f}, "
              f"max {np.abs(errors).max():.1f}; mean signed {errors.mean():+.2f}")
        print("worst cases:")
        for r in sorted(both, key=lambda r: -abs(r["digitized_bpm"] - r["printed_bpm"]))[:8]:
            print(f"   {r['file']:40s} printed {r['printed_bpm']:4d}  digitized {r['digitized_bpm']:6.1f}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"within_5_bpm": within, "pages": rows}, indent=1))


if __name__ == "__main__":
    main()
