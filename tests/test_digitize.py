"""Digitized traces: calibration from the layout, millivolts and seconds, the line followed past labels and bars."""

import numpy as np
import pytest

from ecg_pipeline import run_pipeline
from ecg_pipeline.constants import LEAD_SECONDS, RHYTHM_SECONDS
from ecg_pipeline.preprocess.digitize import digitize_lead, digitize_page, px_per_mm_from_column, trace_rows
from ecg_pipeline.synth import render_twelve_lead_page, simulate_twelve_lead


def test_a_step_of_ten_millimetres_is_one_millivolt():
    binary = np.zeros((200, 300), bool)
    binary[150, :150] = True
    binary[100, 150:] = True  # 50 px higher = 10 mm at 5 px/mm
    binary[100:151, 150] = True
    trace = digitize_lead(binary, px_per_mm=5.0)
    assert trace.millivolts[:140].mean() == pytest.approx(trace.millivolts[160:].mean() - 1.0, abs=0.02)
    assert trace.seconds[125] == pytest.approx(125 / (5.0 * 25.0))


def test_calibration_from_a_column():
    assert px_per_mm_from_column(LEAD_SECONDS * 25 * 7.86) == pytest.approx(7.86)


def test_a_label_above_the_start_of_the_line_is_passed_over():
    lead = np.zeros((60, 200), bool)
    lead[40, :] = True
    lead[22:34, 3:12] = True  # letters printed above the line's start, as "aVL"
    rows = trace_rows(lead)
    assert np.all(rows[:20] == 40)  # the line's row, not the letters' middle


def test_the_tip_of_a_sharp_r_wave_keeps_its_height():
    """One column holding both sides of a spike is read at the spike's tip, not its middle."""
    xs = np.arange(120)
    ys = 80 - 60 * np.exp(-(((xs - 60) / 2.0) ** 2))
    lead = np.zeros((100, 120), bool)
    for x in xs[:-1]:
        lo, hi = sorted((int(round(ys[x])), int(round(ys[x + 1]))))
        lead[lo: hi + 1, x] = True
    rows = trace_rows(lead)
    assert np.nanmin(rows) <= 21.5  # the tip is at row 20


def test_a_synthetic_page_is_digitized_as_drawn():
    page = render_twelve_lead_page("normal", seed=4, heart_rate=70)
    truth = simulate_twelve_lead("normal", seed=4, heart_rate=70)
    digitized = digitize_page(run_pipeline(page))
    rhythm = digitized.traces["rhythm"]
    assert rhythm.seconds[-1] == pytest.approx(RHYTHM_SECONDS, rel=0.06)
    # the drawn R waves come back within 10 % of their height
    drawn, found = np.ptp(truth["rhythm"]), np.ptp(rhythm.millivolts)
    assert found == pytest.approx(drawn, rel=0.1)
