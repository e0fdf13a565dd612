"""Page layouts other than the shared printouts': how many trace rows a page has, which of them the separator bars
cross, and so which lead grid (``LEAD_GRIDS``) and how many rhythm strips it prints.

``detect_layout`` asks ``find_other_layout`` first. The standard page (3 x 4 leads and one rhythm strip), and any
page whose rows are not clear, are left to ``detect_layout``'s own steps, so that the printouts the models learnt
from are split exactly as before. A page whose rows are clear but fit no known layout is named ``UNRECOGNISED``
and gets ``unrecognised_warning``: its leads cannot be named, and no model should read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np
from scipy.signal import find_peaks

from ..constants import (
    CABRERA_ORDER,
    INVERTED_LEADS,
    LEAD_GRIDS,
    LEAD_SECONDS,
    REFERENCE_PRINTER,
    RHYTHM_LEADS,
    STANDARD_LAYOUT,
    STANDARD_ORDER,
    USUAL_RHYTHM_STRIPS,
    check_lead_order,
    layout_name,
    printed_lead,
    read_lead,
)
from ..errors import LayoutError

if TYPE_CHECKING:
    from .layout import Layout

Box = tuple[int, int, int, int]

#: The name of a page whose trace rows fit no known layout.
UNRECOGNISED = "unrecognised"
#: Its confidence: under the 0.5 below which a page is not read as a 12-lead report.
UNRECOGNISED_CONFIDENCE = 0.3
#: The confidence of a 12 x 1 page: it has no bars, so its time scale comes from the grid's width.
NO_BARS_CONFIDENCE = 0.9
#: Rows count as evenly spaced when their gaps vary by less than this share of their mean.
ROW_REGULARITY = 0.85
#: A peak of the row profile is a trace row when at least this share of the typical row's prominence.
ROW_PROMINENCE_SHARE = 0.25
#: Lead rows whose baseline lies inside the separator bars' height, give or take this share of a row pitch.
BAR_ROW_TOLERANCE = 0.35


class UnknownLayoutError(LayoutError):
    """The page's traces are clear, but their rows and columns are not a layout this tool knows."""


@dataclass
class OtherLayout:
    """A non-standard layout found on the working-size page (see ``layout.Layout`` for the fields)."""

    name: str
    grid: str
    rows: list[float]
    pitch: float
    separators: list[float]
    trace_left: float
    quarter: float  # pixels of LEAD_SECONDS of trace
    confidence: float
    warnings: list[str] = field(default_factory=list)
    #: The usual source lead of each rhythm strip (the printed labels are not read).
    rhythm_sources: dict[str, str] = field(default_factory=dict)


def unrecognised_warning(n_rows: int, n_columns: int) -> str:
    """The sentence for a page whose layout is not known.

    Examples
    --------
    >>> unrecognised_warning(5, 2)[:60]
    'the traces form 5 rows in 2 columns, which is not a layout t'
    """
    known = "3 x 4 or 6 x 2 leads with 0 to 3 rhythm strips, or 12 x 1 leads with 0 to 2"
    return (f"the traces form {n_rows} rows in {n_columns} column{'s' if n_columns != 1 else ''}, which is not a "
            f"layout this tool knows ({known}); the leads cannot be named, so no model reads them")


def require_known_layout(layout) -> None:
    """Raise ``UnknownLayoutError`` (with ``unrecognised_warning``'s sentence) for a page whose layout is unknown."""
    if layout.name == UNRECOGNISED:
        raise UnknownLayoutError("This page's layout is not recognised: " + layout.warnings[0] + ".")


