"""Train a model on a folder of class folders and write models/<task>_<model>.keras (.skops) and its card.

    python scripts/train.py --task twelve_lead --model cnn --data ../shared/data/ecg-images
    python scripts/train.py --task beat --model crnn --data ../shared/data/beat-images
    python scripts/train.py --task twelve_lead --model measurements --data ../shared/data/ecg-images

The measurement model is fitted on the training and validation images together, with its settings chosen by
repeated stratified cross-validation on them (the test split is never read); its out-of-fold probabilities are
saved for scripts/fit_verdict_rule.py.

The split comes from data/splits/<task>.csv (content hashes; see scripts/make_split.py); images found in
the folder but not in the manifest are ignored. Afterwards run scripts/fit_lead_weighting.py (12-lead models)
and scripts/evaluate.py to fill in the card.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ecg_pipeline.tf_quiet  # noqa: E402,F401
from ecg_pipeline.aggregation import AGGREGATION_METHOD  # noqa: E402
from ecg_pipeline.cards import model_path, out_of_fold_path, read_card, write_card  # noqa: E402
from ecg_pipeline.constants import MEASUREMENT_KIND, MODEL_KINDS, TASK_SPECS, TWELVE_LEAD  # noqa: E402
from ecg_pipeline.data import attach_split, list_labelled_images, read_split, sha256_of_file  # noqa: E402
from ecg_pipeline.features import dataset_inputs  # noqa: E402

DEFAULTS = {  # per task: distorted copies per training image, epochs, images per batch, class-weight softening
    "twelve_lead": {"copies": 0, "epochs": 45, "batch_size": 8, "patience": 12, "class_weight_power": 1.0},
    "beat": {"copies": 0, "epochs": 24, "batch_size": 64, "patience": 6, "class_weight_power": 0.5},
}


def versions() -> dict[str, str]:
    import importlib.metadata as metadata

    return {"python": platform.python_version(),
            **{name: metadata.version(name) for name in ("scikit-learn", "skops", "neurokit2", "numpy")}}


def train_measurements(args: argparse.Namespace) -> None:
    """Choose the measurement model's settings by repeated cross-validation, fit it, save it and its card."""
    import numpy as np

    from ecg_pipeline.features import dataset_measurements
    from ecg_pipeline.measurement_model import CV_FOLDS, CV_REPEATS, choose_settings, classifier, save_classifier

    classes = list(TASK_SPECS[args.task].classes)
    images = attach_split(list_labelled_images(args.data, args.task), read_split(args.task))
    fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
    started = time.time()
    features, labels, names = dataset_measurements(fitting, args.sigma, args.cache)
    measuring_s = time.time() - started
    print(f"{len(fitting)} training and validation pages, {len(names)} measurements each ({measuring_s:.0f} s)")
    started = time.time()
    best, grid = choose_settings(features, labels, classes)
    model = classifier(**best.settings, seed=args.seed).fit(features, labels)
    training_s = time.time() - started
    path = model_path(args.task, MEASUREMENT_KIND, args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_classifier(model, path)
    np.savez(out_of_fold_path(args.task, MEASUREMENT_KIND, args.out), sha256=fitting.sha256.to_numpy(dtype=str),
             labels=labels, probabilities=best.probabilities)
    card = {
        "task": args.task, "model": MEASUREMENT_KIND, "classes": classes, "features": names,
        "preprocessing": {"sigma": args.sigma, "threshold": "otsu", "input": "clinical measurements of the "
                          "digitized trace (ecg_pipeline.measure)"},
        "training": {"data": str(args.data), "split_manifest": f"data/splits/{args.task}.csv",
                     "fit_on": ["train", "validation"], "images": {"train": int(len(fitting)), "validation": 0},
                     "estimator": "mean of a class-balanced logistic regression and a class-balanced "
                                  "histogram gradient boosting, each after median imputation",
                     "settings": best.settings, "settings_grid": grid, "seed": args.seed,
                     "measuring_seconds": round(measuring_s, 1), "training_seconds": round(training_s, 1)},
        "cross_validation": {**best.summary(), "folds": CV_FOLDS, "repeats": CV_REPEATS, "images": int(len(fitting)),
                             "splits": ["train", "validation"],
                             "chosen_from": f"the best of {len(grid)} settings by this same cross-validation"},
        "sha256": sha256_of_file(path), "file_size_bytes": path.stat().st_size, "versions": versions(),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_card(card, args.task, MEASUREMENT_KIND, args.out)
    print(f"chose {best.settings}: cross-validated macro-F1 {best.macro_f1:.3f}; saved {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=sorted(TASK_SPECS))
    parser.add_argument("--model", required=True, choices=MODEL_KINDS)
    parser.add_argument("--data", required=True, help="folder with one sub-folder per class id")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--copies", type=int, help="distorted copies of each training image")
    parser.add_argument("--patience", type=int, help="epochs without validation improvement before stopping")
    parser.add_argument("--class-weight-power", type=float,
                        help="1: fully balanced class weights, 0.5: their square root, above 1: favour the small "
                             "classes more")
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--fit-on", choices=["train", "train+validation"], default="train",
                        help="train+validation: the final fit, with settings chosen beforehand on validation; "
                             "runs every epoch and keeps the last weights")
    parser.add_argument("--halve-lr-at", type=int, nargs="*", default=[],
                        help="epochs at which the learning rate halves (with --fit-on train+validation)")
    parser.add_argument("--resume", action="store_true",
                        help="continue training the saved model (its card keeps the earlier run's history)")
    parser.add_argument("--cache", default=".cache", help="folder for preprocessed inputs")
    parser.add_argument("--out", default=None, help="models folder (default: models/)")
    args = parser.parse_args()
    if args.model == MEASUREMENT_KIND:
        if args.task != TWELVE_LEAD:
            parser.error("the measurement model reads 12-lead pages")
        train_measurements(args)
        return
    settings = dict(DEFAULTS[args.task])
    if args.epochs:
        settings["epochs"] = args.epochs
    if args.copies is not None:
        settings["copies"] = args.copies
    if args.patience:
        settings["patience"] = args.patience
    if args.class_weight_power is not None:
        settings["class_weight_power"] = args.class_weight_power

    import keras

    from ecg_pipeline.training import train_model

    images = attach_split(list_labelled_images(args.data, args.task), read_split(args.task))
    final_fit = args.fit_on == "train+validation"
    train = images[images.split.isin(["train", "validation"] if final_fit else ["train"])]
    validation = images[images.split == "validation"]
    print(f"{len(train)} training images" + ("" if final_fit else f" and {len(validation)} validation images"))
    started = time.time()
    train_xy = dataset_inputs(train, args.task, args.sigma, settings["copies"], args.seed, args.cache)
    val_xy = None if final_fit else dataset_inputs(validation, args.task, args.sigma, 0, args.seed, args.cache)
    preprocessing_s = time.time() - started
    initial_weights, previous_runs = None, []
    if args.resume:
        previous = read_card(args.task, args.model, args.out) or {}
        initial_weights = keras.saving.load_model(model_path(args.task, args.model, args.out)).get_weights()
        previous_runs = previous.get("training", {}).get("previous_runs", []) + [
            {k: previous.get("training", {}).get(k) for k in ("epochs_run", "training_seconds", "learning_rate",
                                                             "history")} | {"sha256": previous.get("sha256")}]
    started = time.time()
    model, history = train_model(args.task, args.model, train_xy, val_xy, epochs=settings["epochs"],
                                 batch_size=settings["batch_size"], patience=settings["patience"], seed=args.seed,
                                 class_weight_power=settings["class_weight_power"],
                                 learning_rate=args.learning_rate, initial_weights=initial_weights,
                                 halve_lr_at=tuple(args.halve_lr_at))
    training_s = time.time() - started
    path = model_path(args.task, args.model, args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    spec = TASK_SPECS[args.task]
    card = read_card(args.task, args.model, args.out) or {}
    for stale in ("evaluation", "robustness", "evaluated_at", "lead_weighting", "recipe_cross_validation",
                  "recipe_cross_validation_other_seeds"):
        card.pop(stale, None)  # measured on the previous model or recipe
    out_of_fold_path(args.task, args.model, args.out).unlink(missing_ok=True)  # the previous recipe's fold networks
    card.update({
        "task": args.task,
        "model": args.model,
        "classes": list(spec.classes),
        "leads": list(spec.leads),
        "input_shape": list(spec.input_shape),
        "preprocessing": {"sigma": args.sigma, "threshold": "otsu", "model_input": "binary trace, area-resized",
                          "aggregation": AGGREGATION_METHOD},
        "training": {
            "data": str(args.data),
            "split_manifest": f"data/splits/{args.task}.csv",
            "fit_on": args.fit_on.split("+"),
            "images": {"train": int(len(train)), "validation": 0 if final_fit else int(len(validation))},
            "halve_lr_at": args.halve_lr_at,
            "distorted_copies_per_training_image": settings["copies"],
            "epochs_run": len(history.get("loss", [])),
            "batch_size": settings["batch_size"],
            "class_weight_power": settings["class_weight_power"],
            "learning_rate": args.learning_rate,
            "previous_runs": previous_runs,
            "seed": args.seed,
            "preprocessing_seconds": round(preprocessing_s, 1),
            "training_seconds": round(training_s, 1),
            "history": history,
        },
        "parameters": int(model.count_params()),
        "sha256": sha256_of_file(path),
        "file_size_bytes": path.stat().st_size,
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "tensorflow": __import__("tensorflow").__version__},
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    write_card(card, args.task, args.model, args.out)
    print(f"saved {path} ({path.stat().st_size / 1e6:.2f} MB) after {training_s:.0f} s of training")


if __name__ == "__main__":
    main()
