"""The ECG-evidence gate: what is not an ECG gets no verdict, with a reason; real ECGs pass."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ecg_pipeline.gate import MISPLACED_COLUMNS, evidence_of, refusals, twelve_lead_evidence
from ecg_pipeline.io.loading import load_image
from ecg_pipeline.measure import measure_page
from ecg_pipeline.models.inference import analyze
from ecg_pipeline.preprocess.distortions import distort
from ecg_pipeline.preprocess.pipeline import run_pipeline
from ecg_pipeline.synth.non_ecg import non_ecg_corpus

from .conftest import SAMPLES, SHARED_DATA
from .test_cli import run_cli

CORPUS = non_ecg_corpus()


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 25
    sizes = {make().shape[:2] for make in CORPUS.values()}
    assert len(sizes) >= 5


@pytest.mark.parametrize("name", list(CORPUS))
def test_an_image_that_is_not_an_ecg_is_refused(name):
    image = CORPUS[name]()
    for task in ("auto", "twelve_lead" if image.shape[1] >= 600 else "beat"):
        gate = evidence_of(image, task)
        assert not gate.passed, (name, task)
        assert gate.message.startswith(("No ECG trace was found: ", "The leads could not be placed"))


@pytest.mark.parametrize("row", pd.read_csv(SAMPLES / "manifest.csv").to_dict("records"), ids=lambda r: r["file"])
def test_every_built_in_sample_passes(row):
    gate = evidence_of(SAMPLES / row["file"], row["task"])
    assert gate.passed, gate.message


def test_a_refused_image_gets_no_model_output_and_the_override_marks_it():
    blank = CORPUS["blank white page"]()
    refused = analyze(blank, task="auto")
    assert refused.refused and refused.aggregate.empty and refused.verdict().agreement == "none"
    assert refused.gate.reason == "no_layout"
    forced = analyze(blank, task="auto", anyway=True)
    assert forced.forced and not forced.refused and len(forced.models) >= 2


def test_lead_columns_are_placed_right_under_a_shadow():
    """Under the moderate lighting distortion the columns used to shift one to the right on 7 % of pages."""
    manifest = pd.read_csv(SAMPLES / "manifest.csv")
    pages = manifest[(manifest.origin == "real") & (manifest.task == "twelve_lead")]["file"]
    for file in pages:
        page = load_image(SAMPLES / file)
        clean = run_pipeline(page).layout.boxes
        for seed in range(4):
            shaded = run_pipeline(distort(page, "lighting", "moderate", np.random.default_rng(seed)))
            assert all(abs(shaded.layout.boxes[name][2] - clean[name][2]) <= 4 for name in clean), (file, seed)
            assert evidence_of(distort(page, "lighting", "moderate", np.random.default_rng(seed))).passed


def test_columns_the_layout_could_not_place_give_no_verdict():
    result = run_pipeline(SAMPLES / "real_twelve_lead_normal_1.jpg")
    measurements = measure_page(result)
    result.layout.warnings.append(MISPLACED_COLUMNS)
    gate = twelve_lead_evidence(result, measurements)
    assert not gate.passed and gate.reason == "misplaced_leads"
    assert gate.message.startswith("The leads could not be placed reliably")


def test_a_beat_image_needs_one_line_across_it():
    short = np.full((128, 192), 255, np.uint8)
    short[64, 20:80] = 0  # a line over a third of the width
    assert not evidence_of(short, "beat").passed
    long = short.copy()
    long[64, 20:170] = 0
    assert evidence_of(long, "beat").passed
    assert not evidence_of(np.full((128, 192), 255, np.uint8), "beat").passed


def test_the_command_line_writes_not_an_ecg_rows_and_fails(tmp_path):
    path = tmp_path / "blank.png"
    Image.fromarray(CORPUS["blank white page"]()).save(path)
    done = run_cli("predict", str(path))
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and all(r["error"].startswith("not an ECG: No ECG trace was found") for r in rows)
    assert all(r["predicted_class"] == "" for r in rows)
    forced = run_cli("predict", str(path), "--analyze-anyway", "--model", "both")
    rows = list(csv.DictReader(io.StringIO(forced.stdout)))
    assert forced.returncode == 0, forced.stdout
    assert all(r["warnings"].startswith("Analyzed anyway") for r in rows)
    assert all(r["predicted_class"] for r in rows if r["model"] in ("cnn", "crnn"))


@pytest.mark.shared
@pytest.mark.slow
def test_no_shared_printout_and_few_shared_beats_are_refused():
    from ecg_pipeline.io.data import find_images

    if not (SHARED_DATA / "ecg-images").exists():
        pytest.skip("../shared/data is not here")
    pages = refusals(find_images(SHARED_DATA / "ecg-images"), "twelve_lead")
    assert sum(bool(m) for m in pages) == 0, [m for m in pages if m][:3]
    beats = refusals(find_images(SHARED_DATA / "beat-images"), "beat")
    assert sum(bool(m) for m in beats) <= 0.005 * len(beats)
