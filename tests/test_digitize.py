"""Digitized traces: calibration from the layout, millivolts and seconds, heart rate from the rhythm strip."""

import numpy as np
import pytest

from ecg_pipeline import run_pipeline
from ecg_pipeline.constants import LEAD_SECONDS, RHYTHM_SECONDS
from ecg_pipeline.digitize import digitize_lead, digitize_page, heart_rate, px_per_mm_from_column
from ecg_pipeline.synth import render_twelve_lead_page


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


@pytest.mark.parametrize("rate", [55, 75, 110])
def test_heart_rate_of_a_synthetic_page(rate):
    result = run_pipeline(render_twelve_lead_page("normal", seed=5, heart_rate=rate))
    digitized = digitize_page(result)
    assert set(digitized.traces) == set(result.lead_names)
    assert digitized.traces["rhythm"].seconds[-1] == pytest.approx(RHYTHM_SECONDS, rel=0.06)
    assert digitized.heart_rate_bpm == pytest.approx(rate, abs=5)
    assert np.all(digitized.rr_intervals_s > 0.3)


def test_flat_line_has_no_heart_rate():
    binary = np.zeros((100, 1000), bool)
    binary[50, :] = True
    rate, rr = heart_rate(digitize_lead(binary, 4.0))
    assert rate is None
