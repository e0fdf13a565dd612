"""The 12-lead report page: the reference printer's grid, header, footer, calibration pulses and traces."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..constants import (
    GAIN_MM_PER_MV,
    INVERTED_LEADS,
    LEAD_GRIDS,
    PAPER_SPEED_MM_PER_S,
    REFERENCE_PRINTER,
    RHYTHM_LEADS,
    RHYTHM_SECONDS,
    STANDARD_GRID,
    STANDARD_ORDER,
    printed_lead,
)
from .records import _simulate
from .waves import RHYTHM_SOURCE_LEAD, TWELVE_LEADS, Wave

# --- Page geometry, in pixels of a 2213 x 1572 report page (scaled to the requested size) -----------
REFERENCE_PAGE_SIZE = REFERENCE_PRINTER.page_size
_GRID_BOX = REFERENCE_PRINTER.grid_box
_TRACE_X = REFERENCE_PRINTER.trace_x
_ROW_BASELINES = REFERENCE_PRINTER.row_baselines
_CAL_PULSE_X = REFERENCE_PRINTER.calibration_pulse_x
_SEPARATOR_Y = REFERENCE_PRINTER.separator_y
_BORDER_RGB = (240, 150, 150)
_MM_DOT_RGB = (232, 212, 216)
_FIVE_MM_DOT_RGB = (218, 178, 188)
_INK_RGB = (0, 0, 0)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
FIXED_POINT_BITS = 4  # sub-pixel precision of cv2.polylines

# --- The 12-lead report page -----------------------------------------------------------------------
@dataclass(frozen=True)
class _PageScale:
    sx: float
    sy: float

    def x(self, ref_x: float) -> float:
        return ref_x * self.sx

    def y(self, ref_y: float) -> float:
        return ref_y * self.sy

    def pt(self, ref_x: float, ref_y: float) -> tuple[int, int]:
        return int(round(ref_x * self.sx)), int(round(ref_y * self.sy))

    @property
    def s(self) -> float:
        return min(self.sx, self.sy)

    def thickness(self, ref_px: float) -> int:
        return max(1, int(round(ref_px * self.s)))


def px_per_mm(width: int = REFERENCE_PAGE_SIZE[0]) -> float:
    """Horizontal pixels per millimetre of paper on a page ``width`` pixels wide.

    Examples
    --------
    >>> round(px_per_mm(), 2)
    7.86
    """
    px_per_second = (_TRACE_X[1] - _TRACE_X[0]) / RHYTHM_SECONDS
    return px_per_second / PAPER_SPEED_MM_PER_S * width / REFERENCE_PAGE_SIZE[0]


def paper_mm(speed_mm_per_s: float = PAPER_SPEED_MM_PER_S) -> float:
    """Pixels of the reference page per millimetre of paper at a paper speed: the lead columns hold their seconds at
    any speed, so at 50 mm/s a millimetre is half as many pixels (the grid twice as dense, a millivolt half as tall).

    Examples
    --------
    >>> round(paper_mm(50.0) / paper_mm(), 2)
    0.5
    """
    return px_per_mm() * PAPER_SPEED_MM_PER_S / speed_mm_per_s


def _draw_grid(page: np.ndarray, scale: _PageScale, mm: float) -> None:
    top, bottom, left, right = (scale.y(_GRID_BOX[0]), scale.y(_GRID_BOX[1]),
                                scale.x(_GRID_BOX[2]), scale.x(_GRID_BOX[3]))
    mm_x = mm * scale.sx
    mm_y = mm * scale.sy
    xs_mm = np.arange(left + mm_x, right - 1, mm_x)
    ys_mm = np.arange(top + mm_y, bottom - 1, mm_y)
    xi = np.round(xs_mm).astype(int)
    yi = np.round(ys_mm).astype(int)
    page[np.ix_(yi, xi)] = _MM_DOT_RGB
    # Like the reference printer's, the 5 mm lines are dotted, not solid: solid lines would be dark
    # enough to pass for ink once a page is downscaled.
    y_dense = np.arange(int(top) + 2, int(bottom) - 1, 2)
    x_dense = np.arange(int(left) + 2, int(right) - 1, 2)
    page[np.ix_(yi[4::5], x_dense)] = _FIVE_MM_DOT_RGB
    page[np.ix_(y_dense, xi[4::5])] = _FIVE_MM_DOT_RGB


def _polyline(page: np.ndarray, xs: np.ndarray, ys: np.ndarray, thickness: int) -> None:
    factor = 1 << FIXED_POINT_BITS
    points = np.round(np.stack([xs, ys], axis=1) * factor).astype(np.int32)
    cv2.polylines(page, [points.reshape(-1, 1, 2)], isClosed=False, color=_INK_RGB, thickness=thickness,
                  lineType=cv2.LINE_AA, shift=FIXED_POINT_BITS)


def _text(page: np.ndarray, text: str, ref_xy: tuple[float, float], scale: _PageScale, size: float,
          weight: float = 1.5, align: str = "left") -> None:
    font_scale = size * scale.s
    thickness = scale.thickness(weight)
    x, y = scale.pt(*ref_xy)
    if align != "left":
        (w, _), _ = cv2.getTextSize(text, _FONT, font_scale, thickness)
        x -= w // 2 if align == "centre" else w
    cv2.putText(page, text, (x, y), _FONT, font_scale, _INK_RGB, thickness, cv2.LINE_AA)


def _draw_header(page: np.ndarray, scale: _PageScale, rng: np.random.Generator) -> None:
    _text(page, "ECG REPORT", (REFERENCE_PAGE_SIZE[0] / 2, 58), scale, 1.45, 2.5, align="centre")
    fields = [(68, f"ID : {int(rng.integers(100000, 999999))}"), (320, f"{int(rng.integers(25, 85))} Years"),
              (450, str(rng.choice(["Male", "Female"]))), (620, "cm"), (760, "kg"), (900, "/    mmHg"),
              (1095, "Race:Unknown"), (1335, "Room No.:"), (1525, "Department:")]
    for x, text in fields:
        _text(page, text, (x, 92), scale, 0.75)
    _text(page, "Exam.Room:", (68, 125), scale, 0.75)
    _text(page, "Medication:", (278, 125), scale, 0.75)
    for y in (137.0, 144.0):
        cv2.line(page, scale.pt(68, y), scale.pt(2155, y), _INK_RGB, scale.thickness(2.5), cv2.LINE_AA)
    _text(page, "Diagnosis Information:", (68, 172), scale, 0.75)
    for y, text in ((202, "Technician :"), (235, "Ref-Phys. :"), (268, "Report Confirmed by:")):
        _text(page, text, (1555, y), scale, 0.75)


def _draw_footer(page: np.ndarray, scale: _PageScale, rng: np.random.Generator, heart_rate: float,
                 plan: PagePlan, gain_mm_per_mv: float = GAIN_MM_PER_MV,
                 speed_mm_per_s: float = PAPER_SPEED_MM_PER_S) -> None:
    grid = LEAD_GRIDS[plan.grid]
    settings = (f"0.67~25Hz  AC50  {speed_mm_per_s:g}mm/s  {gain_mm_per_mv:g}mm/mV  "
                f"{grid.n_columns}*{grid.lead_seconds:g}s+{len(plan.rhythm_strips)}r  HR {int(round(heart_rate))}  "
                "SE-3 V1.0  SEMIP V1.7")
    _text(page, settings, (68, 1552), scale, 0.62)
    hour, minute, second = int(rng.integers(1, 13)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    date = (f"{int(rng.integers(2019, 2022))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
            f"   {hour:02d}:{minute:02d}:{second:02d} {rng.choice(['AM', 'PM'])}")
    _text(page, date, (2176, 1552), scale, 0.62, align="right")


#: How far a trace may swing from its baseline before the printer clips it, as a share of the rows' pitch.
_HALF_PITCH_SHARE = 0.47


@dataclass(frozen=True)
class PagePlan:
    """What a page prints: a lead grid (a ``LEAD_GRIDS`` name) in a lead order (``LEAD_ORDERS``), and the source
    lead of each rhythm strip below it.

    Examples
    --------
    >>> plan = PagePlan("3x4", ("II", "V1"))
    >>> [names for names, _ in plan.rows()][-2:], len(plan.baselines())
    ([('rhythm',), ('rhythm_2',)], 5)
    >>> [sources for _, sources in PagePlan(lead_order="cabrera").rows()][0]
    ('aVL', 'II', 'V1', 'V4')
    """

    grid: str = STANDARD_GRID
    rhythm_strips: tuple[str, ...] = (RHYTHM_SOURCE_LEAD,)
    lead_order: str = STANDARD_ORDER

    def __post_init__(self) -> None:
        if self.grid not in LEAD_GRIDS:
            raise ValueError(f"Unknown lead grid {self.grid!r}: use one of {', '.join(LEAD_GRIDS)}.")
        if len(self.rhythm_strips) > len(RHYTHM_LEADS) or not set(self.rhythm_strips) <= set(TWELVE_LEADS):
            raise ValueError(f"Rhythm strips must be at most {len(RHYTHM_LEADS)} of the 12 leads, not "
                             f"{', '.join(self.rhythm_strips)}.")

    def rows(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """Each printed row, top to bottom: (the names of its leads, the leads whose signals it prints, as its labels
        say: "-aVR" is aVR upside down)."""
        lead_rows = [(names, tuple(printed_lead(name, self.lead_order) for name in names))
                     for names in LEAD_GRIDS[self.grid].rows]
        strips = [((name,), (source,)) for name, source in zip(RHYTHM_LEADS, self.rhythm_strips, strict=False)]
        return lead_rows + strips

    def baselines(self) -> tuple[float, ...]:
        """Each row's baseline on the reference page: the reference printer's four rows, or as many spread over
        the grid with the same margins above the first and below the last."""
        n = len(LEAD_GRIDS[self.grid].rows) + len(self.rhythm_strips)
        if n == len(_ROW_BASELINES):
            return _ROW_BASELINES
        return spread_baselines(n)

    def separator_y(self) -> tuple[float, float]:
        """Top and bottom of the separator bars, which span the lead rows (not the rhythm strips)."""
        if self.baselines() is _ROW_BASELINES and self.grid == STANDARD_GRID:
            return _SEPARATOR_Y
        ref_pitch = _ROW_BASELINES[1] - _ROW_BASELINES[0]
        above = (_ROW_BASELINES[0] - _SEPARATOR_Y[0]) / ref_pitch
        below = (_SEPARATOR_Y[1] - _ROW_BASELINES[2]) / ref_pitch
        baselines, pitch = self.baselines(), self.pitch()
        last = baselines[len(LEAD_GRIDS[self.grid].rows) - 1]
        return baselines[0] - above * pitch, last + below * pitch

    def pitch(self) -> float:
        baselines = self.baselines()
        return baselines[1] - baselines[0]


def spread_baselines(n_rows: int) -> tuple[float, ...]:
    """Baselines of ``n_rows`` evenly spaced rows on the reference page, with the reference printer's margins
    (in row pitches) between the grid's top and the first, and between the last and the grid's bottom.

    Examples
    --------
    >>> [round(y) for y in spread_baselines(4)]
    [463, 765, 1066, 1368]
    """
    ref_pitch = (_ROW_BASELINES[-1] - _ROW_BASELINES[0]) / (len(_ROW_BASELINES) - 1)
    above, below = (_ROW_BASELINES[0] - _GRID_BOX[0]) / ref_pitch, (_GRID_BOX[1] - _ROW_BASELINES[-1]) / ref_pitch
    pitch = (_GRID_BOX[1] - _GRID_BOX[0]) / (n_rows - 1 + above + below)
    return tuple(_GRID_BOX[0] + pitch * (above + i) for i in range(n_rows))


def _print_window(column: int, n_columns: int, fs: int) -> tuple[int, int]:
    """Samples a printer shows in one column: each lead during its own column's time, not from 0 s."""
    seconds = RHYTHM_SECONDS / n_columns
    return int(round(column * seconds * fs)), int(round((column + 1) * seconds * fs))


