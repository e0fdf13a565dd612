"""Model files and their cards: where they live, what a card holds, and who may write each part of it.

A card is a ``ModelCard``. Its sections each have one writer:

- ``save_trained_card`` (``scripts/train.py``): identity, preprocessing, training, the file's SHA-256. It is the
  only writer of the hash, and it drops every section measured on an earlier model.
- ``write_lead_weighting`` (``scripts/fit_lead_weighting.py``).
- ``write_evaluation`` and ``write_robustness`` (``scripts/evaluate.py``).
- ``write_recipe_cross_validation`` (``scripts/cross_validate.py``).

Every writer but training's refuses a model file that does not match its card, so no script can bless a file
swapped or damaged after training.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..constants import MEASUREMENT_KIND, TWELVE_LEAD
from ..errors import ModelUnavailableError
from . import PROJECT_ROOT
from .data import sha256_of_file

MODELS_DIR = PROJECT_ROOT / "models"
#: Bumped whenever a field is added, removed or changes meaning; a card of another version is refused.
SCHEMA_VERSION = 1


class CardError(ModelUnavailableError):
    """A card that cannot be read, is of another schema version, or does not match its model file."""


@dataclass(frozen=True)
class ModelCard:
    """What is known about one trained model, section by section (see the module's docstring for the writers).

    Examples
    --------
    >>> card = ModelCard(task="beat", model="cnn", classes=["normal"], preprocessing={"sigma": 0.5},
    ...                  training={}, sha256="0" * 64, file_size_bytes=1, versions={}, trained_at="")
    >>> card.sigma, ModelCard.from_dict(card.to_dict()) == card
    (0.5, True)
    """

    # Written by training.
    task: str
    model: str
    classes: list[str]
    preprocessing: dict[str, Any]
    training: dict[str, Any]
    sha256: str
    file_size_bytes: int
    versions: dict[str, str]
    trained_at: str
    leads: list[str] | None = None
    input_shape: list[int] | None = None
    parameters: int | None = None
    #: The measurement model's inputs, in order, and its settings' cross-validation.
    features: list[str] | None = None
    cross_validation: dict[str, Any] | None = None
    # Written by scripts/fit_lead_weighting.py.
    lead_weighting: dict[str, Any] | None = None
    # Written by scripts/evaluate.py.
    evaluation: dict[str, Any] | None = None
    evaluated_at: str | None = None
    robustness: dict[str, Any] | None = None
    # Written by scripts/cross_validate.py.
    recipe_cross_validation: dict[str, Any] | None = None
    recipe_cross_validation_other_seeds: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def sigma(self) -> float:
        """The Gaussian smoothing the model was trained with: evaluate and serve it with the same."""
        return float(self.preprocessing.get("sigma", 1.0))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "the card") -> ModelCard:
        """A card from its JSON, checked: its schema version, no missing and no unknown fields.

        Raises
        ------
        CardError
            With what is wrong and how to regenerate the card.
        """
        if not isinstance(data, dict):
            raise CardError(f"{source} is not a model card (it holds a JSON {type(data).__name__}, not an object). "
                            f"Regenerate it: {regenerate_hint({})}")
        names = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            found = "no schema version" if version is None else f"schema version {version}"
            raise CardError(f"{source} has {found}; this version of the project reads version {SCHEMA_VERSION}. "
                            f"Regenerate it: {regenerate_hint(data)}")
        missing, unknown = sorted(required - set(data)), sorted(set(data) - names)
        if missing or unknown:
            problems = [f"missing {', '.join(missing)}"] * bool(missing) + [f"unknown {', '.join(unknown)}"] * bool(
                unknown)
            raise CardError(f"{source} is not a valid model card ({'; '.join(problems)}). "
                            f"Regenerate it: {regenerate_hint(data)}")
        wrong = [f.name for f in fields(cls) if not _holds(data.get(f.name, _ABSENT), f)]
        if wrong:
            raise CardError(f"{source} is not a valid model card (wrong type: {', '.join(wrong)}). "
                            f"Regenerate it: {regenerate_hint(data)}")
        return cls(**data)


_ABSENT = object()
#: The JSON type each annotation stands for; ``None`` passes only where the field may be ``None``.
_JSON_TYPES = {"str": str, "int": int, "float": (int, float), "list": list, "dict": dict}


def _holds(value: Any, spec: Any) -> bool:
    """Whether a card field's JSON value has the type its annotation names (absent optional fields pass)."""
    if value is _ABSENT:
        return True
    annotation = str(spec.type)
    if value is None:
        return "None" in annotation
    base = annotation.split("[")[0].split(" |")[0]
    return isinstance(value, _JSON_TYPES.get(base, object)) and not (base == "int" and isinstance(value, bool))


def training_command(task: str, kind: str) -> str:
    """The command that trains a model on the shared data."""
    folder = "ecg-images" if task == TWELVE_LEAD else "beat-images"
    return f"python scripts/train.py --task {task} --model {kind} --data ../shared/data/{folder}"


def regenerate_hint(data: dict[str, Any]) -> str:
    data = data if isinstance(data, dict) else {}
    return f"{training_command(data.get('task', '<task>'), data.get('model', '<model>'))}, then scripts/evaluate.py"


def model_path(task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    """The model's file: Keras for the networks, skops for the measurement model."""
    suffix = ".skops" if kind == MEASUREMENT_KIND else ".keras"
    return Path(models_dir or MODELS_DIR) / f"{task}_{kind}{suffix}"


def out_of_fold_path(task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    """Probabilities of the training and validation images, each from a model that never saw it: lead
    probabilities of the networks (``scripts/cross_validate.py``), page probabilities of the measurement model
    (``scripts/train.py --model measurements``)."""
    return Path(models_dir or MODELS_DIR) / f"{task}_{kind}_out_of_fold.npz"


def card_path(task: str, kind: str, models_dir: str | Path | None = None) -> Path:
    return Path(models_dir or MODELS_DIR) / f"{task}_{kind}.json"


def read_card(task: str, kind: str, models_dir: str | Path | None = None) -> ModelCard | None:
    """The card of a model, or ``None`` when there is none.

    Raises
    ------
    CardError
        When the card is not valid JSON, is of another schema version, or lacks a field.
    """
    path = card_path(task, kind, models_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CardError(f"{path.name} is not readable JSON ({exc}). Regenerate it: "
                        f"{regenerate_hint({'task': task, 'model': kind})}") from exc
    return ModelCard.from_dict(data, path.name)


def _write(card: ModelCard, models_dir: str | Path | None) -> Path:
    path = card_path(card.task, card.model, models_dir)
    path.write_text(json.dumps(card.to_dict(), indent=1) + "\n")
    return path


def save_trained_card(card: ModelCard, models_dir: str | Path | None = None) -> ModelCard:
    """Training's writer: a new card for a newly trained file, whose SHA-256 it records. Sections measured on
    the previous model (lead weighting, evaluation, robustness, recipe cross-validation) are not carried over."""
    path = model_path(card.task, card.model, models_dir)
    card = replace(card, sha256=sha256_of_file(path), file_size_bytes=path.stat().st_size)
    _write(card, models_dir)
    return card


def matching_card(task: str, kind: str, models_dir: str | Path | None = None) -> ModelCard:
    """The card of a model whose file is the one its training recorded.

    Raises
    ------
    CardError
        When the card or the file is missing, or the file's SHA-256 is not the card's.
    """
    card = read_card(task, kind, models_dir)
    path = model_path(task, kind, models_dir)
    if card is None or not path.exists():
        raise CardError(f"{path.name} or its card is missing in {path.parent}. Train it: "
                        f"{regenerate_hint({'task': task, 'model': kind})}")
    if sha256_of_file(path) != card.sha256:
        raise CardError(f"{path.name} does not match the SHA-256 its training wrote into {card_path(task, kind).name}:"
                        f" it is corrupted or was replaced. Retrain it: {regenerate_hint(card.to_dict())}")
    return card


def _update(task: str, kind: str, models_dir: str | Path | None, **sections: Any) -> ModelCard:
    card = replace(matching_card(task, kind, models_dir), **sections)
    _write(card, models_dir)
    return card


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_lead_weighting(task: str, kind: str, weighting: dict | None,
                         models_dir: str | Path | None = None) -> ModelCard:
    """``scripts/fit_lead_weighting.py``'s writer (``None`` removes it, to score the leads alone)."""
    return _update(task, kind, models_dir, lead_weighting=weighting)


def write_evaluation(task: str, kind: str, evaluation: dict, models_dir: str | Path | None = None) -> ModelCard:
    """``scripts/evaluate.py``'s writer of the test-split figures."""
    return _update(task, kind, models_dir, evaluation=evaluation, evaluated_at=now())


def write_robustness(task: str, kind: str, robustness: dict, models_dir: str | Path | None = None) -> ModelCard:
    """``scripts/evaluate.py --robustness``'s writer."""
    return _update(task, kind, models_dir, robustness=robustness)


def write_recipe_cross_validation(task: str, kind: str, result: dict, seed: int | None = None,
                                  models_dir: str | Path | None = None) -> ModelCard:
    """``scripts/cross_validate.py``'s writer: the shipped seed's run (``seed=None``), or another seed's, kept
    apart."""
    card = matching_card(task, kind, models_dir)
    if seed is None:
        card = replace(card, recipe_cross_validation=result)
    else:
        card = replace(card, recipe_cross_validation_other_seeds={**card.recipe_cross_validation_other_seeds,
                                                                  str(seed): result})
    _write(card, models_dir)
    return card


def file_matches_card(task: str, kind: str, models_dir: str | Path | None = None) -> bool:
    try:
        matching_card(task, kind, models_dir)
    except CardError:
        return False
    return True


def model_files_stamp(task: str, kind: str, models_dir: str | Path | None = None) -> tuple:
    """Modification time and size of a model's file and card (``None`` for a missing one): it changes when
    the model is retrained or its card rewritten."""
    stamps = []
    for path in (model_path(task, kind, models_dir), card_path(task, kind, models_dir)):
        try:
            stat = path.stat()
            stamps.append((stat.st_mtime_ns, stat.st_size))
        except FileNotFoundError:
            stamps.append(None)
    return tuple(stamps)


def other_seed_cross_validations(card: ModelCard) -> str:
    """The whole recipe's cross-validated macro-F1 with fold networks of other seeds (``scripts/cross_validate.py
    --seed``) as ``"seed 1: 0.750, seed 2: 0.781"``; ``""`` when none was run."""
    runs = card.recipe_cross_validation_other_seeds
    return ", ".join(f"seed {seed}: {run['macro_f1']:.3f}" for seed, run in runs.items())
