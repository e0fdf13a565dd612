"""Cached state shared by the pages: models, analyses, the built-in samples and the image input.

Uploaded files stay in memory: the cached functions take the file's bytes (keyed by their SHA-256),
never an ``UploadedFile`` and never a path to a copy on disk.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from ecg_pipeline.cards import model_files_stamp, read_card
from ecg_pipeline.constants import IMAGE_EXTENSIONS, MODEL_KINDS, TASK_SPECS, TASKS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "data" / "samples"
#: Environment variable naming another models folder (tests point it at an empty or a scratch folder).
MODELS_DIR_VARIABLE = "ECG_MODELS_DIR"
UPLOAD_TYPES: list[str] = [ext.lstrip(".") for ext in IMAGE_EXTENSIONS]
TASK_CHOICES: dict[str, str] = {"auto": "Auto", "twelve_lead": "12-lead page", "beat": "Single beat"}
SOURCE_CHOICES: dict[str, str] = {"sample": "Built-in sample (synthetic)", "upload": "Upload an image"}


def models_dir() -> str | None:
    """The models folder: ``$ECG_MODELS_DIR`` when set, else the project's ``models/`` (``None``)."""
    return os.environ.get(MODELS_DIR_VARIABLE) or None


def models_fingerprint(directory: str | None) -> str:
    """Size and modification time of every model file and card, so caches notice a retrained model."""
    return "|".join(f"{task}_{kind}:{model_files_stamp(task, kind, directory)}"
                    for task in TASKS for kind in MODEL_KINDS)


def digest(data: bytes) -> str:
    """SHA-256 of a file's bytes, as hex: the cache key of an image."""
    return hashlib.sha256(data).hexdigest()


@st.cache_resource(show_spinner="Loading the model...")
def _load_model(task: str, kind: str, directory: str | None, fingerprint: str):
    from ecg_pipeline.inference import load_model

    return load_model(task, kind, directory)


def get_model(task: str, kind: str):
    """The trained model of ``task`` and ``kind``, loaded once per process.

    Raises ``ModelUnavailableError`` (its message says how to train the model) when there is none.
    """
    directory = models_dir()
    return _load_model(task, kind, directory, models_fingerprint(directory))


def keep_keras_state_between_runs() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does it so that apps which build a new model on each run do not pile up graphs. Ours load each
    model once per process (``st.cache_resource``) and build nothing per run, while the clear empties
    TensorFlow's kernel cache: measured, the next analysis took 0.35 s instead of 0.09 s and the CRNN's
    Grad-CAM 0.82 s instead of 0.08 s, on every run. Streamlit has no setting for it; if a later version
    drops the hook, this does nothing.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _keep_keras_state


def _keep_keras_state() -> None:
    """Stands in for Streamlit's per-run clean-up: nothing here needs cleaning."""


def warm_models() -> None:
    """Load every trained model now (once per process), so that a first upload does not wait for them.

    Missing or broken models are skipped here; the analysis reports them where it needs them.
    """
    from ecg_pipeline.constants import MODEL_KINDS, TASKS

    for task in TASKS:
        for kind in MODEL_KINDS:
            try:
                get_model(task, kind)
            except Exception:  # reported by the analysis that needs the model, with how to fix it
                continue


def model_cards(task: str) -> dict[str, dict]:
    """The cards of the task's models that have one, by model kind."""
    directory = models_dir()
    cards = {kind: read_card(task, kind, directory) for kind in MODEL_KINDS}
    return {kind: card for kind, card in cards.items() if card}


@st.cache_data(show_spinner="Analysing the image...", max_entries=12)
def _analyze(key: str, task: str, sigma: float, threshold: str | float, directory: str | None,
             fingerprint: str, _data: bytes):
    from ecg_pipeline.inference import analyze

    return analyze(_data, task=task, sigma=sigma, threshold=threshold, models_dir=directory)


def analyze_bytes(data: bytes, task: str = "auto", sigma: float = 1.0, threshold: str | float = "otsu"):
    """Every stage and both models' probabilities of one image (an ``AnalysisResult``), cached by the
    SHA-256 of ``data`` with the task and the settings.

    Raises the pipeline's ``EcgError`` subclasses for images it cannot use.
    """
    directory = models_dir()
    threshold = threshold if isinstance(threshold, str) else float(threshold)
    return _analyze(digest(data), task, float(sigma), threshold, directory, models_fingerprint(directory),
                    data)