def _trace_of(signals: dict[str, np.ndarray], source: str) -> np.ndarray:
    """The signal a label names: "-aVR" is aVR upside down."""
    return -signals[INVERTED_LEADS[source]] if source in INVERTED_LEADS else signals[source]


def printed_signals(ecg_class: str, seed: int = 0, heart_rate: float | None = None,
                    extra_waves: tuple[Wave, ...] = (), grid: str = STANDARD_GRID,
                    rhythm_strips: tuple[str, ...] = (RHYTHM_SOURCE_LEAD,),
                    gain_mm_per_mv: float = GAIN_MM_PER_MV, lead_order: str = STANDARD_ORDER,
                    speed_mm_per_s: float = PAPER_SPEED_MM_PER_S) -> dict[str, np.ndarray]:
    """What ``render_twelve_lead_page`` prints with the same arguments, in mV at 500 Hz over the page's 10 s:
    each lead inside its column's window and NaN elsewhere, clipped where the printer clips it. The truth a
    digitizer is judged against. Each lead is named, and signed, as it is read: the -aVR of a Cabrera page is aVR.

    Examples
    --------
    >>> printed = printed_signals("normal", seed=0)
    >>> bool(np.isnan(printed["aVR"][:1250]).all()), bool(np.isfinite(printed["aVR"][1250:2500]).all())
    (True, True)
    """
    fs = 500
    plan = PagePlan(grid, tuple(rhythm_strips), lead_order)
    signals, _ = _simulate(ecg_class, RHYTHM_SECONDS, fs, seed, heart_rate, extra_waves)
    limit_mv = _HALF_PITCH_SHARE * plan.pitch() / (gain_mm_per_mv * paper_mm(speed_mm_per_s))
    printed = {}
    for names, sources in plan.rows():
        for column, (name, source) in enumerate(zip(names, sources, strict=True)):
            i0, i1 = _print_window(column, len(names), fs)
            read = INVERTED_LEADS.get(source, source)
            trace = np.full(len(signals[read]), np.nan)
            trace[i0:i1] = np.clip(signals[read][i0:i1], -limit_mv, limit_mv)
            printed[read if name in TWELVE_LEADS else name] = trace
    return printed


