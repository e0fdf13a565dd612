"""Metrics of a model on whole images: per class, not accuracy alone."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error of the top-class confidence (Guo et al. 2017), equal-width bins.

    Examples
    --------
    >>> round(expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1])), 2)
    0.4
    """
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(ece)


def reliability_curve(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> dict:
    """Per confidence bin: mean confidence, accuracy and count (for a calibration plot)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    rows = {"confidence": [], "accuracy": [], "count": []}
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            rows["confidence"].append(float(confidence[inside].mean()))
            rows["accuracy"].append(float(correct[inside].mean()))
            rows["count"].append(int(inside.sum()))
    return rows


def classification_metrics(probabilities: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, macro-F1, per-class precision / recall / F1, confusion matrix, ROC AUC and curves, ECE.

    Parameters
    ----------
    probabilities : ndarray (n_images, n_classes)
    labels : ndarray (n_images,) of class indices
    classes : class ids, in index order
    """
    predicted = probabilities.argmax(axis=1)
    indices = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=indices, zero_division=0
    )
    per_class = {
        c: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
            "support": int(support[i])}
        for i, c in enumerate(classes)
    }
    roc = {}
    aucs = {}
    for i, c in enumerate(classes):
        positives = labels == i
        if positives.any() and (~positives).any():
            fpr, tpr, _ = roc_curve(positives, probabilities[:, i])
            roc[c] = {"fpr": [round(float(v), 4) for v in fpr], "tpr": [round(float(v), 4) for v in tpr]}
            aucs[c] = float(roc_auc_score(positives, probabilities[:, i]))
    return {
        "n_images": int(len(labels)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, labels=indices, average="macro", zero_division=0)),
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(labels, predicted, labels=indices).tolist(),
        "roc_auc_ovr": aucs,
        "roc_auc_macro": float(np.mean(list(aucs.values()))) if aucs else None,
        "roc_curves": roc,
        "expected_calibration_error": expected_calibration_error(probabilities, labels),
        "reliability": reliability_curve(probabilities, labels),
    }


#: Resamples and seed of the shipped intervals. With 2000, the ends of a 12-lead macro-F1 interval move by about 0.01
#: from one seed to another (a class of 4 images moves more: its F1 takes few distinct values).
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def _resample_within_classes(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of one bootstrap sample drawn with replacement inside each true class."""
    return np.concatenate([rng.choice(members, size=len(members)) for members in
                           (np.flatnonzero(labels == c) for c in np.unique(labels))])


def bootstrap_intervals(labels: np.ndarray, predicted: np.ndarray, classes: list[str],
                        n_resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = 0.95,
                        seed: int = BOOTSTRAP_SEED) -> dict:
    """Percentile bootstrap intervals of accuracy, macro-F1 and each class's F1 over the test images.

    Images are resampled with replacement inside each true class, as the split itself was stratified: every
    resample keeps each class's count, so a class with a handful of images never vanishes from a resample and
    its F1 stays defined. Metrics are sklearn's, with the same definitions as ``classification_metrics``.

    Parameters
    ----------
    labels : ndarray (n_images,) of true class indices
    predicted : ndarray (n_images,) of predicted class indices
    classes : class ids, in index order
    n_resamples : bootstrap resamples
    confidence : the interval's coverage
    seed : seed of the resampling, so the stored intervals can be recomputed exactly

    Returns
    -------
    dict
        ``accuracy`` and ``macro_f1`` as ``[low, high]``, ``per_class_f1`` as ``[low, high]`` per class id
        (``None`` for a class with no images), and the settings that produced them.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1])
    >>> bootstrap_intervals(y, y, ["normal", "abnormal"], n_resamples=50)["macro_f1"]
    [1.0, 1.0]
    """
    # In a fixed order of (label, prediction) pairs, the intervals depend on the confusion matrix alone, not on
    # the order the images were read in: a card's stored intervals can be recomputed from its matrix.
    order = np.lexsort((np.asarray(predicted), np.asarray(labels)))
    labels, predicted = np.asarray(labels)[order], np.asarray(predicted)[order]
    indices = list(range(len(classes)))
    rng = np.random.default_rng(seed)
    accuracy, per_class = np.empty(n_resamples), np.empty((n_resamples, len(classes)))
    for r in range(n_resamples):
        sample = _resample_within_classes(labels, rng)
        accuracy[r] = accuracy_score(labels[sample], predicted[sample])
        per_class[r] = f1_score(labels[sample], predicted[sample], labels=indices, average=None, zero_division=0)
    tails = [50 * (1 - confidence), 50 * (1 + confidence)]

    def interval(values: np.ndarray) -> list[float]:
        return [round(float(v), 4) for v in np.percentile(values, tails)]

    present = set(np.unique(labels).tolist())
    return {
        "method": "percentile bootstrap, test images resampled within each true class",
        "confidence": confidence, "resamples": n_resamples, "seed": seed,
        "accuracy": interval(accuracy),
        "macro_f1": interval(per_class.mean(axis=1)),  # sklearn's macro-F1: the mean of the classes' F1
        "per_class_f1": {c: interval(per_class[:, i]) if i in present else None for i, c in enumerate(classes)},
    }