@st.cache_data(show_spinner=False, max_entries=1000)
def _predict(key: str, task: str, directory: str | None, fingerprint: str, _data: bytes) -> dict:
    from ecg_pipeline.inference import analyze

    result = analyze(_data, task=task, models_dir=directory)
    return {"task": result.task, "task_reason": result.pipeline.task_reason, "classes": result.classes,
            "aggregate": result.aggregate, "model_errors": result.model_errors,
            "warnings": list(result.pipeline.warnings)}


def predict_bytes(data: bytes, task: str = "auto") -> dict:
    """The small part of an analysis that batch scoring and the gallery need (no stage images):
    ``task``, ``task_reason``, ``classes``, ``aggregate``, ``model_errors``, ``warnings``."""
    directory = models_dir()
    return _predict(digest(data), task, directory, models_fingerprint(directory), data)


@st.cache_data(show_spinner="Computing Grad-CAM...", max_entries=64)
def _gradcam(key: str, task: str, sigma: float, threshold: str | float, kind: str, class_index: int,
             directory: str | None, fingerprint: str, _inputs):
    from ecg_pipeline.gradcam import gradcam_heatmaps

    return gradcam_heatmaps(_load_model(task, kind, directory, fingerprint), _inputs, class_index)


def gradcam_bytes(data: bytes, analysis, kind: str, class_id: str, sigma: float, threshold: str | float):
    """Grad-CAM heatmaps (n_leads, H, W) of one model for one class, over every lead of the analysis."""
    directory = models_dir()
    threshold = threshold if isinstance(threshold, str) else float(threshold)
    return _gradcam(digest(data), analysis.task, float(sigma), threshold, kind, analysis.classes.index(class_id),
                    directory, models_fingerprint(directory), analysis.pipeline.model_inputs)


@st.cache_data(show_spinner=False)
def builtin_samples() -> list[dict]:
    """The built-in samples from ``data/samples/manifest.csv``: file, task, class and a label that says
    they are synthetic."""
    manifest = pd.read_csv(SAMPLES_DIR / "manifest.csv")
    samples = []
    for row in manifest.to_dict("records"):
        spec = TASK_SPECS[row["task"]]
        kind = "12-lead page" if row["task"] == "twelve_lead" else "single beat"
        number = Path(row["file"]).stem.rsplit("_", 1)[-1]
        samples.append({"file": row["file"], "task": row["task"], "class": row["class"],
                        "label": f"{kind}: {spec.display_names[row['class']]} #{number} (synthetic)"})
    return samples


@st.cache_data(show_spinner=False, max_entries=64)
def sample_bytes(file: str) -> bytes:
    """The bytes of one built-in sample."""
    return (SAMPLES_DIR / Path(file).name).read_bytes()


def image_input(key: str) -> tuple[str | None, bytes | None]:
    """Choose a built-in sample or upload an image; returns ``(name, bytes)`` or ``(None, None)``.

    The upload is read into memory and never written to disk.
    """
    source = st.radio("Image source", list(SOURCE_CHOICES), format_func=SOURCE_CHOICES.get, horizontal=True,
                      key=f"{key}_source")
    if source == "upload":
        uploaded = st.file_uploader("ECG image", type=UPLOAD_TYPES, key=f"{key}_upload",
                                    help="The image stays in memory for this session; it is never stored.")
        if uploaded is None:
            st.info("Upload a 12-lead report page or a single-beat image (JPEG, PNG, BMP, TIFF, WebP or GIF).")
            return None, None
        return uploaded.name, uploaded.getvalue()
    samples = {sample["file"]: sample for sample in builtin_samples()}
    file = st.selectbox("Built-in sample", list(samples), format_func=lambda f: samples[f]["label"],
                        key=f"{key}_sample",
                        help="Synthetic images generated by the project (scripts/make_samples.py), each drawn "
                        "as the class in its name. Not patient data.")
    return file, sample_bytes(file)


@st.cache_data(show_spinner="Digitizing the traces...", max_entries=12)
def _digitized(key: str, task: str, sigma: float, threshold: str | float, _pipeline):
    from ecg_pipeline.digitize import digitize_page

    return digitize_page(_pipeline)


def digitized_bytes(data: bytes, analysis, sigma: float, threshold: str | float):
    """Calibrated traces (mV over s) and heart rate of a 12-lead analysis, or ``None`` for a single beat."""
    threshold = threshold if isinstance(threshold, str) else float(threshold)
    return _digitized(digest(data), analysis.task, float(sigma), threshold, analysis.pipeline)
