"""Clinical measurements of the digitized trace, on synthetic pages drawn with known values and on real pages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_pipeline.io.footer import read_printed_rates
from ecg_pipeline.measure import MEASURED_LEADS, feature_names, measure_page
from ecg_pipeline.preprocess.pipeline import run_pipeline
from ecg_pipeline.synth import TWELVE_LEADS, Wave, beat_schedule, render_twelve_lead_page
from ecg_pipeline.synth.non_ecg import non_ecg_corpus

from .conftest import SAMPLES, SHARED_DATA

#: The tolerances the measurements must hold on synthetic pages.
ST_TOLERANCE_MV = 0.05
RATE_TOLERANCE_BPM = 3.0
#: ST shifts drawn per lead (mV): elevation, depression, none.
ST_DRAWN = {"V2": 0.25, "V3": 0.2, "V4": 0.12, "II": -0.1, "aVF": 0.15, "V5": -0.15, "I": 0.0, "V6": 0.0}
#: Q waves drawn (mV, negative) in these leads only.
Q_DRAWN = {"III": -0.4, "aVF": -0.3}


def amplitudes(per_lead: dict[str, float]) -> np.ndarray:
    return np.array([per_lead.get(name, 0.0) for name in TWELVE_LEADS])


def page_with(st: dict[str, float], q: dict[str, float], seed: int, rate: float = 72.0) -> np.ndarray:
    """A normal page with an ST plateau of the given height per lead and Q waves in the given leads."""
    t_peak = 0.12 + 0.18 * np.sqrt(60.0 / rate)  # where the generator puts the T wave; the plateau ends there
    waves = (Wave(0.035, 0.008, amplitudes(st), plateau_end=t_peak), Wave(-0.035, 0.014, amplitudes(q)))
    return render_twelve_lead_page("normal", seed=seed, heart_rate=rate, extra_waves=waves)


@pytest.fixture(scope="module", params=[0, 1, 2])
def drawn_page(request):
    return measure_page(run_pipeline(page_with(ST_DRAWN, Q_DRAWN, seed=request.param)))


def test_st_shift_comes_back_within_tolerance(drawn_page):
    for lead, drawn in ST_DRAWN.items():
        assert drawn_page.leads[lead]["st_j60_mv"] == pytest.approx(drawn, abs=ST_TOLERANCE_MV), lead


def test_q_wave_found_where_drawn_and_not_elsewhere(drawn_page):
    for lead in MEASURED_LEADS:
        if lead == "aVR":  # its whole QRS is negative on every page: a QS complex, not a drawn Q wave
            continue
        assert drawn_page.criteria[lead]["pathological_q"] == (lead in Q_DRAWN), lead
    assert drawn_page.leads["III"]["q_depth_mv"] == pytest.approx(0.4, abs=0.1)


def test_st_elevation_criterion_needs_two_contiguous_leads(drawn_page):
    raised = {lead for lead, c in drawn_page.criteria.items() if c["st_elevation"]}
    assert {"V2", "V3"} <= raised  # 0.25 and 0.2 mV, side by side
    assert "V4" in raised  # 0.12 mV beside V3
    assert "aVF" not in raised  # 0.15 mV, but its neighbours II and III are not raised
    assert drawn_page.territories["anterior_st_elevation_leads"] == 3


@pytest.mark.parametrize("rate", [48, 75, 110, 150])
def test_heart_rate_within_tolerance(rate):
    measured = measure_page(run_pipeline(render_twelve_lead_page("normal", seed=5, heart_rate=rate)))
    assert measured.page["heart_rate_bpm"] == pytest.approx(rate, abs=RATE_TOLERANCE_BPM)


def test_a_beat_cut_off_at_the_strip_start_gives_no_interval():
    """The first beat of seed 11 at 80 bpm falls 0.02-0.1 s into the strip, where only part of it is drawn."""
    beats, _ = beat_schedule("normal", 10.0, seed=11, heart_rate=80)
    first = min(b.time for b in beats if b.time >= 0)
    assert first < 0.35  # the page really has a beat at its edge
    measured = measure_page(run_pipeline(render_twelve_lead_page("normal", seed=11, heart_rate=80)))
    assert measured.rr_s.min() > 0.85 * 60 / 80
    assert measured.page["rmssd_ms"] < 60


def test_a_lead_that_cannot_be_measured_is_missing_not_zero():
    result = run_pipeline(render_twelve_lead_page("normal", seed=6))
    result.lead("V3").binary[:] = False  # nothing found in V3
    measured = measure_page(result)
    assert "V3" not in measured.leads and "trace" in measured.missing["V3"]
    features = measured.features()
    assert all(np.isnan(features[f"V3.{name}"]) for name in ("st_j60_mv", "q_depth_mv", "t_max_mv"))
    assert measured.measurable and not np.isnan(features["V2.st_j60_mv"])


def test_a_page_without_beats_is_marked_missing_with_the_reason():
    result = run_pipeline(render_twelve_lead_page("normal", seed=6))
    for lead in result.leads:
        lead.binary[:] = False
        lead.binary[lead.binary.shape[0] // 2, :] = True  # flat lines
    measured = measure_page(result)
    assert not measured.measurable and "beats" in measured.missing["page"]
    assert all(np.isnan(v) for v in measured.features().values() if not isinstance(v, str))
    assert list(measured.features()) == feature_names()


@pytest.mark.parametrize("name", list(non_ecg_corpus()))
def test_measuring_an_image_that_is_not_an_ecg_never_raises(name):
    image = non_ecg_corpus()[name]()
    if image.shape[1] < 600:
        return
    measured = measure_page(run_pipeline(image, task="twelve_lead"))
    assert set(measured.features()) == set(feature_names())


def real_samples_with_printed_rates() -> pd.DataFrame:
    manifest = pd.read_csv(SAMPLES / "manifest.csv")
    real = manifest[(manifest.origin == "real") & (manifest.task == "twelve_lead")]
    printed = read_printed_rates().rename(columns={"file": "original", "sha256": "printed_sha256"})
    return real.merge(printed, left_on="original_sha256", right_on="printed_sha256")


def test_measured_rate_matches_the_printed_rate_on_the_real_samples():
    samples = real_samples_with_printed_rates()
    assert len(samples) >= 8  # every real printout's footer rate is in the table
    for row in samples.itertuples():
        measured = measure_page(run_pipeline(SAMPLES / row.file)).page["heart_rate_bpm"]
        assert measured == pytest.approx(row.printed_bpm, abs=5), row.file


@pytest.mark.shared
@pytest.mark.slow
def test_measured_rate_matches_the_printed_rate_on_95_percent_of_the_shared_printouts():
    from ecg_pipeline.io.data import list_labelled_images
    from ecg_pipeline.io.footer import heart_rate_agreement

    folder = SHARED_DATA / "ecg-images"
    if not folder.exists():
        pytest.skip("../shared/data is not here")
    report = heart_rate_agreement(list_labelled_images(folder, "twelve_lead"), read_printed_rates())
    pages = report.dropna(subset=["printed_bpm"])
    assert len(pages) == len(report)
    assert ((pages.measured_bpm - pages.printed_bpm).abs() <= 5).mean() >= 0.95


def test_rhythm_values_equal_neurokit2s_hrv_time():
    import warnings

    import neurokit2 as nk

    from ecg_pipeline.measure.values import rhythm_values

    rr = np.random.default_rng(3).uniform(0.6, 1.1, 12)
    mine = rhythm_values(np.cumsum(rr), rr, np.zeros(11, bool), np.zeros(12, bool), np.zeros(12, bool))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = nk.hrv_time(np.round(np.concatenate(([0.0], np.cumsum(rr))) * 1000).astype(int), 1000).iloc[0]
    assert mine["rmssd_ms"] == pytest.approx(theirs["HRV_RMSSD"], rel=1e-3)
    assert mine["rr_cv"] == pytest.approx(theirs["HRV_CVNN"], rel=1e-3)
    assert mine["pnn50"] == pytest.approx(theirs["HRV_pNN50"] / 100, abs=1e-9)
    assert mine["rr_max_s"] == pytest.approx(theirs["HRV_MaxNN"] / 1000, abs=1e-3)


def test_a_beat_premature_and_of_another_shape_is_one_ectopic_beat():
    from ecg_pipeline.measure.values import rhythm_values

    rr = np.array([0.8, 0.8, 0.5, 1.1, 0.8])
    premature = np.array([False, False, True, False, False])
    other_shape = np.array([False, False, False, True, False, False])  # the same beat, counted per peak
    values = rhythm_values(np.cumsum(rr), rr, premature, other_shape, np.concatenate(([False], premature)))
    assert values["premature_beats"] == 1 and values["other_shape_beats"] == 1 and values["ectopic_beats"] == 1


def test_page_extremes_skip_leads_whose_value_is_missing():
    from ecg_pipeline.measure.values import page_extremes

    base = dict(t_qrs_ratio=0.5, t_min_mv=-0.1, q_width_ms=20.0)
    leads = {"I": {**base, "st_j60_mv": np.nan}, "II": {**base, "st_j60_mv": 0.3}, "III": {**base, "st_j60_mv": 0.1}}
    values = page_extremes(leads, {})
    assert values["page_st_max_mv"] == 0.3 and values["page_st_second_mv"] == 0.1 and values["page_st_min_mv"] == 0.1


@pytest.mark.parametrize("change", ["rotated 3 degrees", "scanned at 60 %", "scanned at half size"])
def test_a_tilted_or_smaller_real_printout_keeps_its_heart_rate(change):
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.distortions import rescale, rotate

    changes = {"rotated 3 degrees": lambda image: rotate(image, 3.0),
               "scanned at 60 %": lambda image: rescale(image, 0.6),
               "scanned at half size": lambda image: rescale(image, 0.5)}
    samples = real_samples_with_printed_rates()
    for row in samples.itertuples():
        page = changes[change](load_image(SAMPLES / row.file))
        measured = measure_page(run_pipeline(page)).page["heart_rate_bpm"]
        assert measured == pytest.approx(row.printed_bpm, abs=5), row.file
