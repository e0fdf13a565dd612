"""From per-lead probabilities to one verdict per image."""

from __future__ import annotations

import numpy as np

AGGREGATION_METHOD = "mean of lead probabilities"


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
