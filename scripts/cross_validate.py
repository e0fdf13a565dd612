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
import sys

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.constants import NETWORK_KINDS, TWELVE_LEAD
from ecg_pipeline.errors import EcgError
from ecg_pipeline.io.cards import matching_card
from ecg_pipeline.io.data import attach_split, list_labelled_images, read_split
from ecg_pipeline.models import cross_validation as cv
from ecg_pipeline.models.features import dataset_inputs


def main(argv: list[str] | None = None) -> None:
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
    args = parser.parse_args(argv)

    try:
        card = matching_card(TWELVE_LEAD, args.model)
        if not card.lead_weighting:  # before the images are preprocessed, not after
            raise EcgError("Run scripts/fit_lead_weighting.py first: the recipe's cross-validation repeats its "
                           "settings.")
        images = attach_split(list_labelled_images(args.data, TWELVE_LEAD), read_split(TWELVE_LEAD))
        fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
        inputs, labels = dataset_inputs(fitting, TWELVE_LEAD, card.sigma, 0, 0, args.cache)
        result = cv.recipe_cross_validation(card, fitting.sha256.to_numpy(dtype=str), inputs, labels, args.folds,
                                            args.cache, args.seed, args.fold,
                                            report=lambda line: print(line, flush=True))
    except (EcgError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    if isinstance(result, list):
        print(f"Saved under {args.cache}/cross_validation; still to run: "
              + " ".join(f"--fold {fold}" for fold in result))
        return
    print(f"{args.model} (seed {result['settings']['seed']}): {args.folds}-fold macro-F1 {result['macro_f1']:.3f} "
          f"(mean of leads {result['mean_of_leads_macro_f1']:.3f}); per class "
          + ", ".join(f"{c} {f:.3f}" for c, f in result["per_class_f1"].items()))

if __name__ == "__main__":
    main()
