"""The calibration pulse and the grid: gain and paper speed measured on the page, used for millivolts when they
differ from the assumed ones, and said in the warnings."""

import numpy as np
import pytest

from ecg_pipeline import run_pipeline
from ecg_pipeline.constants import GAIN_MM_PER_MV, PAPER_SPEED_MM_PER_S, REFERENCE_PULSE_WIDTH_MM
from ecg_pipeline.io.export import signal_table
from ecg_pipeline.measure import measure_page
from ecg_pipeline.preprocess.calibration import Calibration, find_pulse, grid_speed
from ecg_pipeline.preprocess.digitize import digitize_lead, digitize_page
from ecg_pipeline.synth import printed_signals, render_twelve_lead_page

from .conftest import SAMPLES

REAL_SAMPLES = sorted(SAMPLES.glob("real_twelve_lead_*.jpg"))
SIZE = (2213, 1572)


def _page(scale: float = 1.0, gain: float = GAIN_MM_PER_MV, ecg_class: str = "normal", seed: int = 1) -> np.ndarray:
    return render_twelve_lead_page(ecg_class, seed=seed, width=int(SIZE[0] * scale), height=int(SIZE[1] * scale),
                                   gain_mm_per_mv=gain)


def _calibration_warnings(result) -> list[str]:
    return [w for w in result.warnings if "calibration pulse" in w or "paper speed" in w]


def test_a_drawn_pulse_is_measured_between_its_strokes_centres():
    band = np.zeros((80, 60), bool)
    band[70:73, 0:10] = True  # baseline in, 3 px thick
    band[20:73, 10:13] = True  # rising side
    band[20:23, 10:30] = True  # top
    band[20:73, 27:30] = True  # falling side
    band[70:73, 27:40] = True  # baseline out
    pulse = find_pulse(band, min_height_px=20, max_width_px=40)
    assert (pulse.height_px, pulse.width_px, pulse.left_px, pulse.top_px) == (50.0, 17.0, 11.0, 20.0)


def test_two_tall_strokes_without_a_top_are_not_a_pulse():
    band = np.zeros((80, 60), bool)
    band[20:73, 10:13] = True
    band[20:73, 27:30] = True
    assert find_pulse(band, min_height_px=20, max_width_px=40) is None
    assert find_pulse(np.zeros((80, 60), bool), min_height_px=20, max_width_px=40) is None


def _dotted_grid(line_px: float, width: int = 1400, height: int = 500) -> np.ndarray:
    gray = np.full((height, width), 255, np.uint8)
    for x in np.arange(0, width, line_px):
        gray[::2, int(round(x))] = 190  # dotted 5 mm lines, as the printer draws them
    return gray


@pytest.mark.parametrize("speed", [25.0, 50.0])
def test_the_grid_spacing_gives_the_paper_speed(speed):
    px_per_mm = 7.87  # the column's scale at 25 mm/s; at 50 mm/s a millimetre of paper is half as many pixels
    gray = _dotted_grid(5 * px_per_mm * PAPER_SPEED_MM_PER_S / speed)
    assert grid_speed(gray, (0, gray.shape[0], 0, gray.shape[1]), px_per_mm, ink_threshold=100) == speed


def test_a_page_without_a_grid_has_no_speed():
    gray = np.full((500, 1400), 255, np.uint8)
    assert grid_speed(gray, (0, 500, 0, 1400), 7.87, ink_threshold=100) is None


@pytest.mark.parametrize("path", REAL_SAMPLES, ids=lambda p: p.name)
def test_real_printouts_show_10_mm_per_mv_at_25_mm_per_s(path):
    result = run_pipeline(path)
    calibration = result.calibration
    assert calibration.gain_mm_per_mv == 10.0 and calibration.speed_mm_per_s == 25.0
    assert all(calibration.rows_found) and len(calibration.rows_found) == 4
    assert np.allclose(calibration.pulse_heights_mm, 10.0, atol=0.2)
    # The reference device's pulse width stored in constants is what these printouts show.
    assert np.allclose(calibration.pulse_widths_mm, REFERENCE_PULSE_WIDTH_MM, atol=0.05)
    assert calibration.agrees and _calibration_warnings(result) == []


@pytest.mark.parametrize("scale", [0.6, 1.0, 1.4])
def test_synthetic_standard_pages_show_10_mm_per_mv_at_every_scale(scale):
    result = run_pipeline(_page(scale))
    calibration = result.calibration
    assert calibration.gain_mm_per_mv == 10.0 and calibration.speed_mm_per_s == 25.0 and all(calibration.rows_found)
    assert calibration.measured_gain == pytest.approx(10.0, rel=0.05)
    assert calibration.millivolt_gain is GAIN_MM_PER_MV and _calibration_warnings(result) == []


