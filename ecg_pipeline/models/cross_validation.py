"""Cross-validation of the 12-lead networks: the whole recipe retrained per fold, and the lead weighting's
strength chosen on the training and validation images. ``scripts/cross_validate.py`` and
``scripts/fit_lead_weighting.py`` are thin wrappers over these functions; the test split is never read here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..constants import TWELVE_LEAD, TWELVE_LEAD_SPEC
from ..io.cards import CardError, ModelCard, now, out_of_fold_path, write_recipe_cross_validation
from .aggregation import (
    WEIGHTED_AGGREGATION_METHOD,
    aggregate_probabilities,
    cross_validated_predictions,
    fit_lead_weighting,
)
from .evaluation import classification_metrics

#: Lead-weighting strengths tried, and the repeated stratified folds that choose among them.
STRENGTHS = (0.01, 0.03, 0.1, 0.3, 1.0)
WEIGHTING_FOLDS, WEIGHTING_REPEATS = 5, 3


def recipe_settings(card: ModelCard, seed: int | None = None) -> dict:
    """The shipped network's final-fit settings, read from its card, for retraining it per fold."""
    training = card.training
    return {"epochs": training["epochs_run"], "batch_size": training["batch_size"],
            "learning_rate": training.get("learning_rate") or 1e-3,
            "class_weight_power": training.get("class_weight_power", 1.0),
            "halve_lr_at": tuple(training.get("halve_lr_at", ())),
            "seed": training.get("seed", 0) if seed is None else seed}


def lead_probabilities(model, inputs: np.ndarray) -> np.ndarray:
    """(n_images, n_leads, H, W) -> (n_images, n_leads, n_classes), through the dashboard's own ``predict``."""
    from .inference import LoadedModel

    loaded = LoadedModel(TWELVE_LEAD, model.name, model, None)
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
    from . import training

    model, _ = training.train_model(TWELVE_LEAD, kind, (inputs[fit], labels[fit]), None, verbose=0, **settings)
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


def run_fold(kind: str, inputs: np.ndarray, labels: np.ndarray, settings: dict, strength: float,
             split: tuple[np.ndarray, np.ndarray], path: Path) -> float:
    """Train and score one fold and save it at ``path``; returns its macro-F1 with the lead weighting."""
    import time

    fit, held = split
    started = time.time()
    weighted, mean, leads = fold_probabilities(kind, inputs, labels, settings, strength, fit, held)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, held=held, weighted=weighted, mean=mean, leads=leads, seconds=time.time() - started)
    return macro_f1(labels[held], weighted.argmax(1))


def saved_fold(path: Path) -> tuple[np.ndarray, ...]:
    """A fold saved by ``run_fold``: (held-out indices, lead weighting, mean of leads, lead probabilities,
    seconds)."""
    with np.load(path) as saved:
        return tuple(saved[name] for name in ("held", "weighted", "mean", "leads", "seconds"))


