"""The digitizer measured against a known signal (the SNR itself, and the digitizer's SNR on a synthetic page), and
the confidence each lead of any page carries, with its advice, through the analysis and the command line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ecg_pipeline.constants import LEAD_NAMES
from ecg_pipeline.models.inference import analyze
from ecg_pipeline.preprocess.pipeline import run_pipeline
from ecg_pipeline.preprocess.trace_quality import (
    LOW_CONFIDENCE,
    LeadQuality,
    coverage,
    low_confidence_leads,
    page_quality,
    quality_advice,
    quality_summary,
    snr_db,
)
from ecg_pipeline.synth.fidelity import page_fidelity

from .conftest import SAMPLES

T = np.arange(2500) / 500


def test_snr_follows_the_noise_power():
    truth = np.sin(2 * np.pi * 1.0 * T) + 0.5 * np.sin(2 * np.pi * 3.0 * T)
    noise = np.random.default_rng(0).normal(0, 1, T.size)
    for ratio_db in (5.0, 20.0):
        scaled = noise * np.sqrt(np.sum(truth ** 2) / np.sum(noise ** 2) / 10 ** (ratio_db / 10))
        assert abs(snr_db(truth, truth + scaled, max_shift_s=0) - ratio_db) < 0.2
    assert snr_db(truth, truth) == np.inf


def test_snr_forgives_a_small_shift_and_an_offset_but_not_a_wrong_gain():
    truth = np.sin(2 * np.pi * 1.3 * T) ** 9  # spiky, like R waves
    late = np.roll(truth, 15) + 0.4  # 30 ms late and raised
    assert snr_db(truth, late) > 40
    assert snr_db(truth, late, max_shift_s=0.01) < 15  # beyond the shift searched
    assert snr_db(truth, 1.5 * truth) < 10


def test_snr_reads_only_the_samples_both_have():
    truth = np.sin(2 * np.pi * T)
    digitized = truth.copy()
    digitized[:1000] = np.nan
    assert snr_db(truth, digitized) == np.inf and coverage(truth, digitized) == 0.6
    assert np.isnan(snr_db(truth, np.full_like(truth, np.nan)))


def test_a_clean_synthetic_page_is_digitized_close_to_what_it_printed():
    rows = page_fidelity("myocardial_infarction", seed=1)
    snr = np.array([r["snr_db"] for r in rows])
    assert np.isfinite(snr).all() and np.median(snr) > 15 and snr.min() > 10
    assert min(r["coverage"] for r in rows) > 0.8


# --- Per-lead confidence and its advice ------------------------------------------------------------------------

GOOD = LeadQuality(coverage=0.99, continuity=1.0, overlap=0.0)


def advised_leads(advice: str) -> list[str]:
    """The lead names an advice sentence gives, from its "Lead(s) ... was/were read" subject."""
    subject = re.match(r"(?:Leads?|The) (.+?) (?:was|were) read with low confidence", advice).group(1)
    return [name.strip() for name in re.split(r",| and ", subject.replace("the rhythm strip", "rhythm"))]


def test_the_advice_names_exactly_the_leads_under_the_threshold():
    quality = {name: GOOD for name in LEAD_NAMES}
    assert quality_advice(quality) is None and "All 13 leads" in quality_summary(quality)
    quality["V1"] = LeadQuality(coverage=0.6, continuity=0.7, overlap=0.0)  # 0.42
    quality["aVL"] = LeadQuality(coverage=1.0, continuity=1.0, overlap=0.45)  # 0.55: a neighbour crossing in
    quality["V2"] = LeadQuality(coverage=0.62, continuity=1.0, overlap=0.0)  # 0.62: just above, not named
    advice = quality_advice(quality)
    assert advised_leads(advice) == ["aVL", "V1"]  # in the page's order
    assert advice.startswith("Leads aVL, V1 were read with low confidence (0.55, 0.42): retake the photo")
    assert quality_summary(quality) == advice
    quality["rhythm"] = LeadQuality(coverage=0.3, continuity=1.0, overlap=0.0)
    assert advised_leads(quality_advice(quality)) == ["aVL", "V1", "rhythm"]
    only_strip = quality_advice({"II": GOOD, "rhythm": quality["rhythm"]})
    assert only_strip.startswith("The rhythm strip was read with low confidence (0.30)")


@pytest.fixture(scope="module")
def wiped_page():
    """A real printout with the middle third of leads V1 and V3 painted white (as a shadow or a fold would hide
    them), and the clean page."""
    from ecg_pipeline.io.loading import load_image

    clean = load_image(SAMPLES / "real_twelve_lead_normal_1.jpg")
    boxes = run_pipeline(clean).layout.boxes
    wiped = clean.copy()
    for name in ("V1", "V3"):
        top, bottom, left, right = boxes[name]
        third = (right - left) // 3
        wiped[top:bottom, left + third:right - third] = 255
    return clean, wiped


def test_the_analysis_carries_each_leads_quality_and_names_the_wiped_ones(wiped_page):
    clean, wiped = wiped_page
    before, after = (analyze(page, models=()) for page in wiped_page)
    assert before.lead_quality == page_quality(before.pipeline)  # one code path: the analysis computes it
    assert list(before.lead_quality) == before.pipeline.lead_names == list(LEAD_NAMES)
    assert min(q.confidence for q in before.lead_quality.values()) >= LOW_CONFIDENCE
    assert quality_advice(before.lead_quality) is None
    low = low_confidence_leads(after.lead_quality)
    assert list(low) == ["V1", "V3"]
    assert all(after.lead_quality[name] == before.lead_quality[name] for name in LEAD_NAMES if name not in low)
    assert advised_leads(quality_advice(after.lead_quality)) == ["V1", "V3"]


def test_a_beat_has_no_lead_quality():
    beat = analyze(SAMPLES / "beat_normal_1.png", task="beat", models=())
    assert beat.lead_quality == {}


def test_the_command_line_warns_about_the_wiped_leads(wiped_page, tmp_path, capsys):
    from PIL import Image

    from ecg_pipeline import cli

    for name, page in zip(("clean", "wiped"), wiped_page, strict=True):
        Image.fromarray(page).save(tmp_path / f"{name}.png")
    assert cli.main(["digitize", str(tmp_path / "clean.png"), "--out", str(tmp_path / "out")]) == 0
    assert "low confidence" not in capsys.readouterr().err
    assert cli.main(["digitize", str(tmp_path / "wiped.png"), "--out", str(tmp_path / "out")]) == 0
    warning = capsys.readouterr().err
    assert warning.startswith(f"warning: {tmp_path / 'wiped.png'}: ")
    assert advised_leads(warning.split("wiped.png: ", 1)[1]) == ["V1", "V3"]
    assert (tmp_path / "out" / "wiped.csv").is_file()  # written all the same
    assert cli.main(["stages", str(tmp_path / "wiped.png"), "--out", str(tmp_path / "stages")]) == 0
    assert "Leads V1, V3 were read with low confidence" in capsys.readouterr().err
