"""Model files and their cards (JSON): where they live, how they are read and checked."""

from __future__ import annotations

import json
from pathlib import Path

from .constants import MEASUREMENT_KIND
from .data import sha256_of_file

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


def model_path(task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    """The model's file: Keras for the networks, skops for the measurement model."""
    suffix = ".skops" if kind == MEASUREMENT_KIND else ".keras"
    return Path(models_dir or MODELS_DIR) / f"{task}_{kind}{suffix}"


def out_of_fold_path(task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    """Probabilities of the training and validation images, each from a model that never saw it: lead
    probabilities of the networks (``scripts/cross_validate.py``), page probabilities of the measurement model
    (``scripts/train.py --model measurements``)."""
    return Path(models_dir or MODELS_DIR) / f"{task}_{kind}_out_of_fold.npz"


def card_path(task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    return Path(models_dir or MODELS_DIR) / f"{task}_{kind}.json"


def read_card(task: str, kind: str, models_dir: str | Path | None = None) -> dict | None:
    """The card of a model, or ``None`` when there is none."""
    path = card_path(task, kind, models_dir)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def write_card(card: dict, task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    path = card_path(task, kind, models_dir)
    path.write_text(json.dumps(card, indent=1, sort_keys=False) + "\n")
    return path


def file_matches_card(task: str, kind: str, models_dir: str | Path | None = None) -> bool:
    card = read_card(task, kind, models_dir)
    path = model_path(task, kind, models_dir)
    return bool(card) and path.exists() and sha256_of_file(path) == card.get("sha256")


def model_files_stamp(task: str, kind: str, models_dir: str | Path | None = None) -> tuple:
    """Modification time and size of a model's file and card (``None`` for a missing one): it changes when
    the model is retrained or its card rewritten."""
    stamps = []
    for path in (model_path(task, kind, models_dir), card_path(task, kind, models_dir)):
        try:
            stat = path.stat()
            stamps.append((stat.st_mtime_ns, stat.st_size))
        except FileNotFoundError:
            stamps.append(None)
    return tuple(stamps)


def other_seed_cross_validations(card: dict) -> str:
    """The whole recipe's cross-validated macro-F1 with fold networks of other seeds (``scripts/cross_validate.py
    --seed``) as ``"seed 1: 0.750, seed 2: 0.781"``; ``""`` when none was run.

    Examples
    --------
    >>> other_seed_cross_validations({"recipe_cross_validation_other_seeds": {"1": {"macro_f1": 0.75}}})
    'seed 1: 0.750'
    """
    runs = card.get("recipe_cross_validation_other_seeds", {})
    return ", ".join(f"seed {seed}: {run['macro_f1']:.3f}" for seed, run in runs.items())
