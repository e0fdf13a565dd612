"""Find the lead boxes of a 12-lead report page from the image itself.

The page is read as structure, not as coordinates of one scanner: the pink grid border gives the grid
area, peaks of the horizontal projection of dark pixels give the trace rows, and long vertical strokes
give the separator bars between the four 2.5 s columns. Because every column holds the same 2.5 s, the
outer edges follow from the bar spacing. Only when that structure is missing do we fall back to a
template expressed relative to the detected grid area.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.signal import find_peaks

from ..constants import (
    LAYOUT_ROWS,
    LEAD_SECONDS,
    N_LAYOUT_COLUMNS,
    REFERENCE_PRINTER,
    RHYTHM_LEAD,
    STANDARD_LAYOUT,
    STANDARD_ORDER,
)
from .layouts import UNRECOGNISED, UNRECOGNISED_CONFIDENCE, find_other_layout, other_layout_fields
from .stages import shrink, shrink_by

Box = tuple[int, int, int, int]  # (top, bottom, left, right), pixels, bottom/right exclusive

#: Work on a copy this wide: enough for the structure, cheap at any input resolution.
WORKING_WIDTH = 1100
#: The warning of a page whose separator bars do not fit a 3 x 4 layout: its lead names may be wrong.
MISPLACED_COLUMNS = "the separator bars are not where a 3 x 4 layout puts them"


@dataclass
class Layout:
    """Where the leads of a page are.

    Attributes
    ----------
    boxes : dict of lead name -> (top, bottom, left, right)
        In pixels of the (deskewed) page, which has the original image's size.
    grid_box : (top, bottom, left, right)
        The grid area found on the page.
    row_centres : list of float
        Baseline height of the three lead rows and the rhythm strip.
    separators : list of float
        x of the separator bars between columns (empty when none were found).
    column_width : float
        Width of one lead column (``LEAD_SECONDS`` of trace) in pixels of the page: the page's scale.
    trace_left : float
        x where the first column, and the rhythm strip, start: time 0 of the page's clock. The lead boxes
        start a little to its right, clear of the bars.
    confidence : float
        0 (no 12-lead structure found, template used) to 1 (every cue found and consistent).
    warnings : list of str
        Plain-language reasons for a lower confidence.
    name : str
        The layout found: ``STANDARD_LAYOUT`` ("3x4+1"), another ``layout_name`` ("3x4+0", "6x2+1", "12x1"), or
        ``UNRECOGNISED`` (clear rows of traces in no known layout; ``boxes`` are then the standard template's).
    lead_seconds : float
        Seconds of trace in each of the 12 leads (2.5 on a 3 x 4 page); ``column_width`` is always 2.5 s of trace.
    rhythm_sources : dict of rhythm strip name -> lead
        The lead each rhythm strip usually repeats on such a page (the printed labels are not read).
    lead_order : str
        The order the page prints its limb leads in (a ``LEAD_ORDERS`` name), as the user said; ``boxes`` are named by
        the lead each box holds in that order (see ``layouts.in_lead_order``).
    inverted : tuple of str
        Leads printed upside down (Cabrera's -aVR), whose crops are turned back before they are read.
    """

    boxes: dict[str, Box]
    grid_box: Box
    row_centres: list[float]
    separators: list[float]
    column_width: float
    trace_left: float
    confidence: float
    warnings: list[str] = field(default_factory=list)
    name: str = STANDARD_LAYOUT
    lead_seconds: float = LEAD_SECONDS
    rhythm_sources: dict[str, str] = field(default_factory=lambda: {RHYTHM_LEAD: "II"})
    lead_order: str = STANDARD_ORDER
    inverted: tuple[str, ...] = ()

    @property
    def recognised(self) -> bool:
        return self.name != UNRECOGNISED


def flatten_shading(gray: np.ndarray, window: int = 15) -> np.ndarray:
    """The page divided by its local paper brightness, so that a shadow or uneven lighting leaves white paper
    white: the paper is the brightest value in each ``window``-pixel neighbourhood (thin ink strokes are
    narrower), smoothed.

    Examples
    --------
    >>> page = np.full((60, 60), 200, np.uint8); page[:, 30:] = 120; page[20, :] = 40  # shadow, one line
    >>> flat = flatten_shading(page)
    >>> int(flat[5, 10]) == int(flat[5, 50]), int(flat[20, 50]) < 128
    (True, True)
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    paper = cv2.blur(cv2.dilate(gray, kernel), (window, window)).astype(np.float32)
    return np.clip(gray.astype(np.float32) / np.maximum(paper, 1.0) * 255.0, 0, 255).astype(np.uint8)


def dark_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels that belong to ink (traces, bars, text), by Otsu's threshold over the page with its shading
    flattened (a shadow is not ink)."""
    threshold, mask = cv2.threshold(flatten_shading(gray), 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return mask > 0


def estimate_rotation(gray: np.ndarray, max_degrees: float = 3.0) -> float:
    """Estimate the page rotation in degrees (counter-clockwise positive) from its ink.

    Straight printed lines (baselines, rules, text rows) make the horizontal projection of the ink
    sharpest when the page is level; we search for the angle that maximises its energy.

    Parameters
    ----------
    gray : ndarray of uint8
        The page in grayscale.
    max_degrees : float
        Largest rotation searched, either way.

    Returns
    -------
    angle : float
        The page's rotation, counter-clockwise positive; ``rotate_image(gray, angle)`` levels it.
    """
    scale = min(1.0, 800.0 / gray.shape[1])
    small = shrink(gray, scale)
    ys, xs = np.nonzero(dark_mask(small))
    if len(ys) < 50:
        return 0.0
    xs = xs - small.shape[1] / 2.0
    ys = ys - small.shape[0] / 2.0
    n_bins = small.shape[0] * 2

    def sharpness(angle: float) -> float:
        theta = np.deg2rad(angle)
        projected = ys * np.cos(theta) - xs * np.sin(theta)
        counts = np.bincount(np.clip((projected + n_bins / 2).astype(int), 0, n_bins - 1), minlength=n_bins)
        return float(np.sum(counts.astype(np.float64) ** 2))

    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 0.25)
    best = coarse[int(np.argmax([sharpness(a) for a in coarse]))]
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05)
    # The projection angle that levels the ink is the page's rotation with the sign reversed
    # (image rows grow downwards).
    return -float(fine[int(np.argmax([sharpness(a) for a in fine]))])


#: A page turned less than this is left as it is.
MIN_ROTATION_DEGREES = 0.05


def rotate_image(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate an image about its centre by ``-angle`` degrees, keeping its size, filling with white."""
    if abs(angle) < MIN_ROTATION_DEGREES:
        return image
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), -angle, 1.0)
    border = (255, 255, 255) if image.ndim == 3 else 255
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def pink_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of the pink or red grid."""
    r = rgb[:, :, 0].astype(np.int16)
    g = rgb[:, :, 1].astype(np.int16)
    b = rgb[:, :, 2].astype(np.int16)
    return (r > 150) & (r - g > 20) & (r - b > 10)


def grid_area(rgb: np.ndarray) -> Box | None:
    """The rectangle drawn by the pink grid's border, or ``None`` when the page has no such border."""
    pink = pink_mask(rgb)
    rows = np.nonzero(pink.mean(axis=1) > 0.3)[0]
    cols = np.nonzero(pink.mean(axis=0) > 0.3)[0]
    height, width = pink.shape
    if len(rows) < 2 or len(cols) < 2:
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if bottom - top < 0.3 * height or right - left < 0.5 * width:
        return None
    return top, bottom, left, right


