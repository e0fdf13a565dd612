"""The headline verdict: how the models' page probabilities are combined, and what is said when they disagree.

The rule (which models' probabilities are averaged) is chosen by ``scripts/fit_verdict_rule.py`` on out-of-fold
probabilities of the training and validation images, and stored with its cross-validated figures in
``models/<task>_verdict.json``. Without that card the rule is the mean of every model that ran.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import MODEL_TITLES
from ..io.cards import MODELS_DIR


def verdict_card_path(task: str, models_dir: str | Path | None = None) -> Path:
    """Where a task's verdict rule is kept, beside its models."""
    return Path(models_dir or MODELS_DIR) / f"{task}_verdict.json"


def rule_name(models: tuple[str, ...]) -> str:
    """A rule's name for a person.

    Examples
    --------
    >>> rule_name(("measurements", "cnn"))
    'mean of the measurement model and the CNN'
    >>> rule_name(("cnn",))
    'the CNN alone'
    """
    named = [MODEL_TITLES.get(kind, kind) for kind in models]
    titles = [f"the {name if name.isupper() else name[0].lower() + name[1:]}" for name in named]
    if len(titles) == 1:
        return f"{titles[0]} alone"
    return "mean of " + ", ".join(titles[:-1]) + " and " + titles[-1]


@dataclass(frozen=True)
class VerdictRule:
    """Which models' class probabilities are averaged into the headline verdict.

    ``out_of_fold`` holds the rule's cross-validated figures when it was chosen from data.
    """

    models: tuple[str, ...]
    out_of_fold: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return rule_name(self.models)

    def to_dict(self) -> dict:
        return {"models": list(self.models), "name": self.name, "out_of_fold": self.out_of_fold}


def read_verdict_card(task: str, models_dir: str | Path | None = None) -> dict | None:
    """The task's verdict card (``scripts/fit_verdict_rule.py``): the rule and every candidate's figures."""
    path = verdict_card_path(task, models_dir)
    return json.loads(path.read_text()) if path.exists() else None


def read_rule(task: str, models_dir: str | Path | None = None) -> VerdictRule | None:
    """The task's chosen rule, or ``None`` when none was fitted."""
    card = read_verdict_card(task, models_dir)
    if card is None:
        return None
    return VerdictRule(models=tuple(card["rule"]["models"]), out_of_fold=card["rule"].get("out_of_fold", {}))


def score_rules(probabilities: dict[str, np.ndarray], labels: np.ndarray, classes: list[str]) -> list[dict]:
    """Every rule over the given models (each non-empty set, averaged), scored by macro-F1 and per-class F1 on
    out-of-fold probabilities; the best first (ties go to the rule with fewer models).

    Parameters
    ----------
    probabilities : dict of model kind -> ndarray (n_images, n_classes)
        Each image's probabilities from a model that never saw it.

    Examples
    --------
    >>> labels = np.array([0, 1, 0, 1])
    >>> good, bad = np.eye(2)[labels], np.eye(2)[1 - labels]
    >>> [r["models"] for r in score_rules({"a": good, "b": bad}, labels, ["x", "y"])][:1]
    [['a']]
    """
    from sklearn.metrics import f1_score

    scored = []
    kinds = list(probabilities)
    for size in range(1, len(kinds) + 1):
        for models in itertools.combinations(kinds, size):
            guess = np.mean([probabilities[k] for k in models], axis=0).argmax(axis=1)
            per_class = f1_score(labels, guess, average=None, labels=range(len(classes)), zero_division=0)
            scored.append({"models": list(models), "name": rule_name(models),
                           "macro_f1": round(float(per_class.mean()), 4),
                           "per_class_f1": {c: round(float(v), 4) for c, v in zip(classes, per_class, strict=True)}})
    return sorted(scored, key=lambda r: (-r["macro_f1"], len(r["models"])))


@dataclass
class Verdict:
    """The headline of one analysis.

    Attributes
    ----------
    agreement : {"none", "single", "agree", "disagree"}
        No model ran; one ran; all that ran give the same class; they do not.
    predicted_class : str or None
        The shared class (or the single model's); ``None`` when the models disagree or none ran.
    confidence : float or None
        The rule's probability of that class.
    per_model : dict of model kind -> class
    rule : str
        The rule's name.
    rule_class : str or None
        The class the rule's mean favours, also when the models disagree.
    probabilities : dict of class -> float, or None
        The rule's mean probabilities, given only with a single class (not when the models disagree).
    """

    agreement: str
    predicted_class: str | None
    confidence: float | None
    per_model: dict[str, str]
    rule: str
    rule_class: str | None = None
    probabilities: dict[str, float] | None = None

    def to_dict(self) -> dict:
        return {"agreement": self.agreement, "predicted_class": self.predicted_class,
                "confidence": None if self.confidence is None else round(self.confidence, 6),
                "probabilities": None if self.probabilities is None else
                {c: round(v, 6) for c, v in self.probabilities.items()},
                "per_model": self.per_model, "rule": self.rule, "rule_class": self.rule_class}

    def summary(self) -> str:
        """One line for a table: "agree", or which model says what.

        Examples
        --------
        >>> Verdict("disagree", None, None, {"cnn": "normal", "measurements": "history_of_mi"}, "r").summary()
        'disagree: cnn normal, measurements history_of_mi'
        """
        if self.agreement != "disagree":
            return self.agreement
        return "disagree: " + ", ".join(f"{kind} {c}" for kind, c in self.per_model.items())


def combine(aggregate: pd.DataFrame, classes: list[str], rule: VerdictRule | None) -> Verdict:
    """The headline verdict from each model's page probabilities (``AnalysisResult.aggregate``).

    The rule's models that ran are averaged; when none of them ran, every model that did.

    Examples
    --------
    >>> table = pd.DataFrame({"a": [0.9, 0.6], "b": [0.1, 0.4], "predicted_class": ["a", "a"]}, index=["cnn", "crnn"])
    >>> verdict = combine(table, ["a", "b"], None)
    >>> verdict.agreement, verdict.predicted_class, round(verdict.confidence, 2)
    ('agree', 'a', 0.75)
    """
    if aggregate.empty:
        return Verdict("none", None, None, {}, rule.name if rule else "")
    per_model = {str(kind): str(c) for kind, c in aggregate["predicted_class"].items()}
    used = [kind for kind in (rule.models if rule else ()) if kind in aggregate.index] or list(aggregate.index)
    mean = aggregate.loc[used, classes].astype(float).mean(axis=0)
    rule_class = str(mean.idxmax())
    name = rule.name if rule and set(used) == set(rule.models) else rule_name(tuple(used))
    if len(per_model) > 1 and len(set(per_model.values())) > 1:
        return Verdict("disagree", None, None, per_model, name, rule_class)
    agreement = "single" if len(per_model) == 1 else "agree"
    return Verdict(agreement, rule_class, float(mean[rule_class]), per_model, name, rule_class,
                   {c: float(mean[c]) for c in classes})
