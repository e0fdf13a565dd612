"""Training runs that end in a saved model and its card: a network (CNN, CRNN) or the measurement model, on the
content-hash split of a folder of class folders. ``scripts/train.py`` is a thin wrapper over these."""

from __future__ import annotations

import platform
import time
from pathlib import Path

from ..constants import BEAT, MEASUREMENT_KIND, TASK_SPECS, TWELVE_LEAD
from ..io.cards import ModelCard, matching_card, model_path, now, out_of_fold_path, save_trained_card
from ..io.data import attach_split, list_labelled_images, read_split
from .aggregation import AGGREGATION_METHOD
from .features import dataset_inputs

TRAINING_DEFAULTS = {  # per task: distorted copies per training image, epochs, images per batch, class-weight softening
    TWELVE_LEAD: {"copies": 0, "epochs": 45, "batch_size": 8, "patience": 12, "class_weight_power": 1.0},
    BEAT: {"copies": 0, "epochs": 24, "batch_size": 64, "patience": 6, "class_weight_power": 0.5},
}


def versions() -> dict[str, str]:
    import importlib.metadata as metadata

    return {"python": platform.python_version(),
            **{name: metadata.version(name) for name in ("scikit-learn", "skops", "neurokit2", "numpy")}}


def fit_measurement_model(task: str, data: str | Path, sigma: float = 1.0, seed: int = 0, cache: str | Path = ".cache",
                          out: str | Path | None = None, report=print) -> ModelCard:
    """Choose the measurement model's settings by repeated cross-validation on the training and validation pages,
    fit it on all of them, and save it (skops), its out-of-fold probabilities and its card."""
    import numpy as np

    from .features import dataset_measurements
    from .measurement_model import CV_FOLDS, CV_REPEATS, choose_settings, classifier, save_classifier

    classes = list(TASK_SPECS[task].classes)
    images = attach_split(list_labelled_images(data, task), read_split(task))
    fitting = images[images.split.isin(["train", "validation"])].reset_index(drop=True)
    started = time.time()
    features, labels, names = dataset_measurements(fitting, sigma, cache)
    measuring_s = time.time() - started
    report(f"{len(fitting)} training and validation pages, {len(names)} measurements each ({measuring_s:.0f} s)")
    started = time.time()
    best, grid = choose_settings(features, labels, classes)
    model = classifier(**best.settings, seed=seed).fit(features, labels)
    training_s = time.time() - started
    path = model_path(task, MEASUREMENT_KIND, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_classifier(model, path)
    np.savez(out_of_fold_path(task, MEASUREMENT_KIND, out), sha256=fitting.sha256.to_numpy(dtype=str),
             labels=labels, probabilities=best.probabilities)
    card = ModelCard(
        task=task, model=MEASUREMENT_KIND, classes=classes, features=names,
        preprocessing={"sigma": sigma, "threshold": "otsu", "input": "clinical measurements of the "
                       "digitized trace (ecg_pipeline.measure)"},
        training={"data": str(data), "split_manifest": f"data/splits/{task}.csv",
                  "fit_on": ["train", "validation"], "images": {"train": int(len(fitting)), "validation": 0},
                  "estimator": "mean of a class-balanced logistic regression and a class-balanced "
                               "histogram gradient boosting, each after median imputation",
                  "settings": best.settings, "settings_grid": grid, "seed": seed,
                  "measuring_seconds": round(measuring_s, 1), "training_seconds": round(training_s, 1)},
        cross_validation={**best.summary(), "folds": CV_FOLDS, "repeats": CV_REPEATS, "images": int(len(fitting)),
                          "splits": ["train", "validation"],
                          "chosen_from": f"the best of {len(grid)} settings by this same cross-validation"},
        sha256="", file_size_bytes=0, versions=versions(), trained_at=now(),
    )
    card = save_trained_card(card, out)
    report(f"chose {best.settings}: cross-validated macro-F1 {best.macro_f1:.3f}; saved {path}")
    return card


def fit_network(task: str, kind: str, data: str | Path, settings: dict, sigma: float = 1.0, seed: int = 0,
                learning_rate: float = 1e-3, fit_on: str = "train", halve_lr_at: tuple[int, ...] = (),
                resume: bool = False, cache: str | Path = ".cache", out: str | Path | None = None,
                report=print) -> ModelCard:
    """Train a CNN or CRNN on the split's training images (``fit_on="train+validation"``: the final fit, on both,
    every epoch), and save it and a new card. ``settings``: copies, epochs, batch_size, patience and
    class_weight_power, as in ``TRAINING_DEFAULTS``."""
    import keras

    images = attach_split(list_labelled_images(data, task), read_split(task))
    final_fit = fit_on == "train+validation"
    train = images[images.split.isin(["train", "validation"] if final_fit else ["train"])]
    validation = images[images.split == "validation"]
    report(f"{len(train)} training images" + ("" if final_fit else f" and {len(validation)} validation images"))
    started = time.time()
    train_xy = dataset_inputs(train, task, sigma, settings["copies"], seed, cache)
    val_xy = None if final_fit else dataset_inputs(validation, task, sigma, 0, seed, cache)
    preprocessing_s = time.time() - started
    initial_weights, previous_runs = previous_training(task, kind, out) if resume else (None, [])
    started = time.time()
    from . import training  # TensorFlow, loaded only for a network's training

    model, history = training.train_model(task, kind, train_xy, val_xy, epochs=settings["epochs"],
                                          batch_size=settings["batch_size"], patience=settings["patience"],
                                          seed=seed, class_weight_power=settings["class_weight_power"],
                                          learning_rate=learning_rate, initial_weights=initial_weights,
                                          halve_lr_at=tuple(halve_lr_at))
    training_s = time.time() - started
    path = model_path(task, kind, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    spec = TASK_SPECS[task]
    out_of_fold_path(task, kind, out).unlink(missing_ok=True)  # the previous recipe's fold networks
    card = ModelCard(
        task=task, model=kind, classes=list(spec.classes), leads=list(spec.leads),
        input_shape=list(spec.input_shape),
        preprocessing={"sigma": sigma, "threshold": "otsu", "model_input": "binary trace, area-resized",
                       "aggregation": AGGREGATION_METHOD},
        training={
            "data": str(data), "split_manifest": f"data/splits/{task}.csv", "fit_on": fit_on.split("+"),
            "images": {"train": int(len(train)), "validation": 0 if final_fit else int(len(validation))},
            "halve_lr_at": list(halve_lr_at),
            "distorted_copies_per_training_image": settings["copies"],
            "epochs_run": len(history.get("loss", [])), "batch_size": settings["batch_size"],
            "class_weight_power": settings["class_weight_power"], "learning_rate": learning_rate,
            "previous_runs": previous_runs, "seed": seed,
            "preprocessing_seconds": round(preprocessing_s, 1), "training_seconds": round(training_s, 1),
            "history": history,
        },
        parameters=int(model.count_params()), sha256="", file_size_bytes=0,
        versions={"python": platform.python_version(), "keras": keras.__version__,
                  "tensorflow": __import__("tensorflow").__version__},
        trained_at=now(),
    )
    card = save_trained_card(card, out)
    report(f"saved {path} ({path.stat().st_size / 1e6:.2f} MB) after {training_s:.0f} s of training")
    return card


def previous_training(task: str, kind: str, out: str | Path | None) -> tuple[list, list[dict]]:
    """The saved network's weights, to resume from, and its runs so far, to keep in the new card."""
    import keras

    previous = matching_card(task, kind, out)
    weights = keras.saving.load_model(model_path(task, kind, out)).get_weights()
    runs = previous.training.get("previous_runs", []) + [
        {k: previous.training.get(k) for k in ("epochs_run", "training_seconds", "learning_rate", "history")}
        | {"sha256": previous.sha256}]
    return weights, runs
