"""Evaluate trained models on the test split and store the figures in their cards.

    python scripts/evaluate.py --task twelve_lead --data ../shared/data/ecg-images [--model cnn]
    python scripts/evaluate.py --task twelve_lead --data ../shared/data/ecg-images --robustness

Metrics are computed on whole images (lead probabilities aggregated, or the page's measurements): accuracy,
macro-F1, per-class precision / recall / F1, confusion matrix, one-vs-rest ROC AUC and curves, expected
calibration error, median latency of the model on one image, and bootstrap 95 % intervals of accuracy, macro-F1
and each class's F1 (the test split is small: a few images of a class move its F1 by tenths). A model file that does
not match the SHA-256 its training wrote into the card is refused, and the preprocessing settings are read from the
card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime

import numpy as np

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.constants import MEASUREMENT_KIND, MODEL_KINDS, TASK_SPECS, TWELVE_LEAD
from ecg_pipeline.errors import EcgError
from ecg_pipeline.io.cards import write_evaluation, write_robustness
from ecg_pipeline.io.data import attach_split, list_labelled_images, read_split
from ecg_pipeline.models.evaluation import bootstrap_intervals, classification_metrics
from ecg_pipeline.models.features import dataset_inputs, dataset_measurements
from ecg_pipeline.models.verdict import read_verdict_card, verdict_card_path
from ecg_pipeline.preprocess.distortions import DISTORTION_LEVELS, LEVELS, distort


def predict_one(loaded, inputs) -> np.ndarray:
    """One image's class probabilities: a network on its leads, the measurement model on its measurements."""
    if loaded.kind == MEASUREMENT_KIND:
        return loaded.model.predict_proba(np.asarray(inputs).reshape(1, -1))[0]
    return loaded.aggregate(loaded.predict(np.asarray(inputs, dtype=np.float32)))


def model_latency_ms(loaded, inputs: np.ndarray, repeats: int = 30) -> float:
    """Median time of one image through the model (its leads, or its measurements), after a warm-up."""
    predict_one(loaded, inputs[0])
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        predict_one(loaded, inputs[i % len(inputs)])
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def image_probabilities(loaded, inputs: np.ndarray) -> np.ndarray:
    if loaded.kind == MEASUREMENT_KIND:
        return loaded.model.predict_proba(inputs)
    return np.stack([predict_one(loaded, x) for x in inputs])


def model_inputs(loaded, test, cache: str) -> np.ndarray:
    """What the model reads for each test image, preprocessed with the settings in its card."""
    sigma = loaded.card.sigma
    if loaded.kind == MEASUREMENT_KIND:
        features, _, names = dataset_measurements(test, sigma, cache)
        return features[:, [names.index(n) for n in loaded.feature_names]]
    return dataset_inputs(test, loaded.task, sigma, 0, 0, cache)[0]


def distorted_inputs(job: tuple[str, str, int, float]) -> dict[tuple[str, str], tuple[np.ndarray, dict]]:
    """Model inputs and measurements of one test image under every distortion and level (one process job per
    image)."""
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.measure import measure_page
    from ecg_pipeline.preprocess.pipeline import run_pipeline

    path, task, seed, sigma = job
    image = load_image(path)
    inputs = {}
    for kind_name in DISTORTION_LEVELS:
        for level in LEVELS:
            distorted = distort(image, kind_name, level, np.random.default_rng(seed))
            result = run_pipeline(distorted, task=task, sigma=sigma)
            measured = measure_page(result).features() if task == TWELVE_LEAD else {}
            inputs[kind_name, level] = (result.model_inputs.astype(np.float16), measured)
    return inputs


def robustness(task: str, test, loaded_models: dict, classes: list[str], clean: dict,
               clean_verdicts: dict) -> tuple[dict, dict]:
    """Macro-F1 of each model under each distortion and level, on the test split, and the share of images
    whose verdict stays what it was on the clean image (steadier than macro-F1 on a few images per class)."""
    from concurrent.futures import ProcessPoolExecutor

    from ecg_pipeline.models.measurement_model import feature_matrix

    labels = np.array([classes.index(c) for c in test["class"]])
    sigma = next(iter(loaded_models.values())).card.sigma
    jobs = [(path, task, 7 + i, sigma) for i, path in enumerate(test["path"])]  # one fixed seed per image
    with ProcessPoolExecutor() as pool:
        per_image = list(pool.map(distorted_inputs, jobs, chunksize=2))
    table: dict = {kind: {"clean": clean[kind]} for kind in loaded_models}
    agreement: dict = {kind: {} for kind in loaded_models}
    for kind_name in DISTORTION_LEVELS:
        for level in LEVELS:
            for kind, loaded in loaded_models.items():
                if kind == MEASUREMENT_KIND:
                    inputs = feature_matrix([image[kind_name, level][1] for image in per_image],
                                            loaded.feature_names)
                else:
                    inputs = np.stack([image[kind_name, level][0] for image in per_image])
                probs = image_probabilities(loaded, inputs)
                f1 = classification_metrics(probs, labels, classes)["macro_f1"]
                table[kind].setdefault(kind_name, {})[level] = round(f1, 4)
                same = float(np.mean(probs.argmax(axis=1) == clean_verdicts[kind]))
                agreement[kind].setdefault(kind_name, {})[level] = round(same, 4)
            print(f"{kind_name:15s} {level:9s} " + "  ".join(
                f"{k}={table[k][kind_name][level]:.3f} ({table[k][kind_name][level] - clean[k]:+.3f}, "
                f"{agreement[k][kind_name][level]:.0%} unchanged)" for k in loaded_models))
    return table, agreement


