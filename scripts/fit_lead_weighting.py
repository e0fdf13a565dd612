"""Fit each 12-lead model's lead weighting (how much each lead counts for each class) and store it in its card.

    python scripts/fit_lead_weighting.py --data ../shared/data/ecg-images [--model cnn]

Run it after scripts/train.py and before scripts/evaluate.py. The trained model scores every lead of the
training and validation images; a multinomial logistic regression on those lead log-probabilities (see
``ecg_pipeline.aggregation``) learns the weighting. Its regularisation is chosen by stratified 5-fold
cross-validation over the same images, repeated with 3 shuffles; the test split is never read. The card gets
the weights, the chosen strength and the cross-validated macro-F1 of every strength tried, beside the plain
mean of the leads on the same images (which has nothing to fit).

With ``--lead-probabilities out-of-fold`` the weighting is fitted instead to the lead probabilities that
``scripts/cross_validate.py`` saved, each from a network that never saw the image (stacking). Its
cross-validated macro-F1 is then an estimate of the whole recipe, comparable to the card's
``recipe_cross_validation``. The shipped models use the default; run it again without the option to restore it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ecg_pipeline.tf_quiet  # noqa: E402,F401
from ecg_pipeline.aggregation import (  # noqa: E402
    WEIGHTED_AGGREGATION_METHOD,
    aggregate_probabilities,
    cross_validated_predictions,
    fit_lead_weighting,
)
from ecg_pipeline.cards import file_matches_card, model_path, out_of_fold_path, read_card, write_card  # noqa: E402
from ecg_pipeline.constants import NETWORK_KINDS, TWELVE_LEAD, TWELVE_LEAD_SPEC  # noqa: E402
from ecg_pipeline.data import attach_split, list_labelled_images, read_split  # noqa: E402
from ecg_pipeline.features import dataset_inputs  # noqa: E402

STRENGTHS = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS, REPEATS = 5, 3
LEAD_PROBABILITY_SOURCES = ("shipped", "out-of-fold")


def macro_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(labels, predicted, average="macro", labels=range(len(TWELVE_LEAD_SPEC.classes)),
                          zero_division=0))


def per_class_f1(labels: np.ndarray, predictions: list[np.ndarray]) -> dict[str, float]:
    """F1 of each class, averaged over the repeated cross-validations' predictions."""
    from sklearn.metrics import f1_score

    scores = np.mean([f1_score(labels, predicted, average=None, labels=range(len(TWELVE_LEAD_SPEC.classes)),
                               zero_division=0) for predicted in predictions], axis=0)
    return {c: round(float(f), 4) for c, f in zip(TWELVE_LEAD_SPEC.classes, scores, strict=True)}


def saved_out_of_fold(kind: str, sha256: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The out-of-fold lead probabilities ``scripts/cross_validate.py`` saved, in the order of ``sha256``."""
    path = out_of_fold_path(TWELVE_LEAD, kind)
    if not path.exists():
        sys.exit(f"No {path.name}: run scripts/cross_validate.py --model {kind} first.")
    with np.load(path) as saved:
        if list(saved["sha256"]) != list(sha256) or not np.array_equal(saved["labels"], labels):
            sys.exit(f"{path.name} was computed on other images than today's training and validation split: "
                     f"rerun scripts/cross_validate.py --model {kind}.")
        return saved["lead_probabilities"].astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=[*NETWORK_KINDS, "both"], default="both")
    parser.add_argument("--data", required=True, help="folder with one sub-folder per class id")
    parser.add_argument("--cache", default=".cache", help="folder for preprocessed inputs")
    parser.add_argument("--lead-probabilities", choices=LEAD_PROBABILITY_SOURCES, default="shipped",
                        help="fit to the shipped network's probabilities of these images (it learnt from them), "
                             "or to those of the networks that never saw them, saved by scripts/cross_validate.py")
    args = parser.parse_args()

    from ecg_pipeline import inference

    images = attach_split(list_labelled_images(args.data, TWELVE_LEAD), read_split(TWELVE_LEAD))
    fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
    for kind in NETWORK_KINDS if args.model == "both" else (args.model,):
        if not file_matches_card(TWELVE_LEAD, kind):
            sys.exit(f"error: {model_path(TWELVE_LEAD, kind).name} does not match the SHA-256 its training wrote "
                     "into its card; retrain it rather than weigh its leads")
        card = read_card(TWELVE_LEAD, kind) or {}
        sigma = float(card.get("preprocessing", {}).get("sigma", 1.0))  # as the network was trained
        inputs, labels = dataset_inputs(fitting, TWELVE_LEAD, sigma, 0, 0, args.cache)
        card.pop("lead_weighting", None)  # score the leads with the model alone
        write_card(card, TWELVE_LEAD, kind)
        if args.lead_probabilities == "out-of-fold":
            lead_probs = saved_out_of_fold(kind, fitting.sha256.to_numpy(dtype=str), labels)
        else:
            loaded = inference.load_model(TWELVE_LEAD, kind)
            lead_probs = np.stack([loaded.predict(x.astype(np.float32)) for x in inputs])

        mean_f1 = macro_f1(labels, aggregate_probabilities(lead_probs).argmax(axis=1))
        by_strength, predictions = {}, {}
        for strength in STRENGTHS:
            predictions[strength] = [cross_validated_predictions(lead_probs, labels, strength, FOLDS, seed)
                                     for seed in range(REPEATS)]
            scores = [macro_f1(labels, predicted) for predicted in predictions[strength]]
            by_strength[strength] = [round(float(np.mean(scores)), 4), round(float(np.std(scores)), 4)]
            print(f"{kind} strength {strength:<5}: cross-validated macro-F1 {np.mean(scores):.3f} "
                  f"(sd {np.std(scores):.3f})")
        best = max(STRENGTHS, key=lambda s: by_strength[s][0])
        weighting = fit_lead_weighting(lead_probs, labels, best)
        card["lead_weighting"] = {
            "method": WEIGHTED_AGGREGATION_METHOD,
            "model_sha256": card["sha256"],
            "fitted_on": {"splits": ["train", "validation"], "images": int(len(labels)),
                          "lead_probabilities": args.lead_probabilities},
            "strength": best,
            "cross_validation": {
                "folds": FOLDS, "repeats": REPEATS,
                "macro_f1_by_strength": {str(s): v for s, v in by_strength.items()},
                "macro_f1": by_strength[best][0],
                "per_class_f1": per_class_f1(labels, predictions[best]),
                "mean_of_leads_macro_f1": round(mean_f1, 4),
            },
            **weighting.to_dict(),
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_card(card, TWELVE_LEAD, kind)
        print(f"{kind}: strength {best}, cross-validated macro-F1 {by_strength[best][0]:.3f} against "
              f"{mean_f1:.3f} for the mean of the leads on the same {len(labels)} images")
    print("Now run scripts/evaluate.py to score the test split with the weighting.")


if __name__ == "__main__":
    main()
