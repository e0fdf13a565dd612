"""Trained models, loaded once per process and shared between threads; ``analyze`` runs them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import tf_settings  # must precede TensorFlow
from ..constants import (
    MEASUREMENT_KIND,
    MODEL_KINDS,
    MODEL_TITLES,
    NETWORK_KINDS,
    STANDARD_ORDER,
    TASK_SPECS,
    TWELVE_LEAD,
)
from ..errors import ModelUnavailableError
from ..gate import EvidenceGate, check_evidence
from ..io.cards import ModelCard, card_path, matching_card, model_files_stamp, model_path, training_command
from ..io.loading import ImageSource
from ..measure import Measurements, measure_page
from ..preprocess.digitize import digitize_page
from ..preprocess.pipeline import PipelineResult, run_pipeline
from ..preprocess.trace_quality import LeadQuality, page_quality
from ..threads import KeptThreads
from .aggregation import AGGREGATION_METHOD, WEIGHTED_AGGREGATION_METHOD, LeadWeighting, aggregate_probabilities
from .verdict import Verdict, VerdictRule, combine, read_rule


class LoadedModel:
    """A Keras model with its card; ``predict`` is safe to call from several threads."""

    def __init__(self, task: str, kind: str, model, card: ModelCard | None):
        import tensorflow as tf

        self.task, self.kind, self.model, self.card = task, kind, model, card
        self._lock = threading.Lock()
        self._class_activation = None  # Grad-CAM's graph, built on first use
        # A lead weighting is fitted to one model file's outputs; one left from an earlier model is ignored.
        weighting = card.lead_weighting if card else None
        self.weighting = (LeadWeighting.from_dict(weighting)
                          if weighting and weighting.get("model_sha256") == card.sha256 else None)
        self.aggregation = WEIGHTED_AGGREGATION_METHOD if self.weighting else AGGREGATION_METHOD
        spec = TASK_SPECS[task]
        self._n_leads = len(spec.leads)
        # A compiled graph: eager calls run a recurrent layer step by step in Python (seconds, not ms).
        # No autograph: it would write generated source files into the temp folder, and nothing here needs it.
        self._forward = tf.function(
            lambda images, leads: model([images, leads], training=False),
            input_signature=[tf.TensorSpec((None, *spec.input_shape, 1), tf.float32),
                             tf.TensorSpec((None, self._n_leads), tf.float32)],
            autograph=False,
        )

    def lead_ids(self, n: int) -> np.ndarray:
        return np.eye(self._n_leads, dtype=np.float32)[np.arange(n) % self._n_leads]

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Class probabilities of each lead: inputs (n_leads, H, W) -> (n_leads, n_classes)."""
        images = np.asarray(inputs, dtype=np.float32)[..., None]
        with self._lock:
            probs = self._forward(images, self.lead_ids(len(images)))
        probs = np.asarray(probs, dtype=np.float64)
        return probs / probs.sum(axis=1, keepdims=True)

    def gradcam(self, inputs: np.ndarray, class_index: int) -> np.ndarray:
        """Grad-CAM of one class for each lead: inputs (n_leads, H, W) -> (n_leads, H, W) in [0, 1], where 1 is the
        part of each lead that raised the class's probability most."""
        import tensorflow as tf

        from .gradcam import class_activation_graph, heatmaps

        images = tf.convert_to_tensor(np.asarray(inputs, np.float32)[..., None])
        with self._lock:
            if self._class_activation is None:
                self._class_activation = class_activation_graph(self.model, TASK_SPECS[self.task].input_shape)
            cams = self._class_activation(images, self.lead_ids(len(inputs)), tf.constant(class_index, tf.int32))
        return heatmaps(cams.numpy(), inputs.shape[1:3])

    def aggregate(self, lead_probabilities: np.ndarray) -> np.ndarray:
        """One image's class probabilities from its leads': (n_leads, n_classes) -> (n_classes,). A page without
        every lead (no rhythm strip) gets the mean: the lead weighting was fitted to all of them."""
        if self.weighting is not None and len(lead_probabilities) == self._n_leads:
            return self.weighting.probabilities(lead_probabilities)
        return aggregate_probabilities(lead_probabilities)

    def aggregation_for(self, n_leads: int) -> str:
        """How ``aggregate`` combines ``n_leads`` leads, said honestly when a lead is missing."""
        if self.weighting is not None and n_leads != self._n_leads:
            return (f"{AGGREGATION_METHOD} (the page prints {n_leads} of the {self._n_leads} leads the lead "
                    "weighting was fitted to)")
        return self.aggregation


