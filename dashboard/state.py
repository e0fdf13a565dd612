"""Cached state shared by the pages: models, analyses, the built-in samples and the image input.

Uploaded files stay in memory: the cached functions take the file's bytes (keyed by their SHA-256),
never an ``UploadedFile`` and never a path to a copy on disk.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from ecg_pipeline.constants import BEAT, IMAGE_EXTENSIONS, MODEL_KINDS, STANDARD_ORDER, TASK_SPECS, TASKS, TWELVE_LEAD
from ecg_pipeline.io.cards import CardError, ModelCard, model_files_stamp, read_card

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "data" / "samples"
#: Environment variable naming another models folder (tests point it at an empty or a scratch folder).
MODELS_DIR_VARIABLE = "ECG_MODELS_DIR"
UPLOAD_TYPES: list[str] = [ext.lstrip(".") for ext in IMAGE_EXTENSIONS]
TASK_CHOICES: dict[str, str] = {"auto": "Auto", TWELVE_LEAD: "12-lead page", BEAT: "Single beat"}
SOURCE_CHOICES: dict[str, str] = {"sample": "Built-in sample", "upload": "Upload an image or PDF"}
ORIGIN_LABELS: dict[str, str] = {
    "real": "real, from the test split",
    "synthetic": "synthetic: drawn by the project, unlike anything the models learnt from",
}


def models_dir() -> str | None:
    """The models folder: ``$ECG_MODELS_DIR`` when set, else the project's ``models/`` (``None``)."""
    return os.environ.get(MODELS_DIR_VARIABLE) or None


def models_fingerprint(directory: str | None) -> str:
    """Size and modification time of every model file and card, and of the verdict rules, so caches notice a
    retrained model."""
    from ecg_pipeline.models.verdict import verdict_card_path

    rules = [verdict_card_path(task, directory) for task in TASKS]
    return "|".join([f"{task}_{kind}:{model_files_stamp(task, kind, directory)}"
                     for task in TASKS for kind in TASK_SPECS[task].model_kinds]
                    + [f"{p.name}:{p.stat().st_mtime_ns if p.exists() else None}" for p in rules])


def digest(data: bytes) -> str:
    """SHA-256 of a file's bytes, as hex: the cache key of an image."""
    return hashlib.sha256(data).hexdigest()


def get_model(task: str, kind: str):
    """The trained model of ``task`` and ``kind``, from the library's one model cache (``load_model`` loads it once
    per process, and again when its file or card changes).

    Raises ``ModelUnavailableError`` (its message says how to train the model) when there is none.
    """
    from ecg_pipeline.models.inference import load_model

    return load_model(task, kind, models_dir())


