"""The heart rate the ECG device printed in the page footer (after a heart symbol): read with tesseract, kept
in a table, and compared with the measured rate.

Reading needs Debian's ``tesseract-ocr``; the comparison reads the table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..constants import TWELVE_LEAD
from . import PROJECT_ROOT

TESSERACT = "tesseract"


def tesseract_available() -> bool:
    return shutil.which(TESSERACT) is not None


def _ocr(image: np.ndarray, *options: str) -> str:
    ok, encoded = cv2.imencode(".png", image)
    done = subprocess.run([TESSERACT, "stdin", "stdout", "--psm", "7", *options], input=encoded.tobytes(),
                          capture_output=True, timeout=30)
    return done.stdout.decode("utf-8", "replace")


def _words(image: np.ndarray) -> list[dict]:
    ok, encoded = cv2.imencode(".png", image)
    done = subprocess.run([TESSERACT, "stdin", "stdout", "--psm", "7", "tsv"], input=encoded.tobytes(),
                          capture_output=True, timeout=30)
    words = []
    for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 12 and parts[11].strip():
            words.append({"left": int(parts[6]), "top": int(parts[7]), "width": int(parts[8]),
                          "height": int(parts[9]), "text": parts[11].strip()})
    return words


def printed_heart_rate(rgb: np.ndarray, grid_bottom: int) -> int | None:
    """The heart rate printed in the footer under the grid, or ``None`` when it cannot be read.

    The footer reads like ``0.67~25Hz AC50 25mm/s 10mm/mV 4*2.5s+1r <heart>77 SE-3 ...``; the word before
    ``SE-...`` is the heart symbol and the rate. The heart glyph is dropped as the leftmost blob of ink
    before the digits are read with a digits-only whitelist.
    """
    height, width = rgb.shape[:2]
    footer = cv2.cvtColor(rgb[min(grid_bottom + 2, height - 1):, : width // 2], cv2.COLOR_RGB2GRAY)
    if footer.shape[0] < 8:
        return None
    scale = max(1.0, 40.0 / footer.shape[0])
    footer = cv2.resize(footer, None, fx=2 * scale, fy=2 * scale, interpolation=cv2.INTER_CUBIC)
    words = _words(footer)
    index = next((i for i, w in enumerate(words) if re.match(r"^S[EB]-?\d", w["text"])), None)
    if not index:
        return None
    word = words[index - 1]
    crop = footer[max(0, word["top"] - 4): word["top"] + word["height"] + 4,
                  max(0, word["left"] - 4): word["left"] + word["width"] + 4]
    # The heart glyph is read as one character of the word (often an 8): the rest are the digits.
    fallback = re.sub(r"\D", "", word["text"][1:])
    ink = (crop < 128).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    blobs = sorted((stats[i, cv2.CC_STAT_LEFT], i) for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] > 4)
    if len(blobs) < 2:
        return int(fallback) if fallback and 15 <= int(fallback) <= 350 else None
    heart_right = stats[blobs[0][1], cv2.CC_STAT_LEFT] + stats[blobs[0][1], cv2.CC_STAT_WIDTH]
    digits = crop[:, heart_right + 1:]
    digits = cv2.copyMakeBorder(digits, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
    for text in (re.sub(r"\D", "", _ocr(digits, "-c", "tessedit_char_whitelist=0123456789")), fallback):
        if text and 15 <= int(text) <= 350:
            return int(text)
    return None


#: The rates printed in the shared printouts' footers, by content hash (``scripts/check_heart_rate.py``).
PRINTED_RATES_PATH = PROJECT_ROOT / "data" / "printed_heart_rates.csv"


def read_printed_rates(path: str | Path = PRINTED_RATES_PATH) -> pd.DataFrame:
    """The table of printed heart rates: ``sha256``, ``file``, ``printed_bpm``, ``read_by`` (empty when none)."""
    path = Path(path)
    return pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["sha256", "file", "printed_bpm", "read_by"])


def _measured_rate(args: tuple[str, str]) -> float:
    from ..measure import measure_page
    from ..preprocess.pipeline import run_pipeline

    path, method = args
    return float(measure_page(run_pipeline(path, task=TWELVE_LEAD), r_peak_method=method).page["heart_rate_bpm"])


def heart_rate_agreement(images: pd.DataFrame, printed: pd.DataFrame, method: str | None = None,
                         workers: int = 2) -> pd.DataFrame:
    """The measured heart rate of each page beside the rate its footer printed.

    Parameters
    ----------
    images : DataFrame with ``path`` and ``sha256``
    printed : the table of ``read_printed_rates``
    method : NeuroKit2's R-peak detector (default: the one the measurements use)

    Returns
    -------
    DataFrame with ``file``, ``printed_bpm`` (NaN where unknown) and ``measured_bpm``.
    """
    from concurrent.futures import ProcessPoolExecutor

    from ..measure.beats import R_PEAK_METHOD

    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [(path, method or R_PEAK_METHOD) for path in images["path"]]
        measured = list(pool.map(_measured_rate, jobs, chunksize=4))
    rates = dict(zip(printed["sha256"], printed["printed_bpm"], strict=True))
    return pd.DataFrame({"file": [Path(p).parent.name + "/" + Path(p).name for p in images["path"]],
                         "printed_bpm": [rates.get(h, np.nan) for h in images["sha256"]],
                         "measured_bpm": measured})
