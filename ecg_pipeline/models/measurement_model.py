"""The measurement model: a scikit-learn classifier of a 12-lead page's clinical measurements.

A class-balanced logistic regression and a small gradient-boosted forest, their probabilities averaged, each
behind a median imputation (a measurement missing on a page counts as typical). Settings are chosen by
repeated stratified cross-validation on the training and validation images; the model is saved with skops,
whose loader builds only the types it is told to trust, so a model file cannot run code when loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: The settings cross-validation chooses among: the logistic regression's inverse regularisation ``C`` and the
#: boosted trees' leaves.
SETTINGS_GRID: tuple[dict, ...] = tuple({"C": c, "max_leaf_nodes": leaves}
                                        for c in (0.003, 0.01, 0.03) for leaves in (3, 4, 8))
CV_FOLDS = 5
CV_REPEATS = 5
#: The only types beyond skops' defaults that a measurement model file may contain.
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils._bunch.Bunch",
)


def classifier(C: float = 0.01, max_leaf_nodes: int = 4, seed: int = 0):
    """The measurement model's untrained scikit-learn estimator.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation of the logistic regression.
    max_leaf_nodes : int
        Leaves per tree of the gradient boosting.

    Returns
    -------
    sklearn.ensemble.VotingClassifier
        Soft voting (mean probabilities) of both pipelines.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    linear = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                           LogisticRegression(C=C, class_weight="balanced", max_iter=5000))
    trees = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                          HistGradientBoostingClassifier(class_weight="balanced", max_iter=150, learning_rate=0.05,
                                                         max_leaf_nodes=max_leaf_nodes, l2_regularization=0.5,
                                                         min_samples_leaf=15, random_state=seed))
    return VotingClassifier([("logistic_regression", linear), ("gradient_boosting", trees)], voting="soft")


@dataclass
class CrossValidation:
    """Repeated stratified cross-validation of one setting: every image scored ``repeats`` times by a model
    that did not see it."""

    settings: dict
    macro_f1: float
    macro_f1_std: float
    per_class_f1: dict[str, float]
    #: Out-of-fold class probabilities of each image, averaged over the repeats: (n_images, n_classes).
    probabilities: np.ndarray

    def summary(self) -> dict:
        return {"settings": self.settings, "macro_f1": round(self.macro_f1, 4),
                "macro_f1_std": round(self.macro_f1_std, 4),
                "per_class_f1": {c: round(v, 4) for c, v in self.per_class_f1.items()}}


def cross_validate(features: np.ndarray, labels: np.ndarray, classes: list[str], settings: dict,
                   folds: int = CV_FOLDS, repeats: int = CV_REPEATS, seed: int = 0) -> CrossValidation:
    """Macro-F1 and per-class F1 of ``classifier(**settings)``, averaged over ``repeats`` stratified
    ``folds``-fold splits.

    Examples
    --------
    >>> rng = np.random.default_rng(0); labels = np.arange(60) % 3
    >>> features = rng.normal(size=(60, 4)) + labels[:, None]
    >>> result = cross_validate(features, labels, ["a", "b", "c"], {"C": 1.0, "max_leaf_nodes": 3}, repeats=1)
    >>> result.macro_f1 > 0.6, result.probabilities.shape
    (True, (60, 3))
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    scores, per_class, probabilities = [], [], np.zeros((len(labels), len(classes)))
    for repeat in range(repeats):
        split = StratifiedKFold(folds, shuffle=True, random_state=seed + repeat)
        predicted = cross_val_predict(classifier(**settings, seed=seed), features, labels, cv=split,
                                      method="predict_proba")
        probabilities += predicted / repeats
        guess = predicted.argmax(axis=1)
        scores.append(f1_score(labels, guess, average="macro", labels=range(len(classes)), zero_division=0))
        per_class.append(f1_score(labels, guess, average=None, labels=range(len(classes)), zero_division=0))
    return CrossValidation(settings=dict(settings), macro_f1=float(np.mean(scores)), macro_f1_std=float(np.std(scores)),
                           per_class_f1=dict(zip(classes, np.mean(per_class, axis=0).tolist(), strict=True)),
                           probabilities=probabilities)


def choose_settings(features: np.ndarray, labels: np.ndarray, classes: list[str],
                    grid: tuple[dict, ...] = SETTINGS_GRID, progress=print) -> tuple[CrossValidation, list[dict]]:
    """The setting of ``grid`` with the best repeated cross-validated macro-F1, and every setting's summary."""
    results = []
    for settings in grid:
        result = cross_validate(features, labels, classes, settings)
        results.append(result)
        progress(f"{settings}: macro-F1 {result.macro_f1:.3f} +- {result.macro_f1_std:.3f}, "
                 + ", ".join(f"{c} {v:.2f}" for c, v in result.per_class_f1.items()))
    best = max(results, key=lambda r: r.macro_f1)
    return best, [r.summary() for r in results]


def save_classifier(model, path: str | Path) -> None:
    """Write a fitted classifier with skops (no pickle)."""
    import skops.io

    skops.io.dump(model, path)


def load_classifier(path: str | Path):
    """Read a classifier written by ``save_classifier``.

    Raises
    ------
    ValueError
        When the file holds a type outside skops' defaults and ``TRUSTED_TYPES``: it was not written by this
        project, and loading it could run code.
    """
    import skops.io

    untrusted = [t for t in skops.io.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ValueError(f"{Path(path).name} holds types this project does not write ({', '.join(untrusted)}); "
                         "it was not loaded.")
    return skops.io.load(path, trusted=list(TRUSTED_TYPES))


def feature_matrix(rows: list[dict[str, float]], names: list[str]) -> np.ndarray:
    """Feature rows (dicts, as ``Measurements.features()``) as a matrix in the order of ``names``."""
    return np.array([[row.get(name, np.nan) for name in names] for row in rows], dtype=np.float64)


def contributions(model, row: np.ndarray, names: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """One page's class probabilities, and how much each measurement moved the probability of its most likely
    class: the probability now, minus the probability with that measurement set to the training median.

    The page and its variants go to the classifier in one call: a gradient-boosted ensemble costs about the
    same for one row as for thirty, so this is a third of the time of three calls.

    Returns
    -------
    probabilities : (n_classes,)
    frame : DataFrame with ``feature``, ``value`` and ``change``, largest absolute change first.
    """
    row = np.asarray(row, dtype=np.float64).reshape(1, -1)
    typical = np.repeat(row, row.shape[1], axis=0)
    typical[np.arange(row.shape[1]), np.arange(row.shape[1])] = np.nan  # the imputer puts the median there
    predicted = model.predict_proba(np.vstack([row, typical]))
    probabilities, class_index = predicted[0], int(np.argmax(predicted[0]))
    frame = pd.DataFrame({"feature": names, "value": row[0],
                          "change": probabilities[class_index] - predicted[1:, class_index]})
    frame = frame.reindex(frame["change"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return np.asarray(probabilities, dtype=np.float64), frame