#: Largest distance of the grid's corners from a rectangle, as a share of the grid's width, that is left
#: alone: the shared printouts are within 0.05 %; a page photographed slightly off-axis is at 0.5-2 %.
MAX_KEYSTONE = 0.002
#: Beyond this the "corners" are those of a grid partly lost (a deep shadow, a grid colour that is barely
#: pink), not of a perspective, and the page is left as it is (seen: 4-16 %).
MAX_RECTIFIABLE_KEYSTONE = 0.03


def grid_corners(rgb: np.ndarray) -> np.ndarray | None:
    """Corners of the pink grid (top-left, top-right, bottom-right, bottom-left) as (x, y) pixels.

    The grid is the largest connected patch of pink; its corners are its extreme points along the two
    diagonals, which holds for any mildly skewed quadrilateral. ``None`` when there is no pink grid.
    """
    # A whole-number shrink towards the working width: some ten times faster than an exact one, as good here.
    factor = max(1, int(np.ceil(rgb.shape[1] / WORKING_WIDTH)))
    pink = pink_mask(shrink_by(rgb, factor)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(pink, connectivity=8)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if (stats[largest, cv2.CC_STAT_WIDTH] < 0.5 * pink.shape[1]
            or stats[largest, cv2.CC_STAT_HEIGHT] < 0.3 * pink.shape[0]):
        return None
    ys, xs = np.nonzero(labels == largest)
    total, difference = xs + ys, xs - ys
    picks = [total.argmin(), difference.argmax(), total.argmax(), difference.argmin()]
    return np.float32([[xs[i], ys[i]] for i in picks]) * factor


def _rectangle_of(corners: np.ndarray) -> np.ndarray:
    left, right = (corners[0, 0] + corners[3, 0]) / 2, (corners[1, 0] + corners[2, 0]) / 2
    top, bottom = (corners[0, 1] + corners[1, 1]) / 2, (corners[2, 1] + corners[3, 1]) / 2
    return np.float32([[left, top], [right, top], [right, bottom], [left, bottom]])


def keystone(corners: np.ndarray) -> float:
    """How far the corners are from a rectangle: the largest offset, as a share of the grid's width.

    Examples
    --------
    >>> keystone(np.float32([[0, 0], [100, 0], [100, 50], [0, 50]]))
    0.0
    >>> round(keystone(np.float32([[2, 0], [98, 0], [100, 50], [0, 50]])), 2)
    0.01
    """
    rectangle = _rectangle_of(corners)
    return float(np.abs(corners - rectangle).max() / max(rectangle[1, 0] - rectangle[0, 0], 1.0))


def rectify(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Undo a perspective: map the grid's corners onto the rectangle they average to, keeping the size."""
    matrix = cv2.getPerspectiveTransform(np.float32(corners), _rectangle_of(corners))
    border = (255, 255, 255) if image.ndim == 3 else 255
    return cv2.warpPerspective(image, matrix, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def unlevel(image: np.ndarray, rotation_degrees: float, corners: np.ndarray | None = None) -> np.ndarray:
    """An image in the levelled page's pixels (``rotate_image``, then ``rectify`` from ``corners`` when given)
    moved back onto the page as it was loaded. Where the levelled page had no pixel, the result is 255.

    Examples
    --------
    >>> mask = np.zeros((100, 200), np.uint8)
    >>> mask[:20] = 255
    >>> int(unlevel(mask, 0.0)[:20].min()), int(unlevel(mask, 0.0)[20:].max())
    (255, 0)
    """
    if corners is not None:
        matrix = cv2.getPerspectiveTransform(_rectangle_of(corners), np.float32(corners))
        image = cv2.warpPerspective(image, matrix, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return rotate_image(image, -rotation_degrees)


def _long_lines(mask: np.ndarray, length: int, vertical: bool) -> np.ndarray:
    size = (1, length) if vertical else (length, 1)  # OpenCV sizes are (width, height)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel) > 0


def _trace_rows(mask: np.ndarray, expected: int = 4) -> tuple[list[float], float]:
    """Baselines of the trace rows: the strongest, evenly spaced peaks of the ink's row profile."""
    height = mask.shape[0]
    profile = cv2.GaussianBlur(mask.sum(axis=1).astype(np.float32).reshape(-1, 1), (1, 0),
                               sigmaX=0, sigmaY=max(1.0, height / 150.0)).ravel()
    peaks, props = find_peaks(profile, distance=max(2, height // 8), prominence=profile.max() * 0.05)
    if len(peaks) < expected:
        return [float(p) for p in peaks], 0.0
    strongest = np.sort(peaks[np.argsort(props["prominences"])[::-1][:expected]])
    gaps = np.diff(strongest)
    regularity = 1.0 - float(np.std(gaps) / np.mean(gaps))
    return [float(p) for p in strongest], max(0.0, regularity)


def _separator_bars(bars: np.ndarray, expected: int = N_LAYOUT_COLUMNS - 1) -> tuple[list[float], float]:
    width = bars.shape[1]
    profile = bars.sum(axis=0).astype(np.float32)
    if profile.max() <= 0:
        return [], 0.0
    peaks, props = find_peaks(profile, distance=max(2, width // 10), height=profile.max() * 0.3)
    if len(peaks) < expected:
        return [], 0.0
    strongest = np.sort(peaks[np.argsort(props["peak_heights"])[::-1][:expected]])
    # A bar is a few pixels wide: take the centre of mass around each peak.
    centres = []
    for p in strongest:
        lo, hi = max(0, p - 4), min(width, p + 5)
        w = profile[lo:hi]
        centres.append(float(np.sum(np.arange(lo, hi) * w) / np.sum(w)))
    gaps = np.diff(centres)
    regularity = 1.0 - float(np.std(gaps) / np.mean(gaps))
    return centres, max(0.0, regularity)


def detect_layout(gray: np.ndarray, rgb: np.ndarray | None = None) -> Layout:
    """Find the 13 lead boxes (3 x 4 leads and the rhythm strip) of a levelled 12-lead page.

    Parameters
    ----------
    gray : ndarray of uint8, shape (H, W)
        The page in grayscale, already levelled (see ``estimate_rotation``).
    rgb : ndarray of uint8, shape (H, W, 3), optional
        The same page in colour; used to find the pink grid border.

    Returns
    -------
    Layout
        Boxes in pixels of ``gray``, with a confidence and warnings.

    Examples
    --------
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> page = render_twelve_lead_page("normal", seed=0)
    >>> layout = detect_layout(page.mean(axis=2).astype("uint8"), page)
    >>> sorted(layout.boxes)[:3]
    ['I', 'II', 'III']
    """
    height, width = gray.shape
    scale = min(1.0, WORKING_WIDTH / width)
    small = shrink(gray, scale)
    small_rgb = shrink(rgb, scale) if rgb is not None else None
    sh, sw = small.shape
    warnings: list[str] = []
    penalties: list[float] = []

    grid = grid_area(small_rgb) if small_rgb is not None else None
    if grid is None:
        warnings.append("no pink grid border found; the whole page was searched for leads")
        penalties.append(0.15)
        grid = (0, sh, 0, sw)
    traces, bars = trace_and_bar_masks(small, grid)
    inv = 1.0 / scale

    def to_box(top: float, bottom: float, x0: float, x1: float) -> Box:
        return (int(max(0, round(top * inv))), int(min(height, round(bottom * inv))),
                int(max(0, round(x0 * inv))), int(min(width, round(x1 * inv))))

    other = find_other_layout(traces, bars, grid)
    if other is not None and other.name == UNRECOGNISED and penalties:
        other = None  # without a grid border, rows of ink are as likely text as traces: not a layout to name
    if other is not None and other.name != UNRECOGNISED:
        return Layout(**other_layout_fields(other, grid, inv, to_box, warnings, penalties))
    rows = _rows(traces, grid, warnings, penalties)
    pitch = float(np.median(np.diff(rows)))
    separators, left, column_width = _columns(bars, rows, pitch, grid, warnings, penalties)
    confidence = 1.0
    for penalty in penalties:  # in the order found, as floating point subtracts them
        confidence -= penalty
    if other is not None:  # clear rows in no known layout: say so, and keep the template's boxes out of any model
        confidence, warnings, name = min(confidence, UNRECOGNISED_CONFIDENCE), other.warnings + warnings, UNRECOGNISED
    else:
        name = STANDARD_LAYOUT
    return Layout(
        boxes=_lead_boxes(rows, pitch, left, column_width, to_box),
        grid_box=to_box(*grid),
        row_centres=[r * inv for r in rows],
        separators=[s * inv for s in separators],
        column_width=column_width * inv,
        trace_left=left * inv,
        confidence=float(np.clip(confidence, 0.0, 1.0)),
        warnings=warnings,
        name=name,
    )


def trace_and_bar_masks(small: np.ndarray, grid: Box) -> tuple[np.ndarray, np.ndarray]:
    """Ink inside the grid, split into traces and the vertical separator bars; long horizontal rules (header
    lines, page borders) are neither."""
    g_top, g_bottom, g_left, g_right = grid
    sh, sw = small.shape
    ink = dark_mask(small)
    ink[:g_top] = False
    ink[g_bottom:] = False
    ink[:, :g_left] = False
    ink[:, g_right:] = False
    ink &= ~_long_lines(ink, max(3, int(0.4 * sw)), vertical=False)
    bars = _long_lines(ink, max(3, int(0.22 * sh)), vertical=True)
    return ink & ~bars, bars


def _rows(traces: np.ndarray, grid: Box, warnings: list[str], penalties: list[float]) -> list[float]:
    """The four rows' centres (3 lead rows and the rhythm strip), from the traces or else the template."""
    rows, row_regularity = _trace_rows(traces)
    if len(rows) >= 4 and row_regularity >= 0.8:
        return rows
    warnings.append("the four rows of traces (3 lead rows and a rhythm strip) were not found clearly; "
                    "a template was used for the rows")
    penalties.append(0.35)
    g_top, g_bottom = grid[:2]
    return [g_top + f * (g_bottom - g_top) for f in REFERENCE_PRINTER.template_row_centres]


def _columns(bars: np.ndarray, rows: list[float], pitch: float, grid: Box, warnings: list[str],
             penalties: list[float]) -> tuple[list[float], float, float]:
    """(separator bars, left edge of the first column, column width), from the bars or else the template."""
    g_left, g_right = grid[2:]
    sw = bars.shape[1]
    band = np.zeros_like(bars)
    band[int(max(0, rows[0] - pitch / 2)):int(rows[2] + pitch / 2)] = True
    separators, bar_regularity = _separator_bars(bars & band)
    if len(separators) == N_LAYOUT_COLUMNS - 1 and bar_regularity > 0.9:
        column_width = float(np.mean(np.diff(separators)))
        left = separators[0] - column_width
        right = separators[-1] + column_width
        if left < g_left - 0.02 * sw or right > g_right + 0.02 * sw:
            warnings.append(MISPLACED_COLUMNS)
            penalties.append(0.2)
        return separators, left, column_width
    warnings.append("no separator bars between lead columns were found; the columns follow a template")
    penalties.append(0.35)
    grid_w = g_right - g_left
    left = g_left + REFERENCE_PRINTER.template_trace_span[0] * grid_w
    right = g_left + REFERENCE_PRINTER.template_trace_span[1] * grid_w
    return [], left, (right - left) / N_LAYOUT_COLUMNS


def _lead_boxes(rows: list[float], pitch: float, left: float, column_width: float, to_box) -> dict[str, Box]:
    """Each lead's box: its row's band, its column less a margin that keeps the separator bars out of the crop."""
    edges = [left + i * column_width for i in range(N_LAYOUT_COLUMNS + 1)]
    margin = 0.03 * column_width
    boxes: dict[str, Box] = {}
    for r, names in enumerate(LAYOUT_ROWS):
        for c, name in enumerate(names):
            boxes[name] = to_box(rows[r] - pitch / 2, rows[r] + pitch / 2, edges[c] + margin, edges[c + 1] - margin)
    boxes[RHYTHM_LEAD] = to_box(rows[3] - pitch / 2, rows[3] + pitch / 2, edges[0] + margin, edges[-1] - margin)
    return boxes
