"""Cross-validate a 12-lead model's whole recipe (network and lead weighting) and store the figures in its card.

    python scripts/cross_validate.py --model cnn --data ../shared/data/ecg-images [--folds 3]

The training and validation images are split into stratified folds. For each fold a new network is trained
from scratch on the other folds with the shipped model's own final-fit settings (epochs, learning-rate
halvings, batch size, class weights, read from its card), its lead weighting is fitted on those same images at
the shipped strength, and the held-out fold is scored. Every image is scored once, by a model that never saw it,
so the figure is an honest estimate beside the test split's; unlike the card's lead-weighting CV, which keeps the
shipped network fixed. The test split is never read. A fold costs about two thirds of a full training.
Each finished fold is saved under ``<cache>/cross_validation``, so an interrupted run resumes where it stopped and
``--fold 1`` runs one fold now and leaves the others for later (the same model file, images and settings give
the same folds); the card is written when the last fold is done.
``--seed N`` trains the fold networks with another seed than the shipped model's: a second draw of the same
recipe, stored apart (``recipe_cross_validation_other_seeds`` in the card), shows how far the figure moves from
one training run to the next, which bounds what a single cross-validation can tell two recipes apart by.
Each image's lead probabilities from the fold network that scored it are saved to
``models/twelve_lead_<model>_out_of_fold.npz``, for ``scripts/fit_lead_weighting.py --lead-probabilities
out-of-fold``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ecg_pipeline.tf_quiet  # noqa: E402,F401
from ecg_pipeline.aggregation import aggregate_probabilities, fit_lead_weighting  # noqa: E402
from ecg_pipeline.cards import out_of_fold_path, read_card, write_card  # noqa: E402
from ecg_pipeline.constants import NETWORK_KINDS, TWELVE_LEAD, TWELVE_LEAD_SPEC  # noqa: E402
from ecg_pipeline.data import attach_split, list_labelled_images, read_split  # noqa: E402
from ecg_pipeline.evaluation import classification_metrics  # noqa: E402
from ecg_pipeline.features import dataset_inputs  # noqa: E402


def lead_probabilities(model, inputs: np.ndarray) -> np.ndarray:
    """(n_images, n_leads, H, W) -> (n_images, n_leads, n_classes), through the dashboard's own ``predict``."""
    from ecg_pipeline.inference import LoadedModel

    loaded = LoadedModel(TWELVE_LEAD, model.name, model, {})
    return np.stack([loaded.predict(x) for x in inputs])


def fold_splits(labels: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fitting indices, held-out indices) of each stratified fold; the same for every run on the same labels."""
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels))


def fold_probabilities(kind: str, inputs: np.ndarray, labels: np.ndarray, settings: dict, strength: float,
                       fit: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``held`` images' probabilities from a network and lead weighting fitted on the ``fit`` images:
    (lead weighting, mean of leads), each (n_held, n_classes), and the lead probabilities (n_held, n_leads,
    n_classes)."""
    from ecg_pipeline.training import train_model

    model, _ = train_model(TWELVE_LEAD, kind, (inputs[fit], labels[fit]), None, verbose=0, **settings)
    weighting = fit_lead_weighting(lead_probabilities(model, inputs[fit]), labels[fit], strength)
    held_leads = lead_probabilities(model, inputs[held])
    return weighting.probabilities(held_leads), aggregate_probabilities(held_leads), held_leads


