"""The 12-lead report page: the reference printer's grid, header, footer, calibration pulses and traces."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..constants import (
    GAIN_MM_PER_MV,
    LAYOUT_ROWS,
    LEAD_SECONDS,
    N_LAYOUT_COLUMNS,
    PAPER_SPEED_MM_PER_S,
    REFERENCE_PRINTER,
    RHYTHM_LEAD,
    RHYTHM_SECONDS,
)
from .records import _simulate
from .waves import RHYTHM_SOURCE_LEAD, Wave

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


def _draw_grid(page: np.ndarray, scale: _PageScale) -> None:
    top, bottom, left, right = (scale.y(_GRID_BOX[0]), scale.y(_GRID_BOX[1]),
                                scale.x(_GRID_BOX[2]), scale.x(_GRID_BOX[3]))
    mm_x = px_per_mm() * scale.sx
    mm_y = px_per_mm() * scale.sy
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


def _draw_footer(page: np.ndarray, scale: _PageScale, rng: np.random.Generator, heart_rate: float) -> None:
    settings = (f"0.67~25Hz  AC50  {PAPER_SPEED_MM_PER_S:g}mm/s  {GAIN_MM_PER_MV:g}mm/mV  "
                f"{N_LAYOUT_COLUMNS}*{LEAD_SECONDS:g}s+1r  HR {int(round(heart_rate))}  "
                "SE-3 V1.0  SEMIP V1.7")
    _text(page, settings, (68, 1552), scale, 0.62)
    hour, minute, second = int(rng.integers(1, 13)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    date = (f"{int(rng.integers(2019, 2022))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
            f"   {hour:02d}:{minute:02d}:{second:02d} {rng.choice(['AM', 'PM'])}")
    _text(page, date, (2176, 1552), scale, 0.62, align="right")


#: How far a trace may swing from its baseline before the printer clips it: just under half the rows' pitch.
_HALF_PITCH = 0.47 * (_ROW_BASELINES[1] - _ROW_BASELINES[0])


def _print_window(column: int, n_columns: int, fs: int) -> tuple[int, int]:
    """Samples a printer shows in one column: each lead during its own column's time, not from 0 s."""
    seconds = RHYTHM_SECONDS / n_columns
    return int(round(column * seconds * fs)), int(round((column + 1) * seconds * fs))


def printed_signals(ecg_class: str, seed: int = 0, heart_rate: float | None = None,
                    extra_waves: tuple[Wave, ...] = ()) -> dict[str, np.ndarray]:
    """What ``render_twelve_lead_page`` prints with the same arguments, in mV at 500 Hz over the page's 10 s:
    each lead inside its column's window and NaN elsewhere, clipped where the printer clips it. The truth a
    digitizer is judged against.

    Examples
    --------
    >>> printed = printed_signals("normal", seed=0)
    >>> bool(np.isnan(printed["aVR"][:1250]).all()), bool(np.isfinite(printed["aVR"][1250:2500]).all())
    (True, True)
    """
    fs = 500
    signals, _ = _simulate(ecg_class, RHYTHM_SECONDS, fs, seed, heart_rate, extra_waves)
    limit_mv = _HALF_PITCH / (GAIN_MM_PER_MV * px_per_mm())
    printed = {}
    for names in (*LAYOUT_ROWS, (RHYTHM_LEAD,)):
        for column, name in enumerate(names):
            i0, i1 = _print_window(column, len(names), fs)
            trace = np.full(len(signals[name]), np.nan)
            trace[i0:i1] = np.clip(signals[name][i0:i1], -limit_mv, limit_mv)
            printed[name] = trace
    return printed


def _draw_traces(page: np.ndarray, scale: _PageScale, signals: dict[str, np.ndarray], fs: int) -> None:
    px_per_s = (_TRACE_X[1] - _TRACE_X[0]) / RHYTHM_SECONDS
    px_per_mv = GAIN_MM_PER_MV * px_per_mm()  # reference pixels; y is scaled below
    thickness = scale.thickness(2.4)
    rows = [*LAYOUT_ROWS, (RHYTHM_LEAD,)]
    for baseline, names in zip(_ROW_BASELINES, rows, strict=True):
        seconds = RHYTHM_SECONDS / len(names)
        # The 1 mV calibration pulse lets a reader check the gain of this very print.
        x0, x1 = _CAL_PULSE_X
        top = baseline - px_per_mv
        cal = np.array([(x0 - 8, baseline), (x0, baseline), (x0, top), (x1, top), (x1, baseline),
                        (x1 + 8, baseline)])
        _polyline(page, cal[:, 0] * scale.sx, cal[:, 1] * scale.sy, thickness)
        for c, name in enumerate(names):
            i0, i1 = _print_window(c, len(names), fs)
            mv = signals[name][i0:i1]
            xs = _TRACE_X[0] + (np.arange(i0, i0 + len(mv)) / fs) * px_per_s
            ys = baseline - np.clip(mv * px_per_mv, -_HALF_PITCH, _HALF_PITCH)
            _polyline(page, xs * scale.sx, ys * scale.sy, thickness)
            label = RHYTHM_SOURCE_LEAD if name == RHYTHM_LEAD else name
            label_x = _TRACE_X[0] + c * seconds * px_per_s + 6.0
            _text(page, label, (label_x, baseline - 8.0), scale, 0.8, 1.6)
    column_px = LEAD_SECONDS * px_per_s
    for c in range(1, N_LAYOUT_COLUMNS):
        x = _TRACE_X[0] + c * column_px
        cv2.line(page, scale.pt(x, _SEPARATOR_Y[0]), scale.pt(x, _SEPARATOR_Y[1]), _INK_RGB,
                 scale.thickness(3.0))


def render_twelve_lead_page(ecg_class: str, seed: int = 0, width: int = REFERENCE_PAGE_SIZE[0],
                            height: int = REFERENCE_PAGE_SIZE[1], heart_rate: float | None = None,
                            extra_waves: tuple[Wave, ...] = ()) -> np.ndarray:
    """Draw a 12-lead report page (3 x 4 leads of 2.5 s and a 10 s rhythm strip) for one class.

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
    fs = 500
    signals, rate = _simulate(ecg_class, RHYTHM_SECONDS, fs, seed, heart_rate, extra_waves)
    rng = np.random.default_rng([seed, 2])
    scale = _PageScale(width / REFERENCE_PAGE_SIZE[0], height / REFERENCE_PAGE_SIZE[1])
    page = np.full((height, width, 3), 255, dtype=np.uint8)
    _draw_grid(page, scale)
    top, bottom, left, right = _GRID_BOX
    cv2.rectangle(page, scale.pt(left, top), scale.pt(right, bottom), _BORDER_RGB, scale.thickness(3.0))
    _draw_traces(page, scale, signals, fs)
    _draw_header(page, scale, rng)
    _draw_footer(page, scale, rng, rate)
    return page

