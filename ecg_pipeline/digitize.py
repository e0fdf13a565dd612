"""From a binary lead image to a calibrated 1-D signal (mV over seconds), and heart rate from it.

Calibration comes from the page: a 12-lead column holds ``LEAD_SECONDS`` at ``PAPER_SPEED_MM_PER_S``, so its
width in pixels gives the pixels per millimetre, and the printed gain (``GAIN_MM_PER_MV``) turns heights
into millivolts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import find_peaks

from .constants import GAIN_MM_PER_MV, LEAD_SECONDS, PAPER_SPEED_MM_PER_S


@dataclass
class Trace:
    """A digitized lead: time in seconds, voltage in millivolts (baseline at 0)."""

    seconds: np.ndarray
    millivolts: np.ndarray
    px_per_mm: float


def trace_rows(binary: np.ndarray) -> np.ndarray:
    """Row of the trace in every column of a binary lead (NaN where a column has no ink).

    Where a column holds several strokes (a steep QRS, a label), the one nearest the previous column's
    row is kept, so the line is followed rather than jumped across.
    """
    columns = np.ascontiguousarray(np.asarray(binary, bool).T)  # one column per row: fast to scan
    rows = np.full(len(columns), np.nan)
    previous = None
    for x, column in enumerate(columns):
        ys = np.flatnonzero(column)
        n = ys.size
        if n == 0:
            continue
        breaks = np.flatnonzero(np.diff(ys) > 1) + 1 if previous is not None and n > 1 else ()
        if len(breaks) == 0:
            rows[x] = (ys[(n - 1) // 2] + ys[n // 2]) / 2.0  # the median of sorted rows
        else:
            # the column holds runs of ink: take the run nearest the previous row (a run's mean is its middle)
            first = ys[np.concatenate(([0], breaks))]
            last = ys[np.concatenate((breaks - 1, [n - 1]))]
            nearest = int(np.argmin(np.minimum(np.abs(first - previous), np.abs(last - previous))))
            rows[x] = (first[nearest] + last[nearest]) / 2.0
        previous = rows[x]
    return rows


def digitize_lead(binary: np.ndarray, px_per_mm: float) -> Trace:
    """A lead's trace as millivolts over seconds.

    Parameters
    ----------
    binary : ndarray of bool
        The lead's binary trace (ink = True).
    px_per_mm : float
        Pixels per millimetre of paper.

    Returns
    -------
    Trace
        Baseline (the median height) at 0 mV; columns without ink are interpolated.

    Examples
    --------
    >>> lead = np.zeros((50, 100), bool); lead[25, :60] = True; lead[15, 60:] = True  # a 2 mm step
    >>> trace = digitize_lead(lead, px_per_mm=5.0)
    >>> round(float(trace.millivolts.max()), 1), round(float(trace.seconds[-1]), 2)
    (0.2, 0.79)
    """
    rows = trace_rows(binary)
    valid = ~np.isnan(rows)
    x = np.arange(len(rows))
    if valid.sum() >= 2:
        rows = np.interp(x, x[valid], rows[valid])
    else:
        rows = np.zeros(len(rows))
    baseline = float(np.median(rows))
    millivolts = (baseline - rows) / (px_per_mm * GAIN_MM_PER_MV)
    seconds = x / (px_per_mm * PAPER_SPEED_MM_PER_S)
    return Trace(seconds=seconds, millivolts=millivolts, px_per_mm=px_per_mm)


def px_per_mm_from_column(column_width_px: float) -> float:
    """Pixels per millimetre from the width of one 2.5 s lead column."""
    return column_width_px / (LEAD_SECONDS * PAPER_SPEED_MM_PER_S)


def r_peaks(trace: Trace, min_rr_s: float = 0.25) -> np.ndarray:
    """Times (s) of the QRS complexes.

    The trace is high-passed (minus its 80 ms moving mean), which keeps the narrow QRS and flattens the
    broader P and T waves; the QRS then stands out as the peaks of slope energy, whatever its polarity.
    """
    fs = 1.0 / float(np.median(np.diff(trace.seconds)))
    signal = median_filter(trace.millivolts, size=3)
    high_passed = signal - uniform_filter1d(signal, max(3, int(0.08 * fs)))
    energy = uniform_filter1d(np.abs(np.gradient(high_passed)), max(1, int(0.04 * fs)))
    peaks, _ = find_peaks(energy, height=np.percentile(energy, 98) * 0.5, distance=max(1, int(min_rr_s * fs)))
    return trace.seconds[peaks]


def heart_rate(trace: Trace) -> tuple[float | None, np.ndarray]:
    """Heart rate in beats per minute (60 / median RR) and the RR intervals in seconds."""
    beats = r_peaks(trace)
    rr = np.diff(beats)
    if len(rr) < 2:
        return None, rr
    return float(60.0 / np.median(rr)), rr


@dataclass
class DigitizedECG:
    """Every lead of a 12-lead page as a calibrated trace, and the heart rate from the rhythm strip."""

    traces: dict[str, Trace]
    heart_rate_bpm: float | None
    rr_intervals_s: np.ndarray
    px_per_mm: float


def digitize_page(result) -> DigitizedECG | None:
    """Digitize every lead of a 12-lead ``PipelineResult``; ``None`` for a single beat (no grid to
    calibrate against)."""
    from .constants import RHYTHM_LEAD, TWELVE_LEAD

    if result.task != TWELVE_LEAD or result.layout is None:
        return None
    px_per_mm = result.px_per_mm  # measured by run_pipeline from the layout's lead columns
    traces = {lead.name: digitize_lead(lead.binary, px_per_mm) for lead in result.leads}
    rate, rr = heart_rate(traces[RHYTHM_LEAD])
    return DigitizedECG(traces=traces, heart_rate_bpm=rate, rr_intervals_s=rr, px_per_mm=px_per_mm)
