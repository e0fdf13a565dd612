"""The page's own calibration: the 1 mV reference pulse at the start of each row, and the millimetre grid.

A printer draws, before each row's trace, a square pulse of exactly 1 mV: its height in millimetres is the
print's gain (5, 10 or 20 mm/mV). The grid's 5 mm lines give the paper's millimetres in pixels; a lead column
holds a known time (2.5 s of a 3 x 4 page), so the two together give the paper speed (25 or 50 mm/s). The pulse's
width cannot: how long it lasts is the device's choice (84 ms, ``REFERENCE_PULSE_WIDTH_MM`` at 25 mm/s, on the shared
printouts' device), and a pulse of fixed duration spans the same pixels of a lead column at any speed. The
digitizer assumes ``GAIN_MM_PER_MV`` and ``PAPER_SPEED_MM_PER_S``; ``Calibration.millivolt_gain`` says what to
convert with when the page shows another standard value, and ``Calibration.warnings`` says so in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import (
    CALIBRATION_TOLERANCE,
    GAIN_MM_PER_MV,
    GRID_LINE_MM,
    PAPER_SPEED_MM_PER_S,
    STANDARD_GAINS_MM_PER_MV,
    STANDARD_PAPER_SPEEDS_MM_PER_S,
)
from .digitize import ink_runs
from .stages import intensity_histogram, trace_threshold

#: The row band searched for a row's pulse, in row pitches above and below its baseline: tall enough for a
#: 20 mm/mV pulse, clear of the next row's pulse.
PULSE_BAND = (0.95, 0.15)
#: A pulse's sides are at least this many millimetres tall (half a 5 mm/mV pulse) and at most this far apart.
MIN_PULSE_MM = 2.5
MAX_PULSE_WIDTH_MM = 8.0
#: Millimetres kept clear of the grid's left border and of the trace's start.
PULSE_MARGIN_MM = 0.5
#: The grid is sampled every this many rows (and columns, for its threshold).
ROW_STRIDE = 3


@dataclass(frozen=True)
class Pulse:
    """One row's calibration pulse, in pixels of the page: from the centre of its baseline stroke to the centre of
    its top stroke (``height_px``), and between the centres of its two sides (``width_px``)."""

    height_px: float
    width_px: float
    left_px: float
    top_px: float


@dataclass(frozen=True)
class Calibration:
    """What a page's pulses and grid say about its gain and paper speed.

    ``gain_mm_per_mv`` and ``speed_mm_per_s`` are standard values (``STANDARD_GAINS_MM_PER_MV``,
    ``STANDARD_PAPER_SPEEDS_MM_PER_S``), or ``None`` when nothing was measured or the measure fits none of them
    (``measured_gain`` then holds the pulses' median height in mm, if any).
    """

    gain_mm_per_mv: float | None
    speed_mm_per_s: float | None
    measured_gain: float | None
    #: Each found pulse's height and width in millimetres of paper (at the measured speed's millimetres).
    pulse_heights_mm: tuple[float, ...]
    pulse_widths_mm: tuple[float, ...]
    #: Whether each row of the layout, top to bottom, has a pulse.
    rows_found: tuple[bool, ...]
    assumed_gain: float = GAIN_MM_PER_MV
    assumed_speed: float = PAPER_SPEED_MM_PER_S

    @property
    def found(self) -> bool:
        return any(self.rows_found)

    @property
    def agrees(self) -> bool:
        """True when nothing measured contradicts the assumed gain and speed."""
        gain_ok = not self.found or self.gain_mm_per_mv == self.assumed_gain
        return gain_ok and self.speed_mm_per_s in (None, self.assumed_speed)

    @property
    def millivolt_gain(self) -> float:
        """The gain to turn heights into millivolts with, in millimetres per mV at the scale the digitizer's
        ``px_per_mm`` assumes (a lead column's width at ``assumed_speed``): ``assumed_gain`` itself unless the page
        shows another standard gain or speed, so that a standard page is converted exactly as before.

        Examples
        --------
        >>> Calibration(20.0, 25.0, 19.8, (19.8,), (2.1,), (True,)).millivolt_gain
        20.0
        >>> Calibration(10.0, 50.0, 10.1, (10.1,), (4.2,), (True,)).millivolt_gain  # half the mm per pixel
        5.0
        """
        gain = self.gain_mm_per_mv if self.gain_mm_per_mv is not None else self.assumed_gain
        speed = self.speed_mm_per_s if self.speed_mm_per_s is not None else self.assumed_speed
        if gain == self.assumed_gain and speed == self.assumed_speed:
            return self.assumed_gain
        return gain * self.assumed_speed / speed

    def warnings(self) -> list[str]:
        """Sentences for the user when the page disagrees with the assumed gain or speed, or shows no pulse."""
        out = []
        if not self.found:
            out.append(f"No 1 mV calibration pulse was found at the start of the rows; the millivolts assume "
                       f"{self.assumed_gain:g} mm/mV.")
        elif self.gain_mm_per_mv is None:
            out.append(f"The calibration pulse is {self.measured_gain:.1f} mm tall, which is no standard gain "
                       f"({', '.join(f'{g:g}' for g in STANDARD_GAINS_MM_PER_MV)} mm/mV); the millivolts assume "
                       f"{self.assumed_gain:g} mm/mV.")
        elif self.gain_mm_per_mv != self.assumed_gain:
            out.append(f"The calibration pulse shows a gain of {self.gain_mm_per_mv:g} mm/mV, not the usual "
                       f"{self.assumed_gain:g} mm/mV; the millivolts were converted at {self.gain_mm_per_mv:g} mm/mV.")
        if self.speed_mm_per_s is not None and self.speed_mm_per_s != self.assumed_speed:
            out.append(f"The grid shows a paper speed of {self.speed_mm_per_s:g} mm/s, not the usual "
                       f"{self.assumed_speed:g} mm/s; the millivolts were converted with the grid's millimetres.")
        return out


def snap(value: float | None, standards: tuple[float, ...], tolerance: float = CALIBRATION_TOLERANCE) -> float | None:
    """The standard value nearest ``value`` when within ``tolerance`` (a share of it), else ``None``.

    Examples
    --------
    >>> snap(19.1, (5.0, 10.0, 20.0)), snap(14.0, (5.0, 10.0, 20.0)), snap(None, (5.0,))
    (20.0, None, None)
    """
    if value is None or not np.isfinite(value):
        return None
    nearest = min(standards, key=lambda s: abs(value / s - 1.0))
    return float(nearest) if abs(value / nearest - 1.0) <= tolerance else None


def _stroke_groups(tall: np.ndarray) -> list[np.ndarray]:
    """Runs of neighbouring True columns (a gap of one column is bridged)."""
    columns = np.flatnonzero(tall)
    if columns.size == 0:
        return []
    return np.split(columns, np.flatnonzero(np.diff(columns) > 2) + 1)


def find_pulse(ink: np.ndarray, min_height_px: float, max_width_px: float) -> Pulse | None:
    """The leftmost square pulse in a binary band (ink = True): two vertical sides of the same span, joined by a
    top stroke; ``None`` when there is none.

    Parameters
    ----------
    ink : ndarray of bool
        The band left of a row's trace, its baseline near the bottom.
    min_height_px, max_width_px : float
        Shortest side and widest pulse that count.

    Returns
    -------
    Pulse or None
        Positions relative to the band.

    Examples
    --------
    >>> band = np.zeros((60, 40), bool); band[50:53, 0:8] = True; band[10:53, 8:11] = True
    >>> band[10:13, 8:25] = True; band[10:53, 22:25] = True; band[50:53, 22:32] = True
    >>> pulse = find_pulse(band, min_height_px=20, max_width_px=30)
    >>> pulse.height_px, pulse.width_px
    (40.0, 14.0)
    """
    columns, firsts, lasts = ink_runs(ink)
    if columns.size == 0:
        return None
    order = np.lexsort((lasts - firsts, columns))  # each column's longest run last
    last_of_column = order[np.r_[columns[order][1:] != columns[order][:-1], True]]
    top, bottom = np.full(ink.shape[1], np.nan), np.full(ink.shape[1], np.nan)
    top[columns[last_of_column]], bottom[columns[last_of_column]] = firsts[last_of_column], lasts[last_of_column]
    sides = [(float(g.mean()), float(np.median(top[g])), float(np.median(bottom[g])))
             for g in _stroke_groups(bottom - top + 1 >= min_height_px)]
    for (x0, top0, bottom0), (x1, top1, bottom1) in zip(sides, sides[1:], strict=False):
        span = bottom0 - top0 + 1
        tolerance = max(2.0, 0.1 * span)
        if abs(top0 - top1) > tolerance or abs(bottom0 - bottom1) > tolerance or not 0 < x1 - x0 <= max_width_px:
            continue
        between = ink[:, int(np.ceil(x0)) + 2: int(x1) - 1]
        roof = between[int(max(0, min(top0, top1) - 2)): int(max(top0, top1) + tolerance)]
        if between.shape[1] == 0 or roof.any(axis=0).mean() < 0.8:
            continue  # two tall strokes without a top between them: not a pulse
        thickness = float(np.median(roof.sum(axis=0)[roof.any(axis=0)]))
        return Pulse(height_px=(bottom0 + bottom1 - top0 - top1) / 2 + 1 - thickness, width_px=x1 - x0,
                     left_px=x0, top_px=(top0 + top1) / 2)
    return None


def row_pulse(gray: np.ndarray, baseline: float, pitch: float, x_span: tuple[float, float],
              y_span: tuple[float, float], px_per_mm: float) -> Pulse | None:
    """The pulse of the row whose baseline is at ``baseline`` (pixels of ``gray``), searched between ``x_span`` and
    within ``y_span`` (the grid's top and bottom), the band's ink by ``trace_threshold``; in page pixels."""
    top = int(max(y_span[0], baseline - PULSE_BAND[0] * pitch))
    bottom = int(min(y_span[1], baseline + PULSE_BAND[1] * pitch))
    left, right = int(max(0, x_span[0])), int(x_span[1])
    band = gray[top:bottom, left:right]
    if band.size == 0 or band.shape[1] < 4:
        return None
    ink = band < trace_threshold(intensity_histogram(band))
    pulse = find_pulse(ink, MIN_PULSE_MM * px_per_mm, MAX_PULSE_WIDTH_MM * px_per_mm)
    if pulse is None:
        return None
    return Pulse(pulse.height_px, pulse.width_px, pulse.left_px + left, pulse.top_px + top)


def _autocorrelation(profile: np.ndarray) -> np.ndarray:
    centred = profile - profile.mean()
    spectrum = np.fft.rfft(centred, 2 * len(centred))
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[: len(centred)]
    return ac / ac[0] if ac[0] > 0 else ac


def _is_period(ac: np.ndarray, period: float) -> bool:
    """Whether the autocorrelation peaks at ``period`` (within 4 %), above every other lag within 25 % of it."""
    near = np.arange(int(np.floor(period * 0.96)), int(np.ceil(period * 1.04)) + 1)
    around = np.arange(int(period * 0.75), int(np.ceil(period * 1.25)) + 1)
    around = around[(around < near[0]) | (around > near[-1])]
    if near[-1] >= len(ac) or around.size == 0 or around[-1] >= len(ac):
        return False
    return bool(ac[near].max() >= 0.1 and ac[near].max() > ac[around].max() + 0.02)


def grid_speed(gray: np.ndarray, grid_box: tuple[int, int, int, int], px_per_mm: float,
               ink_threshold: float) -> float | None:
    """The paper speed (mm/s) the grid's vertical 5 mm lines show, or ``None`` when they show no clear period.

    ``px_per_mm`` is the scale taken from a lead column at ``PAPER_SPEED_MM_PER_S``; at twice that speed the same
    time spans twice the millimetres, so the grid's lines are half as many pixels apart. Each standard speed's
    line spacing is tried, fastest (shortest) first, since a grid periodic at some spacing is also periodic at
    twice it.
    """
    top, bottom, left, right = grid_box
    margin = int(np.ceil(px_per_mm))
    # Every third row is enough for the vertical lines' profile, and meets dots printed every 2 or 4 rows.
    inside = gray[top + margin: bottom - margin: ROW_STRIDE, left + margin: right - margin].astype(np.float32)
    if inside.size == 0 or inside.shape[1] < 8 * GRID_LINE_MM * px_per_mm:
        return None
    darkness = np.where(inside < ink_threshold, 0.0, 255.0 - inside)  # the grid, without the traces' ink
    ac = _autocorrelation(darkness.mean(axis=0))
    for speed in sorted(STANDARD_PAPER_SPEEDS_MM_PER_S, reverse=True):
        if _is_period(ac, GRID_LINE_MM * px_per_mm * PAPER_SPEED_MM_PER_S / speed):
            return float(speed)
    return None


def measure_calibration(gray: np.ndarray, rows: list[float], grid_box: tuple[int, int, int, int], trace_left: float,
                        px_per_mm: float) -> Calibration:
    """The gain and paper speed a levelled page shows.

    Parameters
    ----------
    gray : ndarray of uint8
        The levelled page.
    rows : list of float
        Baselines of the layout's rows, top to bottom (``Layout.row_centres``).
    grid_box : (top, bottom, left, right)
        The grid area (``Layout.grid_box``).
    trace_left : float
        Where the traces start; the pulses are printed left of it.
    px_per_mm : float
        The page's scale from its lead columns, at the assumed paper speed.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> from ecg_pipeline.preprocess.pipeline import run_pipeline
    >>> result = run_pipeline(render_twelve_lead_page("normal", seed=0, gain_mm_per_mv=20.0))
    >>> result.calibration.gain_mm_per_mv, result.calibration.speed_mm_per_s
    (20.0, 25.0)
    """
    grid = gray[grid_box[0]:grid_box[1]:ROW_STRIDE, grid_box[2]:grid_box[3]:ROW_STRIDE]
    threshold = trace_threshold(intensity_histogram(grid))
    speed = grid_speed(gray, grid_box, px_per_mm, threshold)
    mm = px_per_mm * PAPER_SPEED_MM_PER_S / (speed or PAPER_SPEED_MM_PER_S)  # pixels per millimetre of paper
    pitch = float(np.median(np.diff(rows))) if len(rows) > 1 else 0.0
    x_span = (grid_box[2] + PULSE_MARGIN_MM * mm, trace_left - PULSE_MARGIN_MM * mm)
    pulses = [row_pulse(gray, y, pitch, x_span, grid_box[:2], mm) if pitch > 0 else None for y in rows]
    found = [p for p in pulses if p is not None]
    heights = tuple(p.height_px / mm for p in found)
    gain = float(np.median(heights)) if heights else None  # mm for the pulse's 1 mV
    return Calibration(gain_mm_per_mv=snap(gain, STANDARD_GAINS_MM_PER_MV), speed_mm_per_s=speed,
                       measured_gain=gain, pulse_heights_mm=heights,
                       pulse_widths_mm=tuple(p.width_px / mm for p in found),
                       rows_found=tuple(p is not None for p in pulses))