class MeasurementModel:
    """The measurement model (a scikit-learn classifier of a page's measurements) with its card."""

    aggregation = "clinical measurements of the digitized trace"

    def __init__(self, task: str, kind: str, model, card: ModelCard):
        self.task, self.kind, self.model, self.card = task, kind, model, card
        self.feature_names: list[str] = list(card.features or [])
        self.weighting = None

    def features(self, measurements) -> np.ndarray:
        """One page's measurements as the model's input row (1, n_features)."""
        from .measurement_model import feature_matrix

        return feature_matrix([measurements.features()], self.feature_names)

    def predict_page(self, measurements) -> np.ndarray:
        """Class probabilities of one measured page: (n_classes,)."""
        return np.asarray(self.model.predict_proba(self.features(measurements))[0], dtype=np.float64)

    def explain_page(self, measurements) -> tuple[np.ndarray, pd.DataFrame]:
        """``predict_page``, and what each measurement added to the most likely class (see
        ``measurement_model.contributions``)."""
        from .measurement_model import contributions

        return contributions(self.model, self.features(measurements)[0], self.feature_names)


#: Where ``analyze`` runs the networks beside the measurements.
_network_threads = KeptThreads("networks", 2)
_cache: dict[tuple[str, str, str], tuple[tuple, LoadedModel | MeasurementModel]] = {}
_cache_lock = threading.Lock()


def title(kind: str) -> str:
    """How a model is named for a person: "CNN", "CRNN", "Measurement model"."""
    return MODEL_TITLES.get(kind, kind)


def load_model(task: str, kind: str, models_dir: str | Path | None = None) -> LoadedModel | MeasurementModel:
    """Load (once) the model of ``task`` and ``kind`` after checking its file against its card.

    Raises
    ------
    ModelUnavailableError
        When the file or card is missing, the file's SHA-256 differs from the card's, or Keras cannot
        read it. The message says how to train the model.
    """
    key = (task, kind, str(Path(models_dir).resolve()) if models_dir else "")
    path = model_path(task, kind, models_dir)
    # A model retrained, or a card given a new lead weighting, while the process runs is loaded again.
    stamp = model_files_stamp(task, kind, models_dir)
    with _cache_lock:
        if key in _cache and _cache[key][0] == stamp:
            return _cache[key][1]
        if not path.exists() or not card_path(task, kind, models_dir).exists():
            raise ModelUnavailableError(
                f"No trained {title(kind)} for {TASK_SPECS[task].title}s ({path.name} and its card "
                f"are needed in {path.parent}). Train it with: {training_command(task, kind)}"
            )
        card = matching_card(task, kind, models_dir)  # refuses a file that is not the one training recorded
        try:
            loaded = _read_model(task, kind, path, card)
        except Exception as exc:  # any unreadable file is the same problem for the user
            raise ModelUnavailableError(f"The {title(kind)} file {path.name} cannot be read ({exc}).") from exc
        _cache[key] = (stamp, loaded)
        return loaded


def _read_model(task: str, kind: str, path: Path, card: ModelCard) -> LoadedModel | MeasurementModel:
    if kind == MEASUREMENT_KIND:
        from .measurement_model import load_classifier

        return MeasurementModel(task, kind, load_classifier(path), card)
    tf_settings.import_tensorflow()
    import keras

    return LoadedModel(task, kind, keras.saving.load_model(path, compile=False), card)


def available_models(task: str, models_dir: str | Path | None = None) -> dict[str, str | None]:
    """For each model kind of the task: ``None`` when it loads, else the reason it does not."""
    status: dict[str, str | None] = {}
    for kind in TASK_SPECS[task].model_kinds:
        try:
            load_model(task, kind, models_dir)
            status[kind] = None
        except ModelUnavailableError as exc:
            status[kind] = str(exc)
    return status


def aggregation_name(methods: dict[str, str]) -> str:
    """One name for the models' aggregation methods: the method, or each model's when they differ."""
    if len(set(methods.values())) > 1:
        return "; ".join(f"{title(kind)}: {method}" for kind, method in methods.items())
    return next(iter(methods.values()), AGGREGATION_METHOD)


