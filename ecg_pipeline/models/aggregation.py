"""From per-lead probabilities to one verdict per image.

Two methods. The mean of the lead probabilities treats every lead alike. A lead weighting learns how much
each lead's opinion counts for each class (a multinomial logistic regression on the leads' log-probabilities,
fitted on the training and validation images): an infarction shows in the leads facing the damaged wall,
so the leads should not all count the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AGGREGATION_METHOD = "mean of lead probabilities"
WEIGHTED_AGGREGATION_METHOD = "lead weighting (logistic regression on lead log-probabilities)"
#: Floor of a probability before its logarithm: a model's 0 must not become minus infinity.
PROBABILITY_FLOOR = 1e-4


def aggregate_probabilities(lead_probabilities: np.ndarray) -> np.ndarray:
    """Mean class probabilities over the leads of each image.

    Parameters
    ----------
    lead_probabilities : ndarray (..., n_leads, n_classes)

    Returns
    -------
    ndarray (..., n_classes), rows summing to 1

    Examples
    --------
    >>> aggregate_probabilities(np.array([[0.8, 0.2], [0.4, 0.6]]))
    array([0.6, 0.4])
    """
    return np.asarray(lead_probabilities, dtype=np.float64).mean(axis=-2)


def lead_features(lead_probabilities: np.ndarray) -> np.ndarray:
    """Log-probabilities of every lead and class, side by side: (..., n_leads, n_classes) -> (..., n_leads * n_classes).

    Examples
    --------
    >>> lead_features(np.array([[1.0, 0.0], [0.5, 0.5]])).round(2)
    array([ 0.  , -9.21, -0.69, -0.69])
    """
    probs = np.asarray(lead_probabilities, dtype=np.float64)
    logs = np.log(np.clip(probs, PROBABILITY_FLOOR, 1.0))
    return logs.reshape(*logs.shape[:-2], -1)


@dataclass(frozen=True)
class LeadWeighting:
    """A fitted lead weighting: class scores are ``coef @ lead_features + intercept``, then a softmax.

    Attributes
    ----------
    coef : ndarray (n_classes, n_leads * n_classes)
    intercept : ndarray (n_classes,)
    """

    coef: np.ndarray
    intercept: np.ndarray

    def probabilities(self, lead_probabilities: np.ndarray) -> np.ndarray:
        """Class probabilities of each image: (..., n_leads, n_classes) -> (..., n_classes), rows summing to 1."""
        scores = lead_features(lead_probabilities) @ self.coef.T + self.intercept
        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        return weights / weights.sum(axis=-1, keepdims=True)

    def lead_contributions(self, lead_probabilities: np.ndarray) -> np.ndarray:
        """What each lead of one image adds to each class's score: (n_leads, n_classes) -> (n_leads, n_classes).

        The class scores are these summed over the leads plus ``intercept``. Each lead's row is centred on its
        mean (a shift shared by all classes changes no probability), so a positive value means the lead pushed
        the image towards that class more than towards the others.
        """
        logs = lead_features(lead_probabilities).reshape(-1, self.coef.shape[0])  # lead, lead's class
        per_lead = np.einsum("clk,lk->lc", self._coef_per_lead(), logs)
        return per_lead - per_lead.mean(axis=1, keepdims=True)

    def lead_weights(self) -> np.ndarray:
        """How strongly each lead's own probability of a class pushes the image towards that class:
        (n_leads, n_classes), the coefficient of lead l's log-probability of class c in class c's score."""
        return np.einsum("clc->lc", self._coef_per_lead())

    def _coef_per_lead(self) -> np.ndarray:
        """``coef`` as (class score, lead, lead's class)."""
        n_classes = self.coef.shape[0]
        return self.coef.reshape(n_classes, -1, n_classes)

    def to_dict(self) -> dict:
        return {"coef": self.coef.round(6).tolist(), "intercept": self.intercept.round(6).tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> LeadWeighting:
        return cls(coef=np.asarray(data["coef"], dtype=np.float64),
                   intercept=np.asarray(data["intercept"], dtype=np.float64))


def fit_lead_weighting(lead_probabilities: np.ndarray, labels: np.ndarray, strength: float) -> LeadWeighting:
    """Fit a lead weighting with scikit-learn, classes weighted inversely to their frequency.

    Parameters
    ----------
    lead_probabilities : ndarray (n_images, n_leads, n_classes)
    labels : ndarray (n_images,) of class indices
    strength : float
        Inverse L2 regularisation (scikit-learn's ``C``): smaller keeps the weights closer to equal.
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=strength, class_weight="balanced", max_iter=5000)
    model.fit(lead_features(lead_probabilities), labels)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] != lead_probabilities.shape[-1]:
        raise ValueError("Every class must occur among the labels to fit a lead weighting.")
    return LeadWeighting(coef=np.asarray(coef, dtype=np.float64), intercept=np.asarray(intercept, dtype=np.float64))


def cross_validated_predictions(lead_probabilities: np.ndarray, labels: np.ndarray, strength: float,
                                folds: int = 5, seed: int = 0) -> np.ndarray:
    """Predicted class of every image by a lead weighting fitted on the other folds (stratified)."""
    from sklearn.model_selection import StratifiedKFold

    predicted = np.zeros(len(labels), dtype=int)
    for fit_rows, held_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(labels, labels):
        weighting = fit_lead_weighting(lead_probabilities[fit_rows], labels[fit_rows], strength)
        predicted[held_rows] = weighting.probabilities(lead_probabilities[held_rows]).argmax(axis=-1)
    return predicted