def run_key(card: ModelCard, sha256: np.ndarray, folds: int, settings: dict, strength: float) -> str:
    """Identifies a cross-validation run: a fold saved for another model file, image set, fold count or setting
    is never mixed in."""
    text = "|".join([card.sha256, *sorted(sha256), str(folds), repr(sorted(settings.items())), repr(strength)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recipe_result(paths: list[Path], shape: tuple[int, int], labels: np.ndarray, settings: dict,
                  strength: float) -> tuple[dict, np.ndarray]:
    """The card's ``recipe_cross_validation`` section from every saved fold, and the lead probabilities of
    each image from the fold network that never saw it."""
    saved = [saved_fold(path) for path in paths]
    weighted, mean, leads = assembled_folds((fold[:4] for fold in saved), shape)
    classes = list(TWELVE_LEAD_SPEC.classes)
    metrics = classification_metrics(weighted, labels, classes)
    result = {
        "folds": len(paths), "images": int(len(labels)), "splits": ["train", "validation"],
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        "lead_weighting_strength": strength,
        "macro_f1": round(metrics["macro_f1"], 4),
        "per_class_f1": {c: round(scores["f1"], 4) for c, scores in metrics["per_class"].items()},
        "mean_of_leads_macro_f1": round(classification_metrics(mean, labels, classes)["macro_f1"], 4),
        "seconds": round(sum(float(fold[4]) for fold in saved), 1),
        "run_at": now(),
    }
    return result, leads


def recipe_cross_validation(card: ModelCard, sha256: np.ndarray, inputs: np.ndarray, labels: np.ndarray,
                            folds: int, cache: str | Path, seed: int | None = None, only: list[int] | None = None,
                            models_dir: str | Path | None = None, report=print) -> dict | list[int]:
    """Cross-validate a network's whole recipe (network and lead weighting retrained per fold, with the card's
    settings) over the training and validation images ``inputs`` (content hashes ``sha256``).

    Each fold is saved under ``cache`` as it finishes, so a run can be split (``only``: the 1-based folds to run
    now) and resumed. When every fold is done, the result goes into the card (``seed`` other than the shipped
    one: kept apart) and, for the shipped seed, each image's out-of-fold lead probabilities are saved for
    stacking.

    Returns
    -------
    dict or list of int
        The card's section, or the folds still to run.
    """
    if not card.lead_weighting:
        raise CardError("Run scripts/fit_lead_weighting.py first: the recipe's cross-validation repeats its settings.")
    settings = recipe_settings(card, seed)
    shipped_seed = seed is None or seed == card.training.get("seed", 0)
    strength = card.lead_weighting["strength"]
    key = run_key(card, sha256, folds, settings, strength)
    splits = fold_splits(labels, folds)
    paths = [fold_path(cache, card.model, key, fold) for fold in range(1, folds + 1)]
    for fold in only or range(1, folds + 1):
        if not 1 <= fold <= folds:
            raise ValueError(f"fold {fold}: there are folds 1 to {folds}.")
        if not paths[fold - 1].exists():
            report(f"fold {fold}/{folds}: training on {len(splits[fold - 1][0])} images, scoring "
                   f"{len(splits[fold - 1][1])}")
            score = run_fold(card.model, inputs, labels, settings, strength, splits[fold - 1], paths[fold - 1])
            report(f"fold {fold}: macro-F1 {score:.3f}")
    missing = [fold for fold, path in enumerate(paths, start=1) if not path.exists()]
    if missing:
        return missing
    result, leads = recipe_result(paths, inputs.shape[:2], labels, settings, strength)
    if shipped_seed:  # stacking is fitted to the shipped recipe's own fold networks
        np.savez_compressed(out_of_fold_path(TWELVE_LEAD, card.model, models_dir), sha256=sha256, labels=labels,
                            lead_probabilities=leads.astype(np.float32))
    write_recipe_cross_validation(TWELVE_LEAD, card.model, result, None if shipped_seed else settings["seed"],
                                  models_dir)
    return result


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


def saved_out_of_fold(kind: str, sha256: np.ndarray, labels: np.ndarray,
                      models_dir: str | Path | None = None) -> np.ndarray:
    """The out-of-fold lead probabilities ``scripts/cross_validate.py`` saved, in the order of ``sha256``.

    Raises
    ------
    CardError
        When none were saved, or they were computed on other images.
    """
    path = out_of_fold_path(TWELVE_LEAD, kind, models_dir)
    if not path.exists():
        raise CardError(f"No {path.name}: run scripts/cross_validate.py --model {kind} first.")
    with np.load(path) as saved:
        if list(saved["sha256"]) != list(sha256) or not np.array_equal(saved["labels"], labels):
            raise CardError(f"{path.name} was computed on other images than today's training and validation split: "
                            f"rerun scripts/cross_validate.py --model {kind}.")
        return saved["lead_probabilities"].astype(np.float64)


def lead_weighting_section(card: ModelCard, lead_probs: np.ndarray, labels: np.ndarray, source: str,
                           report=print) -> dict:
    """Choose the lead weighting's strength by repeated stratified cross-validation, fit it on every image, and
    return the card's ``lead_weighting`` section."""
    mean_f1 = macro_f1(labels, aggregate_probabilities(lead_probs).argmax(axis=1))
    by_strength, predictions = {}, {}
    for strength in STRENGTHS:
        predictions[strength] = [cross_validated_predictions(lead_probs, labels, strength, WEIGHTING_FOLDS, seed)
                                 for seed in range(WEIGHTING_REPEATS)]
        scores = [macro_f1(labels, predicted) for predicted in predictions[strength]]
        by_strength[strength] = [round(float(np.mean(scores)), 4), round(float(np.std(scores)), 4)]
        report(f"{card.model} strength {strength:<5}: cross-validated macro-F1 {np.mean(scores):.3f} "
               f"(sd {np.std(scores):.3f})")
    best = max(STRENGTHS, key=lambda s: by_strength[s][0])
    return {
        "method": WEIGHTED_AGGREGATION_METHOD,
        "model_sha256": card.sha256,
        "fitted_on": {"splits": ["train", "validation"], "images": int(len(labels)), "lead_probabilities": source},
        "strength": best,
        "cross_validation": {
            "folds": WEIGHTING_FOLDS, "repeats": WEIGHTING_REPEATS,
            "macro_f1_by_strength": {str(s): v for s, v in by_strength.items()},
            "macro_f1": by_strength[best][0],
            "per_class_f1": per_class_f1(labels, predictions[best]),
            "mean_of_leads_macro_f1": round(mean_f1, 4),
        },
        **fit_lead_weighting(lead_probs, labels, best).to_dict(),
        "fitted_at": now(),
    }