@dataclass
class AnalysisResult:
    """What ``analyze`` found: the pipeline's stages, the page's measurements and each model's probabilities."""

    pipeline: PipelineResult
    per_lead: pd.DataFrame
    aggregate: pd.DataFrame
    aggregation: str
    task: str
    classes: list[str]
    model_errors: dict[str, str] = field(default_factory=dict)
    #: What each lead added to each class's score, for the models that combine their leads with a lead weighting
    #: (model, lead, one column per class); empty when none does.
    lead_contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The clinical measurements of a 12-lead page (``None`` for a beat).
    measurements: Measurements | None = None
    #: What each measurement added to the measurement model's verdict (``measurement_model.contributions``).
    measurement_contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    rule: VerdictRule | None = None
    #: Whether the image holds an ECG at all; when not (and not ``forced``), no model ran.
    gate: EvidenceGate | None = None
    #: The models ran although the gate refused the image ("Analyze anyway").
    forced: bool = False
    #: How well each lead of a 12-lead page was digitized (``trace_quality.page_quality``; empty for a beat).
    lead_quality: dict[str, LeadQuality] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        """The gate refused the image and no model was run on it."""
        return self.gate is not None and not self.gate.passed and not self.forced

    @property
    def models(self) -> list[str]:
        """The models that ran, in the task's order."""
        return list(self.aggregate.index)

    @property
    def networks(self) -> list[str]:
        """The models that ran and read the lead images (they have per-lead probabilities)."""
        return [kind for kind in self.models if kind in NETWORK_KINDS]

    def verdict(self) -> Verdict:
        """The headline verdict: the verdict rule's combination when the models agree; when they disagree, no
        single class (see ``verdict.combine``)."""
        return combine(self.aggregate, self.classes, self.rule)

    def lead_probabilities(self, model: str) -> pd.DataFrame:
        """Leads x classes table of one network."""
        table = self.per_lead[self.per_lead["model"] == model]
        return table.set_index("lead")[self.classes]


def _run_network(model: LoadedModel, pipeline: PipelineResult, classes: list[str]) -> tuple[np.ndarray, list]:
    """A network's page probabilities, and its per-lead and lead-contribution frames."""
    probs = model.predict(pipeline.model_inputs)
    frame = pd.DataFrame(probs, columns=classes)
    frame.insert(0, "lead", pipeline.lead_names)
    frame.insert(0, "model", model.kind)
    frames = [frame, None]
    if model.weighting is not None and len(probs) == len(TASK_SPECS[model.task].leads):
        contributions = pd.DataFrame(model.weighting.lead_contributions(probs), columns=classes)
        contributions.insert(0, "lead", pipeline.lead_names)
        contributions.insert(0, "model", model.kind)
        frames[1] = contributions
    return model.aggregate(probs), frames


def analyze(image: ImageSource | PipelineResult, task: str = "twelve_lead",
            models: tuple[str, ...] = MODEL_KINDS, sigma: float = 1.0, threshold: str | float = "otsu",
            models_dir: str | Path | None = None, anyway: bool = False, explain: bool = True,
            lead_order: str = STANDARD_ORDER) -> AnalysisResult:
    """Run the pipeline, the ECG-evidence gate and the models on one image.

    Parameters
    ----------
    image : bytes, path, file-like, ndarray, or a ``PipelineResult`` already computed
    task : {"twelve_lead", "beat", "auto"}
    models : model kinds to run ("cnn", "crnn", "measurements"); those the task does not have are skipped
    sigma, threshold, lead_order : see ``run_pipeline``
    anyway : bool
        Run the models even when the gate finds no ECG in the image (the result is marked ``forced``).
    explain : bool
        Compute what each measurement added to the measurement model's verdict (about 5 ms a page); a table of
        predictions does without it.

    Returns
    -------
    AnalysisResult
        ``.pipeline``, ``.gate``, ``.per_lead`` (model, lead, one column per class), ``.aggregate`` (indexed by
        model: one column per class and ``predicted_class``), ``.aggregation``, ``.measurements``,
        ``.lead_quality`` (each lead's digitization confidence). A model that
        cannot be loaded, or a page that cannot be measured, is left out with its reason in ``.model_errors``.
        An image the gate refuses gets no model output (``.refused``), unless ``anyway``.

    Examples
    --------
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> result = analyze(render_twelve_lead_page("normal", seed=0))  # doctest: +SKIP
    >>> result.aggregate["predicted_class"]  # doctest: +SKIP
    """
    pipeline = image if isinstance(image, PipelineResult) else run_pipeline(image, task, sigma, threshold, lead_order)
    spec = TASK_SPECS[pipeline.task]
    classes = list(spec.classes)
    wanted = [k for k in models if k in spec.model_kinds]
    networks = [k for k in wanted if k in NETWORK_KINDS]
    # The networks run while the page is measured: TensorFlow lets go of the GIL, so the two share the cores.
    # When the gate refuses the image, their result (or error) is not waited for.
    running = _network_threads.submit(_run_networks, pipeline, networks, classes, models_dir) if networks else None
    # digitized once: the measurements and each lead's quality read the same traces
    digitized = digitize_page(pipeline) if pipeline.task == TWELVE_LEAD else None
    measurements = measure_page(pipeline, digitized=digitized) if pipeline.task == TWELVE_LEAD else None
    gate = check_evidence(pipeline, measurements)
    lead_quality = page_quality(pipeline, digitized)
    kinds = wanted if gate.passed or anyway else []
    ran = _run_measurement_model(pipeline.task, measurements, models_dir, explain) if MEASUREMENT_KIND in kinds else {}
    if running is not None and kinds:
        ran.update(running.result())
    elif running is not None:
        running.cancel()
    outputs = _collect(kinds, ran, classes, len(pipeline.leads))
    aggregate = pd.DataFrame.from_dict(outputs.aggregate, orient="index", columns=[*classes, "predicted_class"])
    aggregate.index.name = "model"
    return AnalysisResult(pipeline=pipeline, per_lead=_frames(outputs.per_lead, ["model", "lead", *classes]),
                          aggregate=aggregate, aggregation=aggregation_name(outputs.methods), task=pipeline.task,
                          classes=classes, model_errors=outputs.errors,
                          lead_contributions=_frames(outputs.lead_contributions, []),
                          measurements=measurements, measurement_contributions=outputs.measurement_contributions,
                          rule=read_rule(pipeline.task, models_dir), gate=gate, forced=anyway and not gate.passed,
                          lead_quality=lead_quality)


