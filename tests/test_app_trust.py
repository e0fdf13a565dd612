"""The dashboard's trust features: no verdict for what is not an ECG, the override, real samples, PDF pages and
settings that follow the image (``streamlit.testing.v1.AppTest``, with the trained models in models/)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ecg_pipeline.synth.non_ecg import blank, gradient, noise

from .conftest import ROOT, SAMPLES
from .test_app import chart_keys, metric, page, texts


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


NOT_ECGS = {
    "blank.png": lambda: png(blank()),
    "noise.png": lambda: png(noise(1)),
    "gradient.png": lambda: png(gradient(35)),
    "screenshot.png": lambda: (ROOT / "docs" / "screenshots" / "analyze.png").read_bytes(),  # the dashboard itself
}


@pytest.fixture
def shipped_models(monkeypatch):
    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)


def upload(at, name: str, data: bytes, mime: str = "image/png"):
    at.radio(key="analyze_source").set_value("upload").run()
    at.file_uploader(key="analyze_upload").set_value((name, data, mime)).run()
    return at


@pytest.mark.parametrize("name", list(NOT_ECGS))
def test_an_upload_that_is_not_an_ecg_gets_no_verdict_and_a_reason(shipped_models, name):
    at = upload(page("analyze").run(), name, NOT_ECGS[name]())
    assert not at.exception
    assert "No verdict." in texts(at.error) and "No ECG trace was found" in texts(at.error)
    assert not any(m.label in ("Verdict", "Confidence", "Heart rate") for m in at.metric)
    assert "The models disagree" not in texts(at.markdown)
    assert "median_beats" not in chart_keys(at) and "What the models think" not in texts(at.header)
    at.checkbox(key="analyze_anyway").check().run()
    assert not at.exception
    assert "Analyzed anyway" in texts(at.warning)
    assert any(m.label == "Verdict" for m in at.metric) or "The models disagree" in texts(at.markdown)


def test_the_default_sample_is_real_and_every_model_reads_it_right(shipped_models):
    at = page("analyze").run()
    sample = at.selectbox(key="analyze_sample").value
    manifest = pd.read_csv(SAMPLES / "manifest.csv").set_index("file")
    assert manifest.loc[sample, "origin"] == "real"
    assert "Real image from the project's test split" in texts(at.caption)
    assert "CC BY 4.0" in texts(at.caption)
    assert metric(at, "Verdict") == "Normal" and metric(at, "Models") == "agree"
    assert "real, from the test split" in at.selectbox(key="analyze_sample").format_func(sample)


def test_a_synthetic_sample_read_right_only_by_the_measurements_is_called_a_lesson(shipped_models):
    at = page("analyze").run()
    at.selectbox(key="analyze_sample").select("twelve_lead_normal_1.jpg").run()
    assert "synthetic: drawn by the project" in at.selectbox(key="analyze_sample").format_func(
        "twelve_lead_normal_1.jpg")
    assert "A lesson in domain shift" in texts(at.info)
    assert "The models disagree" in texts(at.markdown)


def test_each_page_of_an_uploaded_pdf_can_be_analysed(shipped_models):
    pages = [Image.open(SAMPLES / name) for name in ("real_twelve_lead_normal_1.jpg",
                                                      "real_twelve_lead_myocardial_infarction_1.jpg")]
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=7.87 * 25.4)
    at = upload(page("analyze").run(), "two.pdf", buffer.getvalue(), "application/pdf")
    assert not at.exception and metric(at, "Verdict") == "Normal"
    at.selectbox(key="analyze_pdf_page").select(2).run()
    assert metric(at, "Verdict") == "Myocardial infarction"


def test_the_analyze_sigma_goes_back_to_its_default_for_a_new_image(shipped_models):
    at = page("analyze").run()
    at.slider(key="analyze_sigma").set_value(3.0).run()
    at.selectbox(key="analyze_sample").select("real_twelve_lead_history_of_mi_1.jpg").run()
    assert at.slider(key="analyze_sigma").value == 1.0
    assert "Sigma was reset to 1 for this image" in texts(at.caption)


def test_a_manual_threshold_does_not_follow_the_explorer_to_another_image(shipped_models):
    at = page("explorer").run()
    at.radio(key="explorer_method").set_value("manual").run()
    at.slider(key="explorer_manual").set_value(30).run()
    at.selectbox(key="explorer_sample").select("real_beat_normal_1.png").run()
    assert not at.exception
    assert at.radio(key="explorer_method").value == "otsu" and at.slider(key="explorer_manual").value == 128
    assert "the threshold method and the manual threshold went back to their defaults" in texts(at.info)
    assert metric(at, "Threshold") != "30.0"


def test_a_blank_trace_in_the_explorer_gets_no_probabilities(shipped_models):
    at = page("explorer").run()
    at.selectbox(key="explorer_sample").select("real_beat_normal_1.png").run()
    at.radio(key="explorer_method").set_value("manual").run()
    at.slider(key="explorer_manual").set_value(5).run()  # nothing is darker than 5: a blank trace
    assert not at.exception
    assert "No probabilities: No ECG trace was found" in texts(at.warning)
