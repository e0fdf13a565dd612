"""Fit each 12-lead model's lead weighting (how much each lead counts for each class) and store it in its card.

    python scripts/fit_lead_weighting.py --data ../shared/data/ecg-images [--model cnn]

Run it after scripts/train.py and before scripts/evaluate.py. The trained model scores every lead of the
training and validation images; a multinomial logistic regression on those lead log-probabilities (see
``ecg_pipeline.models.aggregation``) learns the weighting. Its regularisation is chosen by stratified 5-fold
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

import numpy as np

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.constants import NETWORK_KINDS, TWELVE_LEAD
from ecg_pipeline.errors import EcgError
from ecg_pipeline.io.cards import matching_card, write_lead_weighting
from ecg_pipeline.io.data import attach_split, list_labelled_images, read_split
from ecg_pipeline.models import cross_validation as cv
from ecg_pipeline.models.features import dataset_inputs

LEAD_PROBABILITY_SOURCES = ("shipped", "out-of-fold")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=[*NETWORK_KINDS, "both"], default="both")
    parser.add_argument("--data", required=True, help="folder with one sub-folder per class id")
    parser.add_argument("--cache", default=".cache", help="folder for preprocessed inputs")
    parser.add_argument("--lead-probabilities", choices=LEAD_PROBABILITY_SOURCES, default="shipped",
                        help="fit to the shipped network's probabilities of these images (it learnt from them), "
                             "or to those of the networks that never saw them, saved by scripts/cross_validate.py")
    args = parser.parse_args(argv)

    from ecg_pipeline.models import inference

    images = attach_split(list_labelled_images(args.data, TWELVE_LEAD), read_split(TWELVE_LEAD))
    fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
    for kind in NETWORK_KINDS if args.model == "both" else (args.model,):
        try:
            card = matching_card(TWELVE_LEAD, kind)  # refuses a file that is not the one its training recorded
            inputs, labels = dataset_inputs(fitting, TWELVE_LEAD, card.sigma, 0, 0, args.cache)
            if args.lead_probabilities == "out-of-fold":  # checked before the card's weighting is cleared
                lead_probs = cv.saved_out_of_fold(kind, fitting.sha256.to_numpy(dtype=str), labels)
            else:
                write_lead_weighting(TWELVE_LEAD, kind, None)  # score the leads with the model alone
                loaded = inference.load_model(TWELVE_LEAD, kind)
                lead_probs = np.stack([loaded.predict(x.astype(np.float32)) for x in inputs])
            section = cv.lead_weighting_section(matching_card(TWELVE_LEAD, kind), lead_probs, labels,
                                                args.lead_probabilities)
            write_lead_weighting(TWELVE_LEAD, kind, section)
        except EcgError as exc:
            sys.exit(f"error: {exc}")
        print(f"{kind}: strength {section['strength']}, cross-validated macro-F1 "
              f"{section['cross_validation']['macro_f1']:.3f} against "
              f"{section['cross_validation']['mean_of_leads_macro_f1']:.3f} for the mean of the leads on the same "
              f"{len(labels)} images")
    print("Now run scripts/evaluate.py to score the test split with the weighting.")


if __name__ == "__main__":
    main()
