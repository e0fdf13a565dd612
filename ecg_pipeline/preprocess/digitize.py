"""From a binary lead image to a calibrated 1-D signal (mV over seconds).

Calibration comes from the page: a 12-lead column holds ``LEAD_SECONDS`` at ``PAPER_SPEED_MM_PER_S``, so its
width in pixels gives the pixels per millimetre, and the printed gain (``GAIN_MM_PER_MV``) turns heights
into millivolts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import GAIN_MM_PER_MV, LEAD_SECONDS, PAPER_SPEED_MM_PER_S


@dataclass
class Trace:
    """A digitized lead: time in seconds, voltage in millivolts (baseline at 0)."""

    seconds: np.ndarray
    millivolts: np.ndarray
    px_per_mm: float
    #: Columns where ink was found; the others were interpolated (all True when not given).
    measured: np.ndarray | None = None


#: Outer share of a lead's columns where a separator bar left by the lead box can stand.
EDGE_SHARE = 0.03
#: A stroke taller than this share of the lead's height, in those columns, is a bar, not trace.
BAR_HEIGHT_SHARE = 0.3


def ink_runs(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every vertical run of ink in a binary image: its column, first row and last row (inclusive).

    Examples
    --------
    >>> lead = np.zeros((6, 2), bool); lead[1:3, 0] = True; lead[4, 0] = True; lead[0, 1] = True
    >>> [a.tolist() for a in ink_runs(lead)]
    [[0, 0, 1], [1, 4, 0], [2, 4, 0]]
    """
    # Transposed, so that np.nonzero's row-by-row walk gives the runs column by column, top to bottom; with
    # a blank row above and below, each column's changes alternate: a run's start, then the row past its end.
    padded = np.zeros((binary.shape[1], binary.shape[0] + 2), bool)
    padded[:, 1:-1] = np.asarray(binary, bool).T
    columns, rows = np.nonzero(padded[:, 1:] != padded[:, :-1])
    return columns[0::2], rows[0::2], rows[1::2] - 1


def trace_rows(binary: np.ndarray) -> np.ndarray:
    """Row of the trace in every column of a binary lead (NaN where a column has no trace).

    The trace is followed from a column where it is alone on the lead's baseline, outwards both ways:
    where a column holds several strokes (a steep QRS, a lead label, a neighbour's tall R wave) the one
    nearest the previous column's row is kept, so the line is followed rather than jumped across, and a
    label printed above the start of the trace is passed over. A stroke taller than ``BAR_HEIGHT_SHARE``
    of the lead in its outer ``EDGE_SHARE`` columns is a separator bar, not trace.

    Examples
    --------
    >>> lead = np.zeros((40, 60), bool); lead[30, :] = True; lead[5:9, 2:6] = True  # a label above the start
    >>> rows = trace_rows(lead)
    >>> float(rows[3]), float(rows[40])
    (30.0, 30.0)
    """
    height, width = binary.shape
    rows = np.full(width, np.nan)
    columns, firsts, lasts = ink_runs(binary)
    if columns.size == 0:
        return rows
    bounds = np.searchsorted(columns, np.arange(width + 1))
    runs_in = np.diff(bounds)
    single = np.flatnonzero((runs_in == 1) & (np.arange(width) > 0.15 * width) & (np.arange(width) < 0.85 * width))
    if single.size == 0:
        single = np.flatnonzero(runs_in >= 1)
    single_rows = (firsts[bounds[single]] + lasts[bounds[single]]) / 2.0
    baseline = np.median(single_rows)
    anchor = int(single[np.argmin(np.abs(single_rows - baseline) + 1e-3 * np.abs(single - width / 2))])
    edge = max(1, int(EDGE_SHARE * width))
    # A column of one stroke is read as it is; only columns of several strokes need the walk's previous row.
    index = np.minimum(bounds[:-1], len(firsts) - 1)
    tops = np.where(runs_in == 1, firsts[index], np.nan).astype(np.float64)
    bottoms = np.where(runs_in == 1, lasts[index], np.nan).astype(np.float64)
    at_edge = (np.arange(width) < edge) | (np.arange(width) >= width - edge)
    bar = at_edge & (bottoms - tops > BAR_HEIGHT_SHARE * height)
    tops[bar] = bottoms[bar] = np.nan
    rows = (tops + bottoms) / 2.0
    if np.isnan(rows[anchor]):  # a page with no single stroke to start from: the stroke nearest the baseline
        first, last = firsts[bounds[anchor]: bounds[anchor + 1]], lasts[bounds[anchor]: bounds[anchor + 1]]
        nearest = int(np.argmin(np.abs((first + last) / 2.0 - baseline)))
        tops[anchor], bottoms[anchor] = first[nearest], last[nearest]
        rows[anchor] = (tops[anchor] + bottoms[anchor]) / 2.0
    several = np.flatnonzero(runs_in > 1)
    # The walk is sequential (each column needs its neighbour's row), so it runs on Python numbers: numpy's
    # per-call cost on these few-element slices was most of digitizing.
    row_of, starts, ends = rows.tolist(), firsts.tolist(), lasts.tolist()
    bound, edge_of, bar_height = bounds.tolist(), at_edge.tolist(), BAR_HEIGHT_SHARE * height
    for direction, columns_walked in ((1, several[several > anchor]), (-1, several[several < anchor][::-1])):
        for x in columns_walked.tolist():
            before = x - direction
            while row_of[before] != row_of[before]:  # NaN; the anchor's row is set, so this stops
                before -= direction
            previous = row_of[before]
            top, bottom = min(zip(starts[bound[x]: bound[x + 1]], ends[bound[x]: bound[x + 1]], strict=True),
                              key=lambda run: min(abs(run[0] - previous), abs(run[1] - previous)))
            if edge_of[x] and bottom - top > bar_height:
                continue
            row_of[x], tops[x], bottoms[x] = (top + bottom) / 2.0, top, bottom
    rows = np.array(row_of)
    return _apexes(rows, tops, bottoms, float(np.median(lasts[bounds[single]] - firsts[bounds[single]])) + 1.0)