def evaluate_verdict(task: str, probabilities: dict[str, np.ndarray], labels: np.ndarray, classes: list[str],
                     split: str) -> None:
    """Score the headline verdict's rule on the split, when every model it averages was scored in this run, and
    store the figures in the verdict card."""
    card = read_verdict_card(task)
    if card is None or not set(card["rule"]["models"]) <= set(probabilities):
        return
    mean = np.mean([probabilities[kind] for kind in card["rule"]["models"]], axis=0)
    metrics = classification_metrics(mean, labels, classes)
    card["evaluation"] = {key: metrics[key] for key in ("n_images", "accuracy", "macro_f1", "per_class",
                                                        "confusion_matrix")}
    card["evaluation"].update(split=split, intervals=bootstrap_intervals(labels, mean.argmax(axis=1), classes),
                              evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    verdict_card_path(task).write_text(json.dumps(card, indent=1) + "\n")
    print(f"{task} verdict ({card['rule']['name']}): accuracy {metrics['accuracy']:.3f}, macro-F1 "
          f"{metrics['macro_f1']:.3f} on {metrics['n_images']} {split} images")


def span(interval: list[float] | None) -> str:
    return "(no images)" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=sorted(TASK_SPECS))
    parser.add_argument("--model", choices=[*MODEL_KINDS, "all"], default="all")
    parser.add_argument("--data", required=True, help="folder with one sub-folder per class id")
    parser.add_argument("--split", default="test", choices=["test", "validation"])
    parser.add_argument("--robustness", action="store_true", help="also score distorted test images")
    parser.add_argument("--cache", default=".cache")
    args = parser.parse_args()

    from ecg_pipeline.models import inference

    spec = TASK_SPECS[args.task]
    classes = list(spec.classes)
    kinds = spec.model_kinds if args.model == "all" else (args.model,)
    images = attach_split(list_labelled_images(args.data, args.task), read_split(args.task))
    test = images[images.split == args.split].reset_index(drop=True)
    labels = np.array([classes.index(c) for c in test["class"]])
    loaded_models, clean, clean_verdicts, test_probabilities = {}, {}, {}, {}
    for kind in kinds:
        try:
            loaded = inference.load_model(args.task, kind)  # refuses a file that does not match its card
        except EcgError as exc:
            sys.exit(f"error: {exc}")
        loaded_models[kind] = loaded
        inputs = model_inputs(loaded, test, args.cache)
        probs = image_probabilities(loaded, inputs)
        metrics = classification_metrics(probs, labels, classes)
        metrics["split"] = args.split
        metrics["aggregation"] = loaded.aggregation
        metrics["median_latency_ms"] = model_latency_ms(loaded, inputs)
        metrics["intervals"] = bootstrap_intervals(labels, probs.argmax(axis=1), classes)
        clean[kind] = round(metrics["macro_f1"], 4)
        clean_verdicts[kind] = probs.argmax(axis=1)
        test_probabilities[kind] = probs
        try:
            write_evaluation(args.task, kind, metrics)
        except EcgError as exc:  # the file changed since it was loaded
            sys.exit(f"error: {exc}")
        print(f"{args.task} {kind}: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}, "
              f"ECE {metrics['expected_calibration_error']:.3f}, latency {metrics['median_latency_ms']:.1f} ms "
              f"on {metrics['n_images']} {args.split} images")
        print(f"   95 % intervals: accuracy {span(metrics['intervals']['accuracy'])}, macro-F1 "
              f"{span(metrics['intervals']['macro_f1'])}")
        for c, m in metrics["per_class"].items():
            print(f"   {c:36s} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f} "
                  f"{span(metrics['intervals']['per_class_f1'][c])}  n={m['support']}")
    evaluate_verdict(args.task, test_probabilities, labels, classes, args.split)
    if args.robustness:
        table, agreement = robustness(args.task, test, loaded_models, classes, clean, clean_verdicts)
        for kind in kinds:
            try:
                write_robustness(args.task, kind, {"split": args.split, "metric": "macro_f1",
                                                   "levels": DISTORTION_LEVELS, "results": table[kind],
                                                   "verdict_unchanged": agreement[kind]})
            except EcgError as exc:
                sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