@dataclass
class _ModelOutputs:
    aggregate: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    per_lead: list = field(default_factory=list)
    lead_contributions: list = field(default_factory=list)
    measurement_contributions: pd.DataFrame = field(default_factory=pd.DataFrame)


def _run_networks(pipeline: PipelineResult, kinds: list[str], classes: list[str],
                  models_dir: str | Path | None) -> dict[str, tuple | str]:
    """Each network's ``(model, page probabilities, per-lead frame, lead contributions or None)``, or why it
    cannot be loaded."""
    ran: dict[str, tuple | str] = {}
    for kind in kinds:
        try:
            model = load_model(pipeline.task, kind, models_dir)
        except ModelUnavailableError as exc:
            ran[kind] = str(exc)
            continue
        combined, (frame, contributions) = _run_network(model, pipeline, classes)
        ran[kind] = (model, combined, frame, contributions)
    return ran


def _run_measurement_model(task: str, measurements: Measurements | None, models_dir: str | Path | None,
                           explain: bool) -> dict[str, tuple | str]:
    """The measurement model's ``(model, page probabilities, None, what each measurement added)``, or why it
    gives none."""
    try:
        model = load_model(task, MEASUREMENT_KIND, models_dir)
    except ModelUnavailableError as exc:
        return {MEASUREMENT_KIND: str(exc)}
    if not measurements.measurable:
        return {MEASUREMENT_KIND: f"No measurement verdict: {measurements.missing['page']}."}
    if explain:
        combined, contributions = model.explain_page(measurements)
    else:
        combined, contributions = model.predict_page(measurements), pd.DataFrame()
    return {MEASUREMENT_KIND: (model, combined, None, contributions)}


def _collect(kinds: list[str], ran: dict[str, tuple | str], classes: list[str], n_leads: int) -> _ModelOutputs:
    """The models' outputs (``_run_networks``, ``_run_measurement_model``) in the task's order of ``kinds``; a
    model that could not run keeps its reason."""
    outputs = _ModelOutputs()
    for kind in kinds:
        if isinstance(ran[kind], str):
            outputs.errors[kind] = ran[kind]
            continue
        model, combined, frame, contributions = ran[kind]
        if kind == MEASUREMENT_KIND:
            outputs.measurement_contributions = contributions
            outputs.methods[kind] = model.aggregation
        else:
            outputs.per_lead.append(frame)
            if contributions is not None:
                outputs.lead_contributions.append(contributions)
            outputs.methods[kind] = model.aggregation_for(n_leads)
        outputs.aggregate[kind] = {**dict(zip(classes, combined, strict=True)),
                                   "predicted_class": classes[int(np.argmax(combined))]}
    return outputs


def _frames(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
