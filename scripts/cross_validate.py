"""Cross-validate a 12-lead model's whole recipe (network and lead weighting) and store the figures in its card.

    python scripts/cross_validate.py --model cnn --data ../shared/data/ecg-images [--folds 3]

The training and validation images are split into stratified folds. For each fold a new network is trained
from scratch on the other folds with the shipped model's own final-fit settings (epochs, learning-rate
halvings, batch size, class weights, read from its card), its lead weighting is fitted on those same images at
the shipped strength, and the held-out fold is scored. Every image is scored once, by a model that never saw it,
so the figure is an honest estimate beside the test split's; unlike the card's lead-weighting CV, which keeps the
shipped network fixed. The test split is never read. A fold costs about two thirds of a full training.
Each image's lead probabilities from the fold network that scored it are saved to
``models/twelve_lead_<model>_out_of_fold.npz``, for ``scripts/fit_lead_weighting.py --lead-probabilities
out-of-fold``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ecg_pipeline.tf_quiet  # noqa: E402,F401
from ecg_pipeline.aggregation import aggregate_probabilities, fit_lead_weighting  # noqa: E402
from ecg_pipeline.cards import out_of_fold_path, read_card, write_card  # noqa: E402
from ecg_pipeline.constants import MODEL_KINDS, TWELVE_LEAD, TWELVE_LEAD_SPEC  # noqa: E402
from ecg_pipeline.data import attach_split, list_labelled_images, read_split  # noqa: E402
from ecg_pipeline.evaluation import classification_metrics  # noqa: E402
from ecg_pipeline.features import dataset_inputs  # noqa: E402


def lead_probabilities(model, inputs: np.ndarray) -> np.ndarray:
    """(n_images, n_leads, H, W) -> (n_images, n_leads, n_classes), through the dashboard's own ``predict``."""
    from ecg_pipeline.inference import LoadedModel

    loaded = LoadedModel(TWELVE_LEAD, model.name, model, {})
    return np.stack([loaded.predict(x) for x in inputs])


def out_of_fold_probabilities(kind: str, inputs: np.ndarray, labels: np.ndarray, settings: dict, strength: float,
                              folds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each image's class probabilities from a network and lead weighting fitted on the other folds:
    (lead weighting, mean of leads), each (n_images, n_classes), and the network's lead probabilities
    (n_images, n_leads, n_classes)."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from ecg_pipeline.training import train_model

    n_classes = len(TWELVE_LEAD_SPEC.classes)
    weighted, mean = np.zeros((len(labels), n_classes)), np.zeros((len(labels), n_classes))
    leads = np.zeros((len(labels), inputs.shape[1], n_classes))
    started = time.time()
    for fold, (fit, held) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=0).split(inputs, labels),
                                       start=1):
        print(f"fold {fold}/{folds}: training on {len(fit)} images, scoring {len(held)}", flush=True)
        model, _ = train_model(TWELVE_LEAD, kind, (inputs[fit], labels[fit]), None, verbose=0, **settings)
        weighting = fit_lead_weighting(lead_probabilities(model, inputs[fit]), labels[fit], strength)
        held_probs = lead_probabilities(model, inputs[held])
        leads[held] = held_probs
        weighted[held] = weighting.probabilities(held_probs)
        mean[held] = aggregate_probabilities(held_probs)
        print(f"fold {fold}: macro-F1 {f1_score(labels[held], weighted[held].argmax(1), average='macro'):.3f} "
              f"after {time.time() - started:.0f} s", flush=True)
    return weighted, mean, leads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=MODEL_KINDS)
    parser.add_argument("--data", required=True, help="folder with one sub-folder per class id")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cache", default=".cache", help="folder for preprocessed inputs")
    args = parser.parse_args()

    card = read_card(TWELVE_LEAD, args.model)
    if not card or "lead_weighting" not in card:
        sys.exit("Train the model, then run scripts/fit_lead_weighting.py: this script repeats their settings.")
    training = card["training"]
    settings = {"epochs": training["epochs_run"], "batch_size": training["batch_size"],
                "learning_rate": training.get("learning_rate") or 1e-3,
                "class_weight_power": training.get("class_weight_power", 1.0),
                "halve_lr_at": tuple(training.get("halve_lr_at", ())), "seed": training.get("seed", 0)}
    strength = card["lead_weighting"]["strength"]

    images = attach_split(list_labelled_images(args.data, TWELVE_LEAD), read_split(TWELVE_LEAD))
    fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
    inputs, labels = dataset_inputs(fitting, TWELVE_LEAD, 1.0, 0, 0, args.cache)
    started = time.time()
    weighted, mean, leads = out_of_fold_probabilities(args.model, inputs, labels, settings, strength, args.folds)
    np.savez_compressed(out_of_fold_path(TWELVE_LEAD, args.model), sha256=fitting.sha256.to_numpy(dtype=str),
                        labels=labels, lead_probabilities=leads.astype(np.float32))
    classes = list(TWELVE_LEAD_SPEC.classes)
    metrics = classification_metrics(weighted, labels, classes)
    macro, mean_macro = metrics["macro_f1"], classification_metrics(mean, labels, classes)["macro_f1"]
    per_class = {c: round(scores["f1"], 4) for c, scores in metrics["per_class"].items()}
    card = read_card(TWELVE_LEAD, args.model)  # fresh: another script may have written it meanwhile
    card["recipe_cross_validation"] = {
        "folds": args.folds, "images": int(len(labels)), "splits": ["train", "validation"],
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        "lead_weighting_strength": strength,
        "macro_f1": round(macro, 4), "per_class_f1": per_class, "mean_of_leads_macro_f1": round(mean_macro, 4),
        "seconds": round(time.time() - started, 1),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_card(card, TWELVE_LEAD, args.model)
    print(f"{args.model}: {args.folds}-fold macro-F1 {macro:.3f} (mean of leads {mean_macro:.3f}); per class "
          + ", ".join(f"{c} {f:.3f}" for c, f in per_class.items()))


if __name__ == "__main__":
    main()
