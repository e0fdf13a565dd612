"""Write the synthetic sample images shipped in ``data/samples/`` and their ``manifest.csv``.

Usage::

    python scripts/make_samples.py --out data/samples

Seeds are fixed, so running it again gives the same pictures (and the same files, byte for byte, with the
same OpenCV build). The samples are drawings by ``ecg_pipeline.synth``, not patient data.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecg_pipeline.constants import BEAT, TASK_SPECS, TWELVE_LEAD  # noqa: E402
from ecg_pipeline.synth import REFERENCE_PAGE_SIZE, render_beat_image, render_twelve_lead_page  # noqa: E402

GENERATOR = "ecg_pipeline.synth"
MANIFEST_COLUMNS = ("file", "task", "class", "seed", "generator")
SAMPLES_PER_CLASS = 2
#: Pages are drawn at the reference size and then downscaled, which softens the dotted grid the way a
#: scan does and keeps all samples together under 3 MB.
PAGE_WIDTH = 1600
JPEG_QUALITY = 85


def sample_seed(task: str, class_index: int, number: int) -> int:
    """A fixed seed per sample; consecutive numbers alternate the class variant (see ``synth``).

    Examples
    --------
    >>> sample_seed("beat", 2, 1)
    2201
    """
    task_offset = 1000 if task == TWELVE_LEAD else 2000
    return task_offset + 100 * class_index + number


def page_size(width: int = PAGE_WIDTH) -> tuple[int, int]:
    """(width, height) of a saved page, with the reference page's aspect ratio."""
    ref_width, ref_height = REFERENCE_PAGE_SIZE
    return width, int(round(width * ref_height / ref_width))


def write_rgb(path: Path, rgb: np.ndarray, jpeg_quality: int = JPEG_QUALITY) -> None:
    """Save an RGB image; JPEG or PNG by the file's suffix."""
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if path.suffix.lower() in (".jpg", ".jpeg") else []
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params):
        raise OSError(f"Could not write {path}.")


def make_samples(out: Path, per_class: int = SAMPLES_PER_CLASS, page_width: int = PAGE_WIDTH) -> list[dict]:
    """Render every sample into ``out`` and write ``out/manifest.csv``.

    Parameters
    ----------
    out : Path
        Output folder (created when missing).
    per_class : int
        Samples per class and task.
    page_width : int
        Width in pixels of the saved 12-lead pages.

    Returns
    -------
    rows : list of dict
        The manifest rows.
    """
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    size = page_size(page_width)
    for index, ecg_class in enumerate(TASK_SPECS[TWELVE_LEAD].classes):
        for number in range(1, per_class + 1):
            seed = sample_seed(TWELVE_LEAD, index, number)
            page = render_twelve_lead_page(ecg_class, seed=seed)
            page = cv2.resize(page, size, interpolation=cv2.INTER_AREA)
            name = f"{TWELVE_LEAD}_{ecg_class}_{number}.jpg"
            write_rgb(out / name, page)
            rows.append({"file": name, "task": TWELVE_LEAD, "class": ecg_class, "seed": seed,
                         "generator": GENERATOR})
    for index, beat_class in enumerate(TASK_SPECS[BEAT].classes):
        for number in range(1, per_class + 1):
            seed = sample_seed(BEAT, index, number)
            name = f"{BEAT}_{beat_class}_{number}.png"
            write_rgb(out / name, render_beat_image(beat_class, seed=seed))
            rows.append({"file": name, "task": BEAT, "class": beat_class, "seed": seed,
                         "generator": GENERATOR})
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/samples"), help="output folder")
    parser.add_argument("--per-class", type=int, default=SAMPLES_PER_CLASS, help="samples per class")
    parser.add_argument("--page-width", type=int, default=PAGE_WIDTH, help="width of saved pages, px")
    args = parser.parse_args(argv)
    rows = make_samples(args.out, args.per_class, args.page_width)
    total = sum((args.out / row["file"]).stat().st_size for row in rows)
    print(f"Wrote {len(rows)} samples and manifest.csv to {args.out} ({total / 1e6:.2f} MB).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