def trace_row_peaks(traces: np.ndarray, grid: Box) -> tuple[list[float], float]:
    """Every trace row of the grid area (any number, evenly spaced or not) and how evenly they are spaced (1 = even).

    Peaks of the traces' row profile that stand at least ``ROW_PROMINENCE_SHARE`` as high as the typical row's.
    """
    g_top, g_bottom = grid[:2]
    height = max(1, g_bottom - g_top)
    profile = cv2.GaussianBlur(traces.sum(axis=1).astype(np.float32).reshape(-1, 1), (1, 0),
                               sigmaX=0, sigmaY=max(1.0, height / 250.0)).ravel()
    if profile.max() <= 0:
        return [], 0.0
    peaks, props = find_peaks(profile, distance=max(2, height // 16), prominence=profile.max() * 0.05)
    if len(peaks) < 2:
        return [float(p) for p in peaks], 0.0
    prominence = props["prominences"]
    typical = float(np.median(np.sort(prominence)[::-1][:3]))
    rows = peaks[prominence >= ROW_PROMINENCE_SHARE * typical]
    if len(rows) < 2:
        return [float(p) for p in rows], 0.0
    gaps = np.diff(rows)
    return [float(r) for r in rows], max(0.0, 1.0 - float(np.std(gaps) / np.mean(gaps)))


def bar_columns(bars: np.ndarray) -> tuple[list[float], tuple[float, float]]:
    """The x of each separator bar and the rows (top, bottom) the bars span; ``[]`` when there are none."""
    profile = bars.sum(axis=0).astype(np.float32)
    if profile.max() <= 0:
        return [], (0.0, 0.0)
    peaks, _ = find_peaks(profile, distance=max(2, bars.shape[1] // 20), height=profile.max() * 0.3)
    near = np.clip(np.concatenate([peaks + d for d in (-1, 0, 1)]), 0, bars.shape[1] - 1)
    ys = np.nonzero(bars[:, near].any(axis=1))[0]
    return [float(p) for p in peaks], (float(ys.min()), float(ys.max()))


def classify(n_rows: int, separators: list[float], bar_span: tuple[float, float], rows: list[float], pitch: float,
             trace_span: tuple[float, float]) -> tuple[str, int] | None:
    """(lead grid, number of rhythm strips) that fits the rows and bars found, or ``None``.

    A grid of c columns has c - 1 bars, evenly spaced across the traces, crossing its lead rows; the rows below
    them are rhythm strips (at most ``len(RHYTHM_LEADS)``).

    Examples
    --------
    >>> classify(6, [300.0, 550.0, 800.0], (100.0, 360.0), [130, 230, 330, 430, 530, 630], 100.0, (50.0, 1050.0))
    ('3x4', 3)
    """
    left, right = trace_span
    for grid in LEAD_GRIDS.values():
        if len(separators) != grid.n_columns - 1:
            continue
        expected = [left + (right - left) * i / grid.n_columns for i in range(1, grid.n_columns)]
        if any(abs(x - e) > 0.04 * (right - left) for x, e in zip(separators, expected, strict=True)):
            continue
        if separators:
            top, bottom = bar_span
            crossed = sum(top - BAR_ROW_TOLERANCE * pitch <= r <= bottom + BAR_ROW_TOLERANCE * pitch for r in rows)
        else:
            crossed = len(grid.rows)
        strips = n_rows - len(grid.rows)
        if crossed == len(grid.rows) and 0 <= strips <= len(RHYTHM_LEADS):
            return grid.name, strips
    return None


def _trace_span(traces: np.ndarray, grid: Box, separators: list[float]) -> tuple[float, float]:
    """Where the traces start and end: the right end is the last column with ink in most rows; the start is as far
    left of the middle bar as the end is right of it, or the template's when there is no bar."""
    g_left, g_right = grid[2:]
    columns = traces[:, g_left:g_right].any(axis=0)
    inked = np.nonzero(columns)[0]
    right = float(g_left + inked[-1] + 1) if len(inked) else g_left + REFERENCE_PRINTER.template_trace_span[1] * (
        g_right - g_left)
    if separators:
        middle = (separators[0] + separators[-1]) / 2.0
        return 2.0 * middle - right, right
    return g_left + REFERENCE_PRINTER.template_trace_span[0] * (g_right - g_left), right


def find_other_layout(traces: np.ndarray, bars: np.ndarray, grid: Box) -> OtherLayout | None:
    """A layout other than the standard one, or ``UNRECOGNISED``, found from the trace rows and bars of the
    working-size page; ``None`` for the standard layout and for a page without clear rows (``detect_layout``'s own
    steps then apply, as they always have)."""
    rows, regularity = trace_row_peaks(traces, grid)
    if len(rows) < 3 or regularity < ROW_REGULARITY or len(rows) == 4:
        return None  # four rows is the standard page: its split must not change
    pitch = float(np.median(np.diff(rows)))
    separators, bar_span = bar_columns(bars)
    span = _trace_span(traces, grid, separators)
    found = classify(len(rows), separators, bar_span, rows, pitch, span)
    if found is None:
        return OtherLayout(name=UNRECOGNISED, grid="", rows=rows, pitch=pitch, separators=separators,
                           trace_left=span[0], quarter=(span[1] - span[0]) / 4.0,
                           confidence=UNRECOGNISED_CONFIDENCE,
                           warnings=[unrecognised_warning(len(rows), len(separators) + 1)])
    grid_name, strips = found
    name = layout_name(grid_name, strips)
    if name == STANDARD_LAYOUT:
        return None
    if len(separators) >= 2:  # as the standard page: the bars' spacing is the column
        column = float(np.mean(np.diff(separators)))
        left = separators[0] - column
    elif separators:
        column = float(np.mean(np.diff([span[0], *separators, span[1]])))
        left = separators[0] - column
    else:
        left, column = span[0], span[1] - span[0]
    quarter = column * LEAD_SECONDS / LEAD_GRIDS[grid_name].lead_seconds
    sources = dict(zip(RHYTHM_LEADS, USUAL_RHYTHM_STRIPS[strips], strict=False))
    return OtherLayout(name=name, grid=grid_name, rows=rows, pitch=pitch, separators=separators, trace_left=left,
                       quarter=quarter, confidence=1.0 if separators else NO_BARS_CONFIDENCE,
                       rhythm_sources=sources)


def other_boxes(found: OtherLayout, to_box) -> dict[str, Box]:
    """Each lead's box on a non-standard page: its row's band, its column less a margin that keeps the bars out
    (the standard page's margin: 3 % of 2.5 s). An unrecognised page gets none."""
    if found.name == UNRECOGNISED:
        return {}
    grid = LEAD_GRIDS[found.grid]
    column = found.quarter * grid.lead_seconds / LEAD_SECONDS
    margin = 0.03 * found.quarter
    boxes: dict[str, Box] = {}
    for r, names in enumerate(grid.rows):
        for c, name in enumerate(names):
            x0 = found.trace_left + c * column
            boxes[name] = to_box(found.rows[r] - found.pitch / 2, found.rows[r] + found.pitch / 2, x0 + margin,
                                 x0 + column - margin)
    right = found.trace_left + grid.n_columns * column
    for k, name in enumerate(list(found.rhythm_sources)):
        r = found.rows[len(grid.rows) + k]
        boxes[name] = to_box(r - found.pitch / 2, r + found.pitch / 2, found.trace_left + margin, right - margin)
    return boxes


def other_layout_fields(found: OtherLayout, grid: Box, inv: float, to_box, warnings: list[str],
                        penalties: list[float]) -> dict:
    """``layout.Layout``'s fields for a non-standard layout, in pixels of the page (``inv``: page pixels per
    working pixel; ``warnings`` and ``penalties``: those of the steps before, a missing grid border)."""
    return dict(boxes=other_boxes(found, to_box), grid_box=to_box(*grid), row_centres=[r * inv for r in found.rows],
                separators=[s * inv for s in found.separators], column_width=found.quarter * inv,
                trace_left=found.trace_left * inv, confidence=float(np.clip(found.confidence - sum(penalties), 0, 1)),
                warnings=warnings + found.warnings, name=found.name,
                lead_seconds=LEAD_GRIDS[found.grid].lead_seconds, rhythm_sources=found.rhythm_sources)


#: The standard page's lead box: its height (one row pitch) over the width of 2.5 s of trace. The networks learnt
#: leads of this shape; a lead of another layout is shown to them cut and padded to it.
STANDARD_BOX_HEIGHT = ((REFERENCE_PRINTER.row_baselines[1] - REFERENCE_PRINTER.row_baselines[0])
                       / (REFERENCE_PRINTER.column_edges[1] - REFERENCE_PRINTER.column_edges[0]))


def network_binary(binary: np.ndarray, column_width: float, strip: bool) -> np.ndarray:
    """A lead's binary image as the networks expect it from a non-standard page: the first 2.5 s of a longer lead
    (a rhythm strip keeps its 10 s, as on the standard page), and its height cut or padded with blank rows, about
    its centre, to the standard box's shape at this page's scale (``column_width``: pixels of 2.5 s).

    Examples
    --------
    >>> lead = np.zeros((100, 1000), bool)
    >>> network_binary(lead, 490.0, strip=False).shape
    (300, 461)
    """
    width = binary.shape[1] if strip else min(binary.shape[1], int(round(0.94 * column_width)))
    height = max(1, int(round(STANDARD_BOX_HEIGHT * column_width)))
    cut = binary[:, :width]
    extra = height - cut.shape[0]
    if extra <= 0:
        return cut[-extra // 2: -extra // 2 + height]
    return np.pad(cut, ((extra // 2, extra - extra // 2), (0, 0)))


def in_lead_order(layout: Layout, lead_order: str = STANDARD_ORDER) -> Layout:
    """``layout`` (a ``layout.Layout`` found in the standard order) with its boxes named as a page in ``lead_order``
    prints them: on a Cabrera page the box in lead I's place holds aVL, and the one in III's place -aVR, read as aVR
    once turned back (``inverted``). The printed labels are not read: the user says which order the page has.

    Examples
    --------
    >>> from ecg_pipeline.preprocess.layout import Layout
    >>> boxes = {name: (0, 1, i, i + 1) for i, name in enumerate(["I", "II", "III", "aVR", "V1"])}
    >>> cabrera = in_lead_order(Layout(boxes, (0, 1, 0, 5), [], [], 1.0, 0.0, 1.0), "cabrera")
    >>> cabrera.boxes["aVR"], cabrera.boxes["I"], cabrera.boxes["V1"], cabrera.inverted
    ((0, 1, 2, 3), (0, 1, 1, 2), (0, 1, 4, 5), ('aVR',))
    """
    check_lead_order(lead_order)
    if layout.lead_order == lead_order:
        return layout
    if layout.lead_order != STANDARD_ORDER:
        raise ValueError(f"in_lead_order names a layout found in the standard order, not one in {layout.lead_order}.")
    held = {read_lead(place, lead_order): box for place, box in layout.boxes.items()}
    inverted = tuple(read_lead(place, lead_order) for place in layout.boxes
                     if printed_lead(place, lead_order) in INVERTED_LEADS)
    # In the standard names' order, which the leads are processed and shown in.
    boxes = {name: held[name] for name in dict.fromkeys([*layout.boxes, *held]) if name in held}
    return replace(layout, boxes=boxes, lead_order=lead_order, inverted=inverted)


def layout_title(name: str, lead_order: str = STANDARD_ORDER) -> str:
    """A layout's name as a person reads it.

    Examples
    --------
    >>> layout_title("3x4+2"), layout_title("12x1"), layout_title(UNRECOGNISED)
    ('3 x 4 leads of 2.5 s and 2 rhythm strips', '12 leads of 10 s', 'a layout that was not recognised')
    >>> layout_title("6x2+1", "cabrera")
    '6 x 2 leads of 5 s in Cabrera order and 1 rhythm strip'
    """
    if name == UNRECOGNISED:
        return "a layout that was not recognised"
    grid, _, strips = name.partition("+")
    n = int(strips or 0)
    title = LEAD_GRIDS[grid].title + (" in Cabrera order" if lead_order == CABRERA_ORDER else "")
    if n:
        return f"{title} and {n} rhythm strip{'s' if n > 1 else ''}"
    return f"{title}, no rhythm strip" if LEAD_GRIDS[grid].n_columns > 1 else title
