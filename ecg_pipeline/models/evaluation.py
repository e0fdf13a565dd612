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
