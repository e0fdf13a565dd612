"""Compare the measured heart rate with the rate the ECG device printed in each page's footer.

    python scripts/check_heart_rate.py --data ../shared/data/ecg-images
    python scripts/check_heart_rate.py --data ../shared/data/ecg-images --read-footers   # needs tesseract-ocr

The printed rates are read once from the footers with tesseract (``--read-footers``) into
data/printed_heart_rates.csv, by content hash; rows read by eye where tesseract misread a digit are kept as they
are. Without it the script measures every page (``ecg_pipeline.measure``) and prints the share of pages within
5 bpm of the printed rate, the error distribution and the worst cases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ecg_pipeline.io.data import list_labelled_images
from ecg_pipeline.io.footer import PRINTED_RATES_PATH, heart_rate_agreement, read_printed_rates


def read_footers(data: str) -> None:
    """Read every footer's heart rate with tesseract into ``PRINTED_RATES_PATH`` (rows read by eye stay)."""
    from ecg_pipeline.io.footer import printed_heart_rate, tesseract_available
    from ecg_pipeline.preprocess.pipeline import run_pipeline

    if not tesseract_available():
        sys.exit("tesseract is not installed (apt-get install tesseract-ocr)")
    kept = read_printed_rates()
    kept = kept[kept.read_by == "eye"] if not kept.empty else kept
    rows = []
    for image in list_labelled_images(data, "twelve_lead").itertuples(index=False):
        if image.sha256 in set(kept.get("sha256", [])):
            continue
        result = run_pipeline(image.path, task="twelve_lead")
        rows.append({"sha256": image.sha256, "file": str(Path(image.path).relative_to(data)),
                     "printed_bpm": printed_heart_rate(result.original, result.layout.grid_box[1]),
                     "read_by": "tesseract"})
    table = pd.concat([kept, pd.DataFrame(rows)], ignore_index=True).sort_values("file")
    table.to_csv(PRINTED_RATES_PATH, index=False)
    print(f"{len(table)} footers in {PRINTED_RATES_PATH}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="the 12-lead image folder (class sub-folders)")
    parser.add_argument("--read-footers", action="store_true", help="read the printed rates with tesseract first")
    parser.add_argument("--method", default=None, help="NeuroKit2's R-peak method (default: the measurements')")
    args = parser.parse_args(argv)
    if args.read_footers:
        read_footers(args.data)
    images = list_labelled_images(args.data, "twelve_lead")
    report = heart_rate_agreement(images, read_printed_rates(), args.method)
    pages = report.dropna(subset=["printed_bpm"])
    errors = (pages.measured_bpm - pages.printed_bpm).abs()
    within = errors <= 5
    print(f"{len(report)} pages, {len(pages)} with a printed rate: measured within 5 bpm of it on "
          f"{within.mean():.1%} ({int(within.sum())} of {len(pages)})")
    q = np.nanpercentile(errors, [50, 90, 95, 99])
    print(f"absolute error (bpm): median {q[0]:.1f}, 90th {q[1]:.1f}, 95th {q[2]:.1f}, 99th {q[3]:.1f}")
    for row in pages.assign(error=errors).sort_values("error", ascending=False).head(8).itertuples():
        print(f"   {row.file:42s} printed {row.printed_bpm:5.0f}  measured {row.measured_bpm:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
