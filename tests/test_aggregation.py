"""From lead probabilities to one verdict: the mean and the learnt lead weighting."""

from __future__ import annotations

import numpy as np

from ecg_pipeline.models.aggregation import (
    LeadWeighting,
    aggregate_probabilities,
    cross_validated_predictions,
    fit_lead_weighting,
)


def images_where_only_one_lead_knows(n_images: int = 120, n_leads: int = 4, n_classes: int = 3, seed: int = 0):
    """Lead probabilities whose informative lead is lead 2; the other leads lean to class 0 whatever the truth."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_images) % n_classes
    probs = rng.dirichlet(np.ones(n_classes), size=(n_images, n_leads))
    probs[:, :, 0] += 1.0
    probs[np.arange(n_images), 2, labels] += 3.0
    return probs / probs.sum(axis=-1, keepdims=True), labels


def test_the_weighting_learns_which_lead_to_trust():
    probs, labels = images_where_only_one_lead_knows()
    weighting = fit_lead_weighting(probs, labels, strength=1.0)
    weights = weighting.lead_weights()
    assert weights.shape == (4, 3)
    assert np.all(weights[2] > np.delete(weights, 2, axis=0).max(axis=0))
    # The mean is outvoted by the three leads leaning to class 0; the weighting is not.
    mean_accuracy = np.mean(aggregate_probabilities(probs).argmax(axis=1) == labels)
    held_out_accuracy = np.mean(cross_validated_predictions(probs, labels, strength=1.0) == labels)
    assert mean_accuracy < 0.5 < 0.9 < held_out_accuracy


def test_weighted_probabilities_sum_to_one_and_survive_the_card():
    probs, labels = images_where_only_one_lead_knows()
    weighting = fit_lead_weighting(probs, labels, strength=0.1)
    out = weighting.probabilities(probs)
    assert out.shape == (len(probs), 3) and np.allclose(out.sum(axis=1), 1.0)
    assert np.allclose(weighting.probabilities(probs[0]), out[0])  # one image at a time, as analyze does
    restored = LeadWeighting.from_dict(weighting.to_dict())
    assert np.allclose(restored.probabilities(probs), out, atol=1e-5)
    certain = np.zeros((4, 3))
    certain[:, 1] = 1.0  # zeros must not become minus infinity
    assert np.isfinite(weighting.probabilities(certain)).all()


def test_lead_contributions_add_up_to_the_weighted_probabilities():
    probs, labels = images_where_only_one_lead_knows()
    weighting = fit_lead_weighting(probs, labels, strength=1.0)
    for image in probs[:5]:
        contributions = weighting.lead_contributions(image)
        assert contributions.shape == (4, 3) and np.allclose(contributions.sum(axis=1), 0.0)
        scores = contributions.sum(axis=0) + weighting.intercept
        softmax = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        assert np.allclose(softmax, weighting.probabilities(image))
    # The informative lead is what the verdict rests on.
    image, label = probs[1], labels[1]
    assert weighting.lead_contributions(image)[:, label].argmax() == 2