def _draw_traces(page: np.ndarray, scale: _PageScale, signals: dict[str, np.ndarray], fs: int,
                 plan: PagePlan, gain_mm_per_mv: float = GAIN_MM_PER_MV,
                 speed_mm_per_s: float = PAPER_SPEED_MM_PER_S) -> None:
    px_per_s = (_TRACE_X[1] - _TRACE_X[0]) / RHYTHM_SECONDS
    px_per_mv = gain_mm_per_mv * paper_mm(speed_mm_per_s)  # reference pixels; y is scaled below
    thickness = scale.thickness(2.4)
    half_pitch = _HALF_PITCH_SHARE * plan.pitch()
    for baseline, (names, sources) in zip(plan.baselines(), plan.rows(), strict=True):
        seconds = RHYTHM_SECONDS / len(names)
        # The 1 mV calibration pulse lets a reader check the gain of this very print.
        x0, x1 = _CAL_PULSE_X
        top = baseline - px_per_mv
        cal = np.array([(x0 - 8, baseline), (x0, baseline), (x0, top), (x1, top), (x1, baseline),
                        (x1 + 8, baseline)])
        _polyline(page, cal[:, 0] * scale.sx, cal[:, 1] * scale.sy, thickness)
        for c, source in enumerate(sources):
            i0, i1 = _print_window(c, len(names), fs)
            mv = _trace_of(signals, source)[i0:i1]
            xs = _TRACE_X[0] + (np.arange(i0, i0 + len(mv)) / fs) * px_per_s
            ys = baseline - np.clip(mv * px_per_mv, -half_pitch, half_pitch)
            _polyline(page, xs * scale.sx, ys * scale.sy, thickness)
            label_x = _TRACE_X[0] + c * seconds * px_per_s + 6.0
            _text(page, source, (label_x, baseline - 8.0), scale, 0.8, 1.6)
    grid = LEAD_GRIDS[plan.grid]
    column_px = grid.lead_seconds * px_per_s
    bar_top, bar_bottom = plan.separator_y()
    for c in range(1, grid.n_columns):
        x = _TRACE_X[0] + c * column_px
        cv2.line(page, scale.pt(x, bar_top), scale.pt(x, bar_bottom), _INK_RGB, scale.thickness(3.0))