def _apexes(rows: np.ndarray, tops: np.ndarray, bottoms: np.ndarray, stroke: float) -> np.ndarray:
    """Rows at the tips of sharp peaks and troughs, where one column holds both sides of the spike: there the
    trace is at the run's far end, not its middle (which would cut an R wave's height by half)."""
    def shifted(values: np.ndarray, step: int) -> np.ndarray:
        out = np.roll(values, step)
        out[0 if step > 0 else -1] = np.nan
        return np.where(np.isnan(out), values, out)

    tall = bottoms - tops + 1.0 > 2.0 * stroke
    peak = tall & (tops <= shifted(tops, 1)) & (tops <= shifted(tops, -1))
    trough = tall & ~peak & (bottoms >= shifted(bottoms, 1)) & (bottoms >= shifted(bottoms, -1))
    out = rows.copy()
    out[peak] = tops[peak] + stroke / 2.0
    out[trough] = bottoms[trough] - stroke / 2.0
    return out


def digitize_lead(binary: np.ndarray, px_per_mm: float, gain_mm_per_mv: float = GAIN_MM_PER_MV) -> Trace:
    """A lead's trace as millivolts over seconds.

    Parameters
    ----------
    binary : ndarray of bool
        The lead's binary trace (ink = True).
    px_per_mm : float
        Pixels per millimetre of paper.
    gain_mm_per_mv : float
        Millimetres per millivolt at that scale (``Calibration.millivolt_gain`` when the page shows another gain).

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
    millivolts = (baseline - rows) / (px_per_mm * gain_mm_per_mv)
    seconds = x / (px_per_mm * PAPER_SPEED_MM_PER_S)
    return Trace(seconds=seconds, millivolts=millivolts, px_per_mm=px_per_mm, measured=valid)


def px_per_mm_from_column(column_width_px: float) -> float:
    """Pixels per millimetre from the width of one 2.5 s lead column."""
    return column_width_px / (LEAD_SECONDS * PAPER_SPEED_MM_PER_S)


@dataclass
class DigitizedECG:
    """Every lead of a 12-lead page as a calibrated trace (the beats and rates are ``measure``'s)."""

    traces: dict[str, Trace]
    px_per_mm: float


def digitize_page(result) -> DigitizedECG | None:
    """Digitize every lead of a 12-lead ``PipelineResult``; ``None`` for a single beat (no grid to
    calibrate against)."""
    from ..constants import TWELVE_LEAD

    if result.task != TWELVE_LEAD or result.layout is None:
        return None
    px_per_mm = result.px_per_mm  # measured by run_pipeline from the layout's lead columns
    # The assumed gain, unless the page's calibration pulse or grid shows another standard value.
    calibration = getattr(result, "calibration", None)
    gain = calibration.millivolt_gain if calibration is not None else GAIN_MM_PER_MV
    return DigitizedECG(traces={lead.name: digitize_lead(lead.binary, px_per_mm, gain) for lead in result.leads},
                        px_per_mm=px_per_mm)