def _amplitude(values: np.ndarray) -> float:
    return float(np.percentile(values, 99) - np.percentile(values, 1))


def _amplitude_ratios(result, truth: dict[str, np.ndarray]) -> list[float]:
    """Each lead's digitized amplitude over its printed one, on the samples both have."""
    table = signal_table(measure_page(result).signals)
    ratios = []
    for lead, printed in truth.items():
        digitized = table[lead].to_numpy()
        both = np.isfinite(printed) & np.isfinite(digitized)
        ratios.append(_amplitude(digitized[both]) / _amplitude(printed[both]))
    return ratios


@pytest.mark.parametrize("gain", [5.0, 20.0])
def test_a_page_at_another_gain_is_read_at_it_and_said(gain):
    result = run_pipeline(_page(gain=gain, ecg_class="myocardial_infarction", seed=3))
    assert result.calibration.gain_mm_per_mv == gain and not result.calibration.agrees
    assert _calibration_warnings(result) == [
        f"The calibration pulse shows a gain of {gain:g} mm/mV, not the usual 10 mm/mV; the millivolts were "
        f"converted at {gain:g} mm/mV."]
    truth = printed_signals("myocardial_infarction", seed=3, gain_mm_per_mv=gain)
    ratios = _amplitude_ratios(result, truth)
    # Read at the assumed 10 mm/mV these would be 2 (a 5 mm/mV page) or 0.5 (a 20 mm/mV page).
    assert np.median(ratios) == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("gain", [10.0, 20.0])
def test_a_page_printed_at_50_mm_per_s_is_read_at_it_and_said(gain):
    speed = 50.0
    page = render_twelve_lead_page("normal", seed=2, gain_mm_per_mv=gain, speed_mm_per_s=speed)
    result = run_pipeline(page)
    assert result.calibration.speed_mm_per_s == speed and result.calibration.gain_mm_per_mv == gain
    assert (f"The grid shows a paper speed of {speed:g} mm/s, not the usual 25 mm/s; the millivolts were converted "
            "with the grid's millimetres.") in _calibration_warnings(result)
    truth = printed_signals("normal", seed=2, gain_mm_per_mv=gain, speed_mm_per_s=speed)
    ratios = _amplitude_ratios(result, truth)
    # A millimetre of this paper is half the pixels a 25 mm/s column implies: read without the grid, every
    # millivolt would come out half as tall.
    assert np.median(ratios) == pytest.approx(1.0, abs=0.1)


def test_a_pulse_of_no_standard_height_is_named_and_not_used():
    result = run_pipeline(_page(gain=14.0))
    calibration = result.calibration
    assert calibration.gain_mm_per_mv is None and calibration.measured_gain == pytest.approx(14.0, rel=0.05)
    assert calibration.millivolt_gain == GAIN_MM_PER_MV
    assert len(_calibration_warnings(result)) == 1
    assert "which is no standard gain (5, 10, 20 mm/mV)" in _calibration_warnings(result)[0]


def test_a_page_without_pulses_says_so():
    page = _page()
    result = run_pipeline(page)
    top, bottom, left, _ = result.layout.grid_box
    page[top + 5: bottom - 5, left + 5: int(result.layout.trace_left) - 3] = 255  # the pulses cut away
    result = run_pipeline(page)
    assert not result.calibration.found and result.calibration.millivolt_gain == GAIN_MM_PER_MV
    assert result.warnings[-1] == ("No 1 mV calibration pulse was found at the start of the rows; the millivolts "
                                   "assume 10 mm/mV.")


@pytest.mark.parametrize("source", ["synthetic", "real"])
def test_standard_pages_are_digitized_as_without_calibration(source):
    result = run_pipeline(_page() if source == "synthetic" else REAL_SAMPLES[0])
    digitized = digitize_page(result)
    for lead in result.leads:
        assert np.array_equal(digitized.traces[lead.name].millivolts,
                              digitize_lead(lead.binary, result.px_per_mm).millivolts)


def test_a_faster_paper_halves_the_millimetres_per_pixel():
    calibration = Calibration(gain_mm_per_mv=10.0, speed_mm_per_s=50.0, measured_gain=10.0, pulse_heights_mm=(10.0,),
                              pulse_widths_mm=(4.2,), rows_found=(True,))
    assert calibration.millivolt_gain == 5.0
    assert calibration.warnings() == ["The grid shows a paper speed of 50 mm/s, not the usual 25 mm/s; the "
                                      "millivolts were converted with the grid's millimetres."]