def render_twelve_lead_page(ecg_class: str, seed: int = 0, width: int = REFERENCE_PAGE_SIZE[0],
                            height: int = REFERENCE_PAGE_SIZE[1], heart_rate: float | None = None,
                            extra_waves: tuple[Wave, ...] = (), grid: str = STANDARD_GRID,
                            rhythm_strips: tuple[str, ...] = (RHYTHM_SOURCE_LEAD,),
                            gain_mm_per_mv: float = GAIN_MM_PER_MV, lead_order: str = STANDARD_ORDER,
                            speed_mm_per_s: float = PAPER_SPEED_MM_PER_S) -> np.ndarray:
    """Draw a 12-lead report page for one class: by default the shared printouts' layout (3 x 4 leads of 2.5 s and
    a 10 s rhythm strip of lead II).

    Parameters
    ----------
    ecg_class : str
        One of ``TASK_SPECS["twelve_lead"].classes``.
    seed : int
        Makes the page reproducible (signals, patient ID, date).
    width, height : int
        Size of the page in pixels; the layout scales with it.
    heart_rate : float, optional
        Mean rate in bpm; class-typical when omitted. The footer prints the rate of the drawn beats.
    extra_waves : tuple of Wave
        Waves added to every beat (see ``simulate_twelve_lead``).
    grid : str
        The lead grid, one of ``LEAD_GRIDS`` ("3x4", "6x2", "12x1").
    rhythm_strips : tuple of str
        The lead of each 10 s rhythm strip under the grid, top to bottom: none to three (``USUAL_RHYTHM_STRIPS``).
        The rows share the grid area evenly; the standard four rows keep the reference printer's places.
    gain_mm_per_mv : float
        The print's gain: the height of the 1 mV calibration pulses and of every trace's millivolt (printed in the
        footer too); pass the same to ``printed_signals``, which clips at the same height.
    lead_order : str
        The order of the limb leads (``LEAD_ORDERS``): "cabrera" prints aVL, I, -aVR, II, aVF, III where the
        standard order has I, II, III, aVR, aVL, aVF, each with its label.
    speed_mm_per_s : float
        The paper speed the grid is drawn at (``paper_mm``; printed in the footer too); each column keeps its seconds,
        so a page at 50 mm/s has a grid twice as dense and traces half as tall. Pass the same to ``printed_signals``.

    Returns
    -------
    page : ndarray of uint8, shape (height, width, 3)
        RGB.

    Examples
    --------
    >>> render_twelve_lead_page("normal", seed=0, width=1106, height=786).shape
    (786, 1106, 3)
    """
    if width < 200 or height < 150:
        raise ValueError(f"A page of {width} x {height} px is too small to draw.")
    plan = PagePlan(grid, tuple(rhythm_strips), lead_order)
    fs = 500
    signals, rate = _simulate(ecg_class, RHYTHM_SECONDS, fs, seed, heart_rate, extra_waves)
    rng = np.random.default_rng([seed, 2])
    scale = _PageScale(width / REFERENCE_PAGE_SIZE[0], height / REFERENCE_PAGE_SIZE[1])
    page = np.full((height, width, 3), 255, dtype=np.uint8)
    _draw_grid(page, scale, paper_mm(speed_mm_per_s))
    top, bottom, left, right = _GRID_BOX
    cv2.rectangle(page, scale.pt(left, top), scale.pt(right, bottom), _BORDER_RGB, scale.thickness(3.0))
    _draw_traces(page, scale, signals, fs, plan, gain_mm_per_mv, speed_mm_per_s)
    _draw_header(page, scale, rng)
    _draw_footer(page, scale, rng, rate, plan, gain_mm_per_mv, speed_mm_per_s)
    return page

