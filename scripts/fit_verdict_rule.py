"""Choose how the headline verdict combines the 12-lead models, from out-of-fold probabilities.

    python scripts/fit_verdict_rule.py            # writes models/twelve_lead_verdict.json

Every rule (each set of models, their page probabilities averaged) is scored by macro-F1 on the training and
validation images, each image's probabilities coming from a model that never saw it: the measurement model's
repeated cross-validation (scripts/train.py --model measurements) and the networks' whole-recipe
cross-validation (scripts/cross_validate.py), whose lead probabilities are averaged per image. The test split
is never read. The best rule goes into the verdict card with its figures and every other rule's.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

import numpy as np

from ecg_pipeline.constants import MEASUREMENT_KIND, TWELVE_LEAD, TWELVE_LEAD_SPEC
from ecg_pipeline.io.cards import out_of_fold_path
from ecg_pipeline.models.aggregation import aggregate_probabilities
from ecg_pipeline.models.verdict import score_rules, verdict_card_path


def out_of_fold_pages(kind: str, models_dir: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Hashes, labels and page probabilities of the training and validation images from a model's
    cross-validation, or ``None`` when it has not been run."""
    path = out_of_fold_path(TWELVE_LEAD, kind, models_dir)
    if not path.exists():
        return None
    stored = np.load(path)
    pages = (stored["probabilities"] if kind == MEASUREMENT_KIND
             else aggregate_probabilities(stored["lead_probabilities"]))
    return stored["sha256"].astype(str), stored["labels"], pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args(argv)
    classes = list(TWELVE_LEAD_SPEC.classes)
    found = {kind: out_of_fold_pages(kind, args.models_dir) for kind in TWELVE_LEAD_SPEC.model_kinds}
    found = {kind: value for kind, value in found.items() if value is not None}
    if not found:
        print("error: no out-of-fold probabilities yet; run scripts/train.py --model measurements and "
              "scripts/cross_validate.py first", file=sys.stderr)
        return 1
    shared = sorted(set.intersection(*(set(hashes) for hashes, _, _ in found.values())))
    probabilities, labels = {}, None
    for kind, (hashes, kind_labels, pages) in found.items():
        order = {h: i for i, h in enumerate(hashes)}
        rows = [order[h] for h in shared]
        probabilities[kind] = pages[rows]
        labels = kind_labels[rows] if labels is None else labels
    ranked = score_rules(probabilities, labels, classes)
    for rule in ranked:
        print(f"{rule['macro_f1']:.3f}  {rule['name']}  " + ", ".join(f"{c} {v:.2f}" for c, v in
                                                                   rule["per_class_f1"].items()))
    best = ranked[0]
    card = {
        "task": TWELVE_LEAD,
        "rule": {"models": best["models"], "name": best["name"],
                 "out_of_fold": {"macro_f1": best["macro_f1"], "per_class_f1": best["per_class_f1"],
                                 "images": len(shared), "splits": ["train", "validation"]}},
        "candidates": ranked,
        "sources": {kind: ("repeated stratified 5-fold cross-validation, probabilities averaged over the repeats"
                           if kind == MEASUREMENT_KIND else
                           "whole-recipe cross-validation (scripts/cross_validate.py), mean of the lead "
                           "probabilities") for kind in found},
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = verdict_card_path(TWELVE_LEAD, args.models_dir)
    path.write_text(json.dumps(card, indent=1) + "\n")
    print(f"chose {best['name']} (out-of-fold macro-F1 {best['macro_f1']:.3f} on {len(shared)} images): {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
