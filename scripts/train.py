"""Train a CNN or CRNN on a folder of class folders and write models/<task>_<model>.keras and its card.

    python scripts/train.py --task twelve_lead --model cnn --data ../shared/data/ecg-images
    python scripts/train.py --task beat --model crnn --data ../shared/data/beat-images

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
from ecg_pipeline.constants import MODEL_KINDS, TASK_SPECS  # noqa: E402
from ecg_pipeline.data import attach_split, list_labelled_images, read_split, sha256_of_file  # noqa: E402
from ecg_pipeline.features import dataset_inputs  # noqa: E402

DEFAULTS = {  # per task: distorted copies per training image, epochs, images per batch, class-weight softening
    "twelve_lead": {"copies": 0, "epochs": 45, "batch_size": 8, "patience": 12, "class_weight_power": 1.0},
    "beat": {"copies": 0, "epochs": 24, "batch_size": 64, "patience": 6, "class_weight_power": 0.5},
}


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
