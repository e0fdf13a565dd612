"""The synthetic ECGs: reproducible, the right size, split correctly by the pipeline, with class features."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import find_peaks

from ecg_pipeline.constants import BEAT, LEAD_NAMES, RHYTHM_LEAD, TASK_SPECS, TWELVE_LEAD
from ecg_pipeline.preprocess.pipeline import run_pipeline
from ecg_pipeline.synth import (
    BEAT_IMAGE_SIZE,
    TERRITORIES,
    TWELVE_LEADS,
    describe_record,
    render_beat_image,
    render_twelve_lead_page,
    simulate_beat,
    simulate_twelve_lead,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
FS = 500
# Half the reference page: enough for the layout, and fast.
SMALL_PAGE = (1106, 786)


def r_peaks(signals: dict[str, np.ndarray], fs: int = FS) -> np.ndarray:
    """Sample indices of the QRS complexes: where the slope summed over all leads is steepest."""
    slope = sum(np.abs(np.diff(signals[name])) for name in TWELVE_LEADS)
    energy = np.convolve(slope, np.ones(int(0.04 * fs)) / (0.04 * fs), mode="same")
    peaks, _ = find_peaks(energy, distance=int(0.3 * fs), height=0.4 * energy.max())
    return peaks


def st_deviation(signals: dict[str, np.ndarray], leads: tuple[str, ...], fs: int = FS) -> float:
    """Mean ST level 80 ms after the QRS, against the PR segment, over ``leads`` (mV)."""
    peaks = r_peaks(signals, fs)
    peaks = peaks[(peaks > 0.2 * fs) & (peaks < len(signals["II"]) - 0.2 * fs)]
    levels = [signals[name][peaks + int(0.08 * fs)] - signals[name][peaks - int(0.07 * fs)] for name in leads]
    return float(np.mean(levels))


def rr_variation(ecg_class: str, seed: int) -> float:
    peaks = r_peaks(simulate_twelve_lead(ecg_class, seed=seed))
    rr = np.diff(peaks) / FS
    return float(np.std(rr) / np.mean(rr))


def test_rendering_is_deterministic_for_a_seed():
    a = render_twelve_lead_page("normal", seed=5, width=SMALL_PAGE[0], height=SMALL_PAGE[1])
    b = render_twelve_lead_page("normal", seed=5, width=SMALL_PAGE[0], height=SMALL_PAGE[1])
    c = render_twelve_lead_page("normal", seed=6, width=SMALL_PAGE[0], height=SMALL_PAGE[1])
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(render_beat_image("left_bundle_branch_block", seed=3),
                          render_beat_image("left_bundle_branch_block", seed=3))


@pytest.mark.parametrize("size", [(2213, 1572), (1000, 700)])
def test_page_has_the_requested_size(size):
    page = render_twelve_lead_page("history_of_mi", seed=1, width=size[0], height=size[1])
    assert page.shape == (size[1], size[0], 3)
    assert page.dtype == np.uint8


def test_drawn_pages_have_the_scale_of_the_printouts_and_the_pipeline_measures_it():
    from ecg_pipeline.constants import REFERENCE_PX_PER_MM
    from ecg_pipeline.synth import px_per_mm

    assert px_per_mm() == pytest.approx(REFERENCE_PX_PER_MM, rel=0.005)
    page = render_twelve_lead_page("normal", seed=0, width=1600, height=1137)
    assert run_pipeline(page).px_per_mm == pytest.approx(px_per_mm(1600), rel=0.01)


def test_beat_image_is_a_grayscale_192_by_128_image():
    image = render_beat_image("ventricular_fibrillation", seed=0)
    assert image.shape == (BEAT_IMAGE_SIZE[1], BEAT_IMAGE_SIZE[0], 3) == (128, 192, 3)
    assert np.array_equal(image[:, :, 0], image[:, :, 1])
    assert image.min() < 100 and np.median(image) == 255


def test_unknown_class_is_refused():
    with pytest.raises(ValueError, match="normal"):
        simulate_twelve_lead("not_a_class")
    with pytest.raises(ValueError, match="normal"):
        render_beat_image("not_a_class")


def test_samples_are_real_and_synthetic_recorded_and_small():
    from ecg_pipeline.io.data import read_split, sha256_of_file

    with open(SAMPLES / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for task in (TWELVE_LEAD, BEAT):
        test_split = set(read_split(task).query("split == 'test'")["sha256"])
        for origin in ("real", "synthetic"):
            mine = [row for row in rows if row["task"] == task and row["origin"] == origin]
            assert sorted({row["class"] for row in mine}) == sorted(TASK_SPECS[task].classes)
            assert all(sum(r["class"] == c for r in mine) == 2 for c in TASK_SPECS[task].classes)
        for row in (r for r in rows if r["task"] == task and r["origin"] == "real"):
            assert row["original_sha256"] in test_split  # never an image the models were fitted on
            assert row["licence"].startswith(("CC BY 4.0", "ODC-By 1.0")) and "doi:" in row["source"]
    for row in rows:
        assert sha256_of_file(SAMPLES / row["file"]) == row["sha256"], row["file"]
        if row["origin"] == "synthetic":
            assert row["generator"] == "ecg_pipeline.synth"
    total = sum(path.stat().st_size for path in SAMPLES.rglob("*") if path.is_file())
    assert total < 8 * 1024 * 1024


def test_real_printouts_have_their_patient_fields_blanked():
    from ecg_pipeline.io.privacy import patient_areas
    from ecg_pipeline.preprocess.pipeline import run_pipeline as pipeline

    with open(SAMPLES / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["origin"] == "real" and r["task"] == TWELVE_LEAD]
    for row in rows:
        result = pipeline(SAMPLES / row["file"])
        for top, bottom, left, right in patient_areas(result.original.shape, result.layout.grid_box):
            assert result.original[top:bottom, left:right].min() >= 235, row["file"]  # paper, up to JPEG ringing


@pytest.mark.parametrize("ecg_class", TASK_SPECS[TWELVE_LEAD].classes)
def test_pipeline_splits_a_rendered_page_into_13_leads(ecg_class):
    page = render_twelve_lead_page(ecg_class, seed=7, width=SMALL_PAGE[0], height=SMALL_PAGE[1])
    result = run_pipeline(page, task="auto")
    assert result.task == TWELVE_LEAD
    assert result.layout_confidence >= 0.9, result.layout.warnings
    assert result.lead_names == list(LEAD_NAMES)
    # Each row's box holds that row's baseline (463, 764, 1066, 1368 px on a 1572 px page).
    scale = SMALL_PAGE[1] / 1572
    for name, baseline in (("I", 463), ("II", 764), ("III", 1066), (RHYTHM_LEAD, 1368)):
        top, bottom, _, _ = result.layout.boxes[name]
        assert top < baseline * scale < bottom


def test_pipeline_reads_a_beat_image_as_a_beat():
    result = run_pipeline(render_beat_image("normal", seed=0), task="auto")
    assert result.task == BEAT and len(result.leads) == 1


def test_simulated_record_has_every_lead():
    ecg = simulate_twelve_lead("normal", seed=0)
    assert set(ecg) == set(LEAD_NAMES)
    assert all(signal.shape == (10 * FS,) for signal in ecg.values())
    assert np.array_equal(ecg[RHYTHM_LEAD], ecg["II"])
    # Einthoven: III = II - I, and aVR points away from the heart's axis.
    assert np.allclose(ecg["III"] - ecg["II"] + ecg["I"], 0.0, atol=0.2)
    peaks = r_peaks(ecg)
    assert ecg["aVR"][peaks].mean() < 0 < ecg["II"][peaks].mean()
    assert ecg["V1"][peaks].mean() < ecg["V5"][peaks].mean()


@pytest.mark.parametrize("seed", [0, 1])
def test_myocardial_infarction_has_st_elevation_in_its_territory(seed):
    territory = TERRITORIES[describe_record("myocardial_infarction", seed)]
    mi = st_deviation(simulate_twelve_lead("myocardial_infarction", seed=seed), territory)
    normal = st_deviation(simulate_twelve_lead("normal", seed=seed), territory)
    assert mi > 0.15 and abs(normal) < 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_history_of_mi_has_inverted_t_waves_without_st_elevation(seed):
    territory = TERRITORIES[describe_record("history_of_mi", seed)]
    ecg = simulate_twelve_lead("history_of_mi", seed=seed)
    peaks = r_peaks(ecg)[1:-1]
    # T waves sit ~0.2-0.4 s after the R peak: the most extreme value there is negative.
    t_window = np.add.outer(peaks, np.arange(int(0.2 * FS), int(0.4 * FS)))
    t_area = np.mean([ecg[name][t_window].mean() for name in territory])
    assert t_area < -0.05
    assert st_deviation(ecg, territory) < 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_abnormal_heartbeat_is_more_irregular_than_normal(seed):
    assert rr_variation("abnormal_heartbeat", seed) > 2 * rr_variation("normal", seed)
    assert rr_variation("normal", seed) < 0.06


def qrs_width(beat_class: str, seed: int = 0) -> float:
    """Width of the main deflection at half its height, in seconds."""
    t, mv = simulate_beat(beat_class, seed)
    centred = np.abs(mv - np.median(mv))
    peak = int(np.argmin(np.abs(t)))
    half = centred[peak] / 2
    left = peak
    while left > 0 and centred[left] > half:
        left -= 1
    right = peak
    while right < len(t) - 1 and centred[right] > half:
        right += 1
    return float(t[right] - t[left])


def test_beat_shapes_have_their_class_features():
    assert qrs_width("premature_ventricular_contraction") > 2 * qrs_width("normal")
    assert qrs_width("left_bundle_branch_block") > 2 * qrs_width("normal")
