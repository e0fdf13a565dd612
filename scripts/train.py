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
import sys

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.constants import MEASUREMENT_KIND, MODEL_KINDS, TASK_SPECS, TWELVE_LEAD
from ecg_pipeline.errors import EcgError
from ecg_pipeline.models.fitting import TRAINING_DEFAULTS, fit_measurement_model, fit_network


def main(argv: list[str] | None = None) -> None:
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
    args = parser.parse_args(argv)
    if args.model == MEASUREMENT_KIND and args.task != TWELVE_LEAD:
        parser.error("the measurement model reads 12-lead pages")
    try:
        train(args)
    except EcgError as exc:
        sys.exit(f"error: {exc}")


def train(args: argparse.Namespace) -> None:
    if args.model == MEASUREMENT_KIND:
        fit_measurement_model(args.task, args.data, args.sigma, args.seed, args.cache, args.out)
        return
    settings = dict(TRAINING_DEFAULTS[args.task])
    if args.epochs:
        settings["epochs"] = args.epochs
    if args.copies is not None:
        settings["copies"] = args.copies
    if args.patience:
        settings["patience"] = args.patience
    if args.class_weight_power is not None:
        settings["class_weight_power"] = args.class_weight_power
    fit_network(args.task, args.model, args.data, settings, args.sigma, args.seed, args.learning_rate, args.fit_on,
                tuple(args.halve_lr_at), args.resume, args.cache, args.out)


if __name__ == "__main__":
    main()
