"""Labelled image folders, content hashes and the train / validation / test split manifests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import IMAGE_EXTENSIONS, TASK_SPECS
from . import PROJECT_ROOT

SPLITS: tuple[str, ...] = ("train", "validation", "test")
SPLIT_FRACTIONS: dict[str, tuple[float, float, float]] = {
    "twelve_lead": (0.65, 0.15, 0.20),
    "beat": (0.70, 0.15, 0.15),
}
MANIFEST_DIR = PROJECT_ROOT / "data" / "splits"


def sha256_of_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_images(root: str | Path) -> list[Path]:
    """Image files under ``root`` (or ``root`` itself when it is a file), sorted, searched recursively."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def list_labelled_images(root: str | Path, task: str) -> pd.DataFrame:
    """Images in ``root/<class id>/``, one row per distinct content.

    Returns
    -------
    DataFrame with columns ``path``, ``class``, ``sha256``. Copies of the same bytes keep only their
    first path, so one content can never sit in two splits.
    """
    rows = []
    for class_id in TASK_SPECS[task].classes:
        for path in find_images(Path(root) / class_id):
            rows.append({"path": str(path), "class": class_id, "sha256": sha256_of_file(path)})
    frame = pd.DataFrame(rows, columns=["path", "class", "sha256"])
    return frame.drop_duplicates("sha256").reset_index(drop=True)


def make_split(frame: pd.DataFrame, fractions: tuple[float, float, float], seed: int = 0) -> pd.DataFrame:
    """Assign each distinct image to train / validation / test, stratified by class.

    Parameters
    ----------
    frame : DataFrame with ``class`` and ``sha256``
    fractions : (train, validation, test), summing to 1
    seed : int

    Returns
    -------
    DataFrame with columns ``sha256``, ``class``, ``split``, sorted by hash.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for _, group in frame.drop_duplicates("sha256").groupby("class", sort=True):
        hashes = np.array(sorted(group["sha256"]))
        rng.shuffle(hashes)
        n = len(hashes)
        n_test = max(1, int(round(fractions[2] * n)))
        n_val = max(1, int(round(fractions[1] * n)))
        labels = ["test"] * n_test + ["validation"] * n_val + ["train"] * (n - n_test - n_val)
        parts.append(pd.DataFrame({"sha256": hashes, "class": group["class"].iloc[0], "split": labels}))
    return pd.concat(parts).sort_values("sha256").reset_index(drop=True)


def manifest_path(task: str) -> Path:
    return MANIFEST_DIR / f"{task}.csv"


def read_split(task: str) -> pd.DataFrame:
    """The committed split manifest of a task: ``sha256``, ``class``, ``split``."""
    return pd.read_csv(manifest_path(task))


def attach_split(images: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """Join images found on disk to the manifest by content hash; images not in it are dropped."""
    merged = images.merge(split[["sha256", "split"]], on="sha256", how="inner")
    return merged.reset_index(drop=True)
