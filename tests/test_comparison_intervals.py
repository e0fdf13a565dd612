"""Bootstrap 95 % intervals: computed by evaluate.py, stored in the cards, shown on Model comparison."""

import numpy as np
import pytest

from ecg_pipeline.constants import TASK_SPECS, TASKS
from ecg_pipeline.io.cards import read_card
from ecg_pipeline.models.evaluation import bootstrap_intervals
from ecg_pipeline.models.verdict import read_verdict_card


def pairs_of(matrix: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class indices with the counts of a confusion matrix (rows true, columns predicted)."""
    cells = [(t, p, n) for t, row in enumerate(matrix) for p, n in enumerate(row)]
    return (np.repeat([t for t, _, _ in cells], [n for *_, n in cells]),
            np.repeat([p for _, p, _ in cells], [n for *_, n in cells]))


def shipped_evaluations() -> list[tuple[str, dict, list[str]]]:
    found = []
    for task in TASKS:
        classes = list(TASK_SPECS[task].classes)
        for kind in TASK_SPECS[task].model_kinds:
            card = read_card(task, kind)
            if card and card.evaluation:
                found.append((f"{task} {kind}", card.evaluation, classes))
        verdict = read_verdict_card(task)
        if verdict and verdict.get("evaluation"):
            found.append((f"{task} verdict", verdict["evaluation"], classes))
    return found


@pytest.mark.parametrize("name, evaluation, classes", shipped_evaluations(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_the_cards_intervals_are_the_bootstrap_of_their_test_predictions(name, evaluation, classes):
    labels, predicted = pairs_of(evaluation["confusion_matrix"])
    stored = evaluation["intervals"]
    assert bootstrap_intervals(labels, predicted, classes, stored["resamples"], stored["confidence"],
                               stored["seed"]) == stored, f"{name}: run scripts/evaluate.py"
    low, high = stored["macro_f1"]
    assert low <= evaluation["macro_f1"] <= high


def test_intervals_do_not_depend_on_the_order_of_the_images():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 60)
    predicted = np.where(rng.random(60) < 0.8, labels, (labels + 1) % 3)
    order = rng.permutation(60)
    classes = ["a", "b", "c"]
    assert (bootstrap_intervals(labels, predicted, classes, 300)
            == bootstrap_intervals(labels[order], predicted[order], classes, 300))


def test_a_class_of_four_images_gets_a_wider_interval_than_a_class_of_forty():
    labels = np.array([0] * 40 + [1] * 4 + [2] * 40)
    predicted = labels.copy()
    predicted[[0, 1, 2, 3]] = 2  # one in ten of the forty wrong
    predicted[40] = 2  # one in four of the four wrong
    intervals = bootstrap_intervals(labels, predicted, ["a", "b", "c"], 1000)["per_class_f1"]
    width = {c: high - low for c, (low, high) in intervals.items()}
    assert width["b"] > 2 * width["a"]
    assert intervals["b"][1] == 1.0  # a resample can hold the four images all right


def test_perfect_predictions_give_a_point_and_a_missing_class_no_interval():
    y = np.array([0, 0, 1, 1, 1])
    intervals = bootstrap_intervals(y, y, ["a", "b", "c"], 100)
    assert intervals["accuracy"] == [1.0, 1.0] and intervals["per_class_f1"]["c"] is None


def test_the_training_chart_leaves_out_a_panel_no_history_fills():
    from dashboard.charts import training_figure

    final_fit = {"loss": [1.0, 0.8], "accuracy": [0.5, 0.7]}  # trained on train + validation: no validation curve
    titles = [a.text for a in training_figure({"cnn": final_fit}).layout.annotations]
    assert titles == ["Loss", "Lead accuracy"]
    with_validation = {**final_fit, "val_image_macro_f1": [0.4, 0.6]}
    panels = [a.text for a in training_figure({"cnn": with_validation}).layout.annotations]
    assert "Image macro-F1 (validation)" in panels