def keep_keras_state_between_runs() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does it so that apps which build a new model on each run do not pile up graphs. Ours load each
    model once per process (``load_model``'s cache) and build nothing per run, while the clear empties
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
    for task in TASKS:
        for kind in TASK_SPECS[task].model_kinds:
            try:
                get_model(task, kind)
            except Exception:  # reported by the analysis that needs the model, with how to fix it
                continue


def read_cards(task: str) -> tuple[dict[str, ModelCard], dict[str, str]]:
    """The task's readable cards, and why the others were refused (invalid JSON, another schema version, a missing
    field), both by model kind, from one read of each card; a missing card is in neither."""
    cards, problems = {}, {}
    for kind in TASK_SPECS[task].model_kinds:
        try:
            card = read_card(task, kind, models_dir())
        except CardError as exc:
            problems[kind] = str(exc)
            continue
        if card:
            cards[kind] = card
    return cards, problems


def verdict_card(task: str) -> dict | None:
    """The task's verdict-rule card (``scripts/fit_verdict_rule.py``), or ``None``."""
    from ecg_pipeline.models.verdict import read_verdict_card

    return read_verdict_card(task, models_dir())


def image_of(data: bytes, page: int = 1):
    """What the pipeline reads: the bytes of an image, or the rendered page of a PDF."""
    from ecg_pipeline.io.loading import is_pdf, pdf_page

    return pdf_page(data, page) if is_pdf(data) else data


# A resource, not data: cache_data would pickle the 29 MB result (every stage's image) on each analysis and copy
# it back on every rerun (125 ms and 21 ms on a printout). Nothing changes an AnalysisResult once made.
@st.cache_resource(show_spinner="Analysing the image...", max_entries=12)
def _analyze(key: str, page: int, task: str, sigma: float, threshold: str | float, anyway: bool, lead_order: str,
             directory: str | None, fingerprint: str, _data: bytes):
    from ecg_pipeline.models.inference import analyze

    return analyze(image_of(_data, page), task=task, sigma=sigma, threshold=threshold, models_dir=directory,
                   anyway=anyway, lead_order=lead_order)


def analyze_bytes(data: bytes, task: str = "auto", sigma: float = 1.0, threshold: str | float = "otsu",
                  anyway: bool = False, page: int = 1, lead_order: str = STANDARD_ORDER):
    """Every stage, the gate and every model's probabilities of one image or PDF page (an ``AnalysisResult``),
    cached by the SHA-256 of ``data`` with the page, the task, the lead order and the settings.

    Raises the pipeline's ``EcgError`` subclasses for images it cannot use.
    """
    directory = models_dir()
    threshold = threshold if isinstance(threshold, str) else float(threshold)
    return _analyze(digest(data), page, task, float(sigma), threshold, anyway, lead_order, directory,
                    models_fingerprint(directory), data)


@st.cache_data(show_spinner=False, max_entries=64)
def _page_count(key: str, _data: bytes) -> int:
    from ecg_pipeline.io.loading import is_pdf, pdf_page_count

    return pdf_page_count(_data) if is_pdf(_data) else 1


def page_count(data: bytes) -> int:
    """Pages of a PDF (1 for an image); a damaged PDF raises ``InvalidImageError``."""
    return _page_count(digest(data), data)


@st.cache_data(show_spinner=False, max_entries=1000)
def _prediction_rows(key: str, task: str, lead_order: str, directory: str | None, fingerprint: str,
                     _data: bytes) -> list[dict]:
    from ecg_pipeline.rows import file_rows

    return file_rows("", _data, task, MODEL_KINDS, models_dir=directory, lead_order=lead_order)


def prediction_rows_bytes(name: str, data: bytes, task: str = "auto", lead_order: str = STANDARD_ORDER) -> list[dict]:
    """The rows of one file, as the command line writes them (``ecg_pipeline.rows.file_rows``), each page of a
    PDF named ``name#page=N``, its 12-lead pages read in ``lead_order``; cached by the file's SHA-256. A bad file's
    rows carry the error."""
    directory = models_dir()
    rows = _prediction_rows(digest(data), task, lead_order, directory, models_fingerprint(directory), data)
    return [{**row, "path": name + row["path"]} for row in rows]


@st.cache_data(show_spinner="Computing Grad-CAM...", max_entries=64)
def _gradcam(key: str, task: str, sigma: float, threshold: str | float, kind: str, class_index: int,
             directory: str | None, fingerprint: str, _inputs):
    return get_model(task, kind).gradcam(_inputs, class_index)


def gradcam_bytes(data: bytes, analysis, kind: str, class_id: str, sigma: float, threshold: str | float,
                  page: int = 1):
    """Grad-CAM heatmaps (n_leads, H, W) of one model for one class, over every lead of the analysis."""
    directory = models_dir()
    threshold = threshold if isinstance(threshold, str) else float(threshold)
    # The lead order changes which crop each lead's input is, not the image's bytes.
    order = analysis.pipeline.layout.lead_order if analysis.pipeline.layout is not None else STANDARD_ORDER
    return _gradcam(f"{digest(data)}#{page}#{order}", analysis.task, float(sigma), threshold, kind,
                    analysis.classes.index(class_id), directory, models_fingerprint(directory),
                    analysis.pipeline.model_inputs)


@st.cache_data(show_spinner=False)
def builtin_samples() -> list[dict]:
    """The built-in samples from ``data/samples/manifest.csv`` (real ones first): file, task, class, origin,
    source, licence and a label that says where the image comes from."""
    manifest = pd.read_csv(SAMPLES_DIR / "manifest.csv", dtype=str, keep_default_na=False)
    samples = []
    for row in manifest.to_dict("records"):
        spec = TASK_SPECS[row["task"]]
        kind = spec.title
        number = Path(row["file"]).stem.rsplit("_", 1)[-1]
        samples.append({**row, "label": f"{kind}: {spec.display_names[row['class']]} #{number} "
                                        f"({ORIGIN_LABELS[row['origin']]})"})
    return sorted(samples, key=lambda s: s["origin"] != "real")


def sample_of(file: str | None) -> dict | None:
    """The built-in sample of that file name, or ``None`` for an upload."""
    return next((s for s in builtin_samples() if s["file"] == file), None)


def class_example(task: str, class_id: str) -> dict | None:
    """The first real built-in sample of a class (``None`` when it has none)."""
    return next((s for s in builtin_samples() if s["task"] == task and s["class"] == class_id
                 and s["origin"] == "real"), None)


@st.cache_data(show_spinner=False, max_entries=16)
def thumbnail(file: str, width: int) -> np.ndarray:
    """A built-in sample shrunk to ``width`` pixels: what the page shows, and no more, goes to the browser."""
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.render import preview

    return preview(load_image(sample_bytes(file)), width)


def attribution(sample: dict) -> str:
    """The credit a real sample's licence asks for."""
    return (f"Real image from the project's test split: {sample['source']}; licence {sample['licence']}. "
            f"Original file {sample['original_file']}" + (", patient fields blanked." if sample["task"] ==
                                                          TWELVE_LEAD else "."))


@st.cache_data(show_spinner=False, max_entries=64)
def sample_bytes(file: str) -> bytes:
    """The bytes of one built-in sample."""
    return (SAMPLES_DIR / Path(file).name).read_bytes()


def handoff_key(key: str) -> str:
    """The session key another page puts ``(name, bytes)`` under for ``image_input(key)`` to show (the Model
    comparison's 'Open in Analyze'); it stays, in memory, until the user clears it."""
    return f"{key}_handoff"


def image_input(key: str) -> tuple[str | None, bytes | None]:
    """Choose a built-in sample or upload an image or PDF; returns ``(name, bytes)`` or ``(None, None)``.
    An image handed over by another page (``handoff_key``) comes first, with a button to choose another.

    The upload is read into memory and never written to disk.
    """
    handed = st.session_state.get(handoff_key(key))
    if handed is not None:
        st.caption(f"From the model comparison: {handed[0]}")
        # a callback, so that the run it starts no longer sees the hand-off
        st.button("Choose another image", key=f"{key}_handoff_clear", icon=":material/close:",
                  on_click=st.session_state.pop, args=(handoff_key(key), None))
        return handed
    source = st.radio("Image source", list(SOURCE_CHOICES), format_func=SOURCE_CHOICES.get, horizontal=True,
                      key=f"{key}_source")
    if source == "upload":
        uploaded = st.file_uploader("ECG image", type=UPLOAD_TYPES, key=f"{key}_upload",
                                    help="The image stays in memory for this session; it is never stored.")
        if uploaded is None:
            st.info("Upload a 12-lead report page or a single-beat image (JPEG, PNG, BMP, TIFF, WebP, GIF or PDF).")
            return None, None
        return uploaded.name, uploaded.getvalue()
    samples = {sample["file"]: sample for sample in builtin_samples()}
    file = st.selectbox("Built-in sample", list(samples), format_func=lambda f: samples[f]["label"],
                        key=f"{key}_sample",
                        help="Real images from the test split (the models never saw them), and synthetic ones "
                        "drawn by the project (scripts/make_samples.py) as the class in their name.")
    if samples[file]["origin"] == "real":
        st.caption(attribution(samples[file]))
    return file, sample_bytes(file)


def settings_follow_image(prefix: str, image_key: str, defaults: dict[str, object]) -> list[str]:
    """Reset the settings that were meant for another image when the image (or task, or page) changes.

    Call before the settings' widgets are drawn. Returns the settings that were reset (empty when none was),
    so that the page can say so.
    """
    seen = f"{prefix}_image_key"
    previous = st.session_state.get(seen)
    st.session_state[seen] = image_key
    if previous is None or previous == image_key:
        return []
    reset = [name for name, value in defaults.items() if name in st.session_state and st.session_state[name] != value]
    for name in reset:
        st.session_state[name] = defaults[name]
    return reset


def page_input(key: str, data: bytes | None) -> int:
    """The page to analyse: 1 for an image, a choice for a PDF of several pages."""
    if data is None:
        return 1
    pages = page_count(data)
    if pages == 1:
        return 1
    return int(st.selectbox(f"Page of the PDF (it has {pages})", list(range(1, pages + 1)), key=f"{key}_pdf_page"))