def out_of_fold_probabilities(kind: str, inputs: np.ndarray, labels: np.ndarray, settings: dict, strength: float,
                              folds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each image's class probabilities from a network and lead weighting fitted on the other folds:
    (lead weighting, mean of leads), each (n_images, n_classes), and the network's lead probabilities
    (n_images, n_leads, n_classes)."""
    return assembled_folds(((held, *fold_probabilities(kind, inputs, labels, settings, strength, fit, held))
                            for fit, held in fold_splits(labels, folds)), inputs.shape[:2])


def assembled_folds(folds: Iterable[tuple[np.ndarray, ...]], shape: tuple[int, int],
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each fold's (held-out indices, lead weighting, mean of leads, lead probabilities) put together into
    every image's, as ``out_of_fold_probabilities`` returns them. ``shape`` is (n_images, n_leads)."""
    n_classes = len(TWELVE_LEAD_SPEC.classes)
    weighted, mean = np.zeros((shape[0], n_classes)), np.zeros((shape[0], n_classes))
    leads = np.zeros((*shape, n_classes))
    for held, *probabilities in folds:
        weighted[held], mean[held], leads[held] = probabilities
    return weighted, mean, leads


def fold_path(cache: str | Path, kind: str, run_key: str, fold: int) -> Path:
    """Where one fold's held-out probabilities wait until every fold of the run is done."""
    return Path(cache) / "cross_validation" / f"{TWELVE_LEAD}_{kind}_{run_key}_fold{fold}.npz"


def saved_fold(path: Path) -> tuple[np.ndarray, ...]:
    """A fold saved by ``main``: (held-out indices, lead weighting, mean of leads, lead probabilities, seconds)."""
    with np.load(path) as saved:
        return tuple(saved[name] for name in ("held", "weighted", "mean", "leads", "seconds"))


def run_key(card: dict, sha256: np.ndarray, folds: int, settings: dict, strength: float) -> str:
    """Identifies a cross-validation run: a fold saved for another model file, image set, fold count or setting
    is never mixed in."""
    text = "|".join([card.get("sha256", ""), *sorted(sha256), str(folds), repr(sorted(settings.items())),
                     repr(strength)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main() -> None:
    from sklearn.metrics import f1_score

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=NETWORK_KINDS)
    parser.add_argument("--data", required=True, help="folder with one sub-folder per class id")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--fold", type=int, nargs="+",
                        help="run only these folds now (1-based); each fold is saved, and the card is written "
                             "once every fold of the run is done")
    parser.add_argument("--seed", type=int,
                        help="train the fold networks with this seed (default: the shipped model's); another seed "
                             "is stored apart, to show the run-to-run spread")
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
    shipped_seed = args.seed is None or args.seed == settings["seed"]
    if args.seed is not None:
        settings["seed"] = args.seed
    strength = card["lead_weighting"]["strength"]

    images = attach_split(list_labelled_images(args.data, TWELVE_LEAD), read_split(TWELVE_LEAD))
    fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
    sigma = float(card.get("preprocessing", {}).get("sigma", 1.0))  # as the shipped network was trained
    inputs, labels = dataset_inputs(fitting, TWELVE_LEAD, sigma, 0, 0, args.cache)
    key = run_key(card, fitting.sha256.to_numpy(dtype=str), args.folds, settings, strength)
    splits = fold_splits(labels, args.folds)
    paths = [fold_path(args.cache, args.model, key, fold) for fold in range(1, args.folds + 1)]
    for fold in args.fold or range(1, args.folds + 1):
        if not 1 <= fold <= args.folds:
            sys.exit(f"--fold {fold}: there are folds 1 to {args.folds}.")
        path = paths[fold - 1]
        if path.exists():
            continue
        fit, held = splits[fold - 1]
        print(f"fold {fold}/{args.folds}: training on {len(fit)} images, scoring {len(held)}", flush=True)
        started = time.time()
        weighted, mean, leads = fold_probabilities(args.model, inputs, labels, settings, strength, fit, held)
        seconds = time.time() - started
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, held=held, weighted=weighted, mean=mean, leads=leads, seconds=seconds)
        print(f"fold {fold}: macro-F1 {f1_score(labels[held], weighted.argmax(1), average='macro'):.3f} "
              f"in {seconds:.0f} s", flush=True)
    missing = [fold for fold, path in enumerate(paths, start=1) if not path.exists()]
    if missing:
        print(f"Saved under {paths[0].parent}; still to run: " + " ".join(f"--fold {fold}" for fold in missing))
        return
    saved = [saved_fold(path) for path in paths]
    weighted, mean, leads = assembled_folds((fold[:4] for fold in saved), inputs.shape[:2])
    seconds = sum(float(fold[4]) for fold in saved)
    if shipped_seed:  # stacking is fitted to the shipped recipe's own fold networks
        np.savez_compressed(out_of_fold_path(TWELVE_LEAD, args.model),
                            sha256=fitting.sha256.to_numpy(dtype=str), labels=labels,
                            lead_probabilities=leads.astype(np.float32))
    classes = list(TWELVE_LEAD_SPEC.classes)
    metrics = classification_metrics(weighted, labels, classes)
    macro, mean_macro = metrics["macro_f1"], classification_metrics(mean, labels, classes)["macro_f1"]
    per_class = {c: round(scores["f1"], 4) for c, scores in metrics["per_class"].items()}
    card = read_card(TWELVE_LEAD, args.model)  # fresh: another script may have written it meanwhile
    result = {
        "folds": args.folds, "images": int(len(labels)), "splits": ["train", "validation"],
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        "lead_weighting_strength": strength,
        "macro_f1": round(macro, 4), "per_class_f1": per_class, "mean_of_leads_macro_f1": round(mean_macro, 4),
        "seconds": round(seconds, 1),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if shipped_seed:
        card["recipe_cross_validation"] = result
    else:
        card.setdefault("recipe_cross_validation_other_seeds", {})[str(settings["seed"])] = result
    write_card(card, TWELVE_LEAD, args.model)
    print(f"{args.model} (seed {settings['seed']}): {args.folds}-fold macro-F1 {macro:.3f} "
          f"(mean of leads {mean_macro:.3f}); per class " + ", ".join(f"{c} {f:.3f}" for c, f in per_class.items()))


if __name__ == "__main__":
    main()
