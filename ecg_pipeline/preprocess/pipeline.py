"""``run_pipeline``: every preprocessing stage of one image, returned as data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import (
    BEAT,
    CABRERA_ORDER,
    LEAD_ORDER_TITLES,
    MIN_TWELVE_LEAD_WIDTH_PX,
    REFERENCE_PX_PER_MM,
    RHYTHM_LEAD,
    STANDARD_LAYOUT,
    STANDARD_ORDER,
    TASK_SPECS,
    TASKS,
    TWELVE_LEAD,
    check_lead_order,
)
from ..errors import LayoutError
from ..io.loading import ImageSource, load_image
from ..threads import KeptThreads
from .calibration import Calibration, measure_calibration
from .digitize import px_per_mm_from_column
from .layout import (
    MAX_KEYSTONE,
    MAX_RECTIFIABLE_KEYSTONE,
    MIN_ROTATION_DEGREES,
    Layout,
    detect_layout,
    estimate_rotation,
    grid_corners,
    keystone,
    rectify,
    rotate_image,
)
from .layouts import in_lead_order, network_binary
from .stages import (
    MAX_STROKE_WIDTH,
    STROKE_REFERENCE_HEIGHT,
    TYPICAL_STROKE_WIDTH,
    binarize,
    crop,
    gaussian_smooth,
    intensity_histogram,
    model_input,
    stroke_width,
    thinner_threshold,
    to_grayscale,
    trace_threshold,
)

#: Pages whose scale is within this share of ``REFERENCE_PX_PER_MM`` are smoothed with sigma as given, so the
#: printouts the models learnt from (all within 0.1 %) are processed exactly as in training.
SCALE_TOLERANCE = 0.05

#: Share of a lead's pixels that are ink, outside which the lead does not look like an ECG trace.
INK_FRACTION_RANGE = (0.002, 0.25)


@dataclass
class LeadStages:
    """One lead through every stage."""

    name: str
    box: tuple[int, int, int, int]
    raw: np.ndarray
    smoothed: np.ndarray
    threshold: float
    histogram: tuple[np.ndarray, np.ndarray]
    binary: np.ndarray
    model_input: np.ndarray

    @property
    def ink_fraction(self) -> float:
        return float(self.binary.mean())


@dataclass
class PipelineResult:
    """Everything ``run_pipeline`` computed, stage by stage."""

    task: str
    original: np.ndarray
    rotation_degrees: float
    deskewed: np.ndarray
    grayscale: np.ndarray
    layout: Layout | None
    leads: list[LeadStages]
    sigma: float
    threshold_method: str
    task_reason: str = ""
    #: The page's scale, from its lead columns (12-lead pages).
    px_per_mm: float | None = None
    #: The smoothing actually applied, in pixels of this page: ``sigma`` scaled to the page's resolution.
    page_sigma: float | None = None
    #: Whether a perspective (a page photographed off-axis) was undone from the grid's corners.
    perspective_corrected: bool = False
    #: The grid's corners, in the turned page, that the perspective correction mapped onto a rectangle.
    keystone_corners: np.ndarray | None = None
    #: Median stroke width of the leads (see ``page_stroke_width``), as first thresholded (12-lead pages).
    stroke_width: float | None = None
    #: Whether the thresholds were lowered to bring that width back to ``TYPICAL_STROKE_WIDTH``.
    strokes_thinned: bool = False
    #: The gain and paper speed the page's calibration pulses and grid show (12-lead pages whose layout was found).
    calibration: Calibration | None = None
    warnings: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def lead_names(self) -> list[str]:
        return [lead.name for lead in self.leads]

    @property
    def model_inputs(self) -> np.ndarray:
        """All leads' model inputs stacked: (n_leads, height, width)."""
        return np.stack([lead.model_input for lead in self.leads])

    @property
    def layout_confidence(self) -> float:
        return self.layout.confidence if self.layout is not None else 1.0

    def lead(self, name: str) -> LeadStages:
        for lead in self.leads:
            if lead.name == name:
                return lead
        raise KeyError(name)


def detect_task(rgb: np.ndarray, gray: np.ndarray | None = None) -> tuple[str, str, Layout | None]:
    """Tell a single-beat image from a 12-lead page by its size and structure.

    Returns
    -------
    task, reason : str, str
    layout : Layout or None
        The layout found on the page as it is (not levelled), when one was searched for.
    """
    height, width = rgb.shape[:2]
    if width < MIN_TWELVE_LEAD_WIDTH_PX:
        return BEAT, f"the image is {width} px wide, too small for a 12-lead page", None
    gray = to_grayscale(rgb) if gray is None else gray
    layout = detect_layout(gray, rgb)
    if layout.confidence >= 0.5:
        return TWELVE_LEAD, f"a 12-lead layout was found (confidence {layout.confidence:.2f})", layout
    if len(layout.separators) == 0 and width / height > 1.2 and width < 1000:
        return BEAT, "no 12-lead layout was found; read as one trace", layout
    reason = f"the page is large; read as a 12-lead page (layout confidence {layout.confidence:.2f})"
    return TWELVE_LEAD, reason, layout


def _resolve_threshold(histogram: tuple[np.ndarray, np.ndarray], threshold: str | float) -> float:
    if isinstance(threshold, str):
        if threshold != "otsu":
            raise ValueError(f"Unknown threshold method {threshold!r}: use 'otsu' or a number.")
        return trace_threshold(histogram)
    return float(threshold)


def process_lead(name: str, box: tuple[int, int, int, int], gray: np.ndarray, sigma: float,
                 threshold: str | float, input_shape: tuple[int, int], inverted: bool = False) -> LeadStages:
    """Crop, smooth, threshold and binarise one lead, keeping every stage (``inverted``: a lead printed upside down,
    Cabrera's -aVR, turned back first so that every stage shows the lead ``name`` says)."""
    raw = crop(gray, box)
    if inverted:
        raw = np.ascontiguousarray(raw[::-1])
    smoothed = gaussian_smooth(raw, sigma)
    histogram = intensity_histogram(smoothed)
    value = _resolve_threshold(histogram, threshold)
    binary = binarize(smoothed, value)
    return LeadStages(name=name, box=box, raw=raw, smoothed=smoothed, threshold=value, histogram=histogram,
                      binary=binary, model_input=model_input(binary, input_shape))


def page_stroke_width(leads: list[LeadStages]) -> float:
    """Median stroke width of a page's leads, in pixels of a lead scaled to ``STROKE_REFERENCE_HEIGHT`` rows."""
    return float(np.median([stroke_width(lead.binary) * STROKE_REFERENCE_HEIGHT / lead.binary.shape[0]
                            for lead in leads]))


def thin_strokes(leads: list[LeadStages], width: float, input_shape: tuple[int, int]) -> list[LeadStages]:
    """The leads re-thresholded darker, so that strokes ``width`` wide come out ``TYPICAL_STROKE_WIDTH`` wide.

    Blur or a thick pen widen every stroke of a page; the models learnt thin ones.
    """
    factor = TYPICAL_STROKE_WIDTH / width
    thinned = []
    for lead in leads:
        value = thinner_threshold(lead.histogram, lead.threshold, factor)
        binary = binarize(lead.smoothed, value)
        thinned.append(replace(lead, threshold=value, binary=binary, model_input=model_input(binary, input_shape)))
    return thinned


def page_sigma(sigma: float, px_per_mm: float) -> float:
    """``sigma`` (pixels at ``REFERENCE_PX_PER_MM``) in pixels of a page at ``px_per_mm``.

    Smoothing then covers the same millimetres of paper on a low-resolution scan as on the printouts the
    models learnt from; otherwise it would blur a coarser page's strokes more than the models ever saw.

    Examples
    --------
    >>> page_sigma(1.0, REFERENCE_PX_PER_MM / 2)
    0.5
    >>> page_sigma(1.0, REFERENCE_PX_PER_MM * 1.01)
    1.0
    """
    scale = px_per_mm / REFERENCE_PX_PER_MM
    if abs(scale - 1.0) <= SCALE_TOLERANCE:
        return sigma
    return sigma * float(np.clip(scale, 0.25, 4.0))


@dataclass
class LevelledPage:
    """A 12-lead page turned level and, when photographed off-axis, rectified (see ``level_page``)."""

    image: np.ndarray
    gray: np.ndarray
    rotation_degrees: float
    perspective_corrected: bool
    #: The grid's corners that rectification mapped onto a rectangle (``None`` when the page was not rectified).
    keystone_corners: np.ndarray | None
    #: Whether levelling moved any pixel (a layout found on the page as it was then no longer holds).
    changed: bool


def level_page(rgb: np.ndarray, gray: np.ndarray | None = None) -> LevelledPage:
    """Undo a page's rotation, and its perspective when photographed off-axis (from the grid's corners).

    Examples
    --------
    >>> page = np.full((800, 1200, 3), 255, np.uint8)
    >>> level_page(page).changed
    False
    """
    gray = to_grayscale(rgb) if gray is None else gray
    angle = estimate_rotation(gray)
    image = rotate_image(rgb, angle)
    corners = grid_corners(image)
    keystoned = corners is not None and MAX_KEYSTONE < keystone(corners) <= MAX_RECTIFIABLE_KEYSTONE
    if keystoned:
        image = rectify(image, corners)
    changed = abs(angle) >= MIN_ROTATION_DEGREES or keystoned
    return LevelledPage(image=image, gray=to_grayscale(image) if changed else gray, rotation_degrees=angle,
                        perspective_corrected=keystoned, keystone_corners=corners if keystoned else None,
                        changed=changed)


def find_leads(page: LevelledPage, found: Layout | None = None,
               lead_order: str = STANDARD_ORDER) -> tuple[Layout, list[str]]:
    """The layout of a levelled page (``found``: one already found on the page before levelling, reused when
    levelling changed nothing), its leads named in ``lead_order``, with the warnings a user should read about it."""
    layout = found if found is not None and not page.changed else detect_layout(page.gray, page.image)
    layout = in_lead_order(layout, lead_order)
    if not layout.recognised:
        return layout, ["This page's layout is not recognised: " + "; ".join(layout.warnings) + "."]
    if layout.confidence < 0.5:
        return layout, ["This does not look like a 12-lead report: " + "; ".join(layout.warnings) + "."]
    # The order is the user's word: a standard page read as Cabrera would get wrong names with nothing else to say so.
    chosen = ([f"The limb leads are named in the order chosen, {LEAD_ORDER_TITLES[CABRERA_ORDER]}, with -aVR read as "
               "aVR; the printed labels were not checked."] if lead_order == CABRERA_ORDER else [])
    return layout, [w[0].upper() + w[1:] + "." for w in layout.warnings] + chosen


def process_leads(gray: np.ndarray, layout: Layout, sigma: float, threshold: str | float,
                  ) -> tuple[list[LeadStages], float, float, bool]:
    """Every lead of a 12-lead page through crop, smoothing, threshold and model input.

    Returns
    -------
    leads, lead_sigma, stroke_width, thinned
        The leads, the smoothing applied (``page_sigma`` of ``sigma`` when the layout measured the page's scale),
        the page's median stroke width, and whether Otsu's thresholds were lowered to thin wide strokes.
    """
    spec = TASK_SPECS[TWELVE_LEAD]
    # A layout with a missing or misplaced cue (columns from a template, bars where a shadow ends) gives
    # column widths up to 8 % off: not precise enough to rescale the smoothing, so such a page is taken
    # to be at the models' scale.
    lead_sigma = page_sigma(sigma, px_per_mm_from_column(layout.column_width)) if layout.confidence == 1.0 else sigma
    # The leads the networks know, as far as the page prints them (a page without a rhythm strip has 12); further
    # rhythm strips are in the layout's boxes but read by no model.
    leads = [process_lead(name, layout.boxes[name], gray, lead_sigma, threshold, spec.input_shape,
                          name in layout.inverted) for name in spec.leads if name in layout.boxes]
    width = page_stroke_width(leads)
    thinned = threshold == "otsu" and width > MAX_STROKE_WIDTH
    if thinned:
        leads = thin_strokes(leads, width, spec.input_shape)
    if layout.name != STANDARD_LAYOUT:  # the networks read 2.5 s at the standard box's shape
        leads = [replace(lead, model_input=model_input(network_binary(lead.binary, layout.column_width,
                                                                      lead.name == RHYTHM_LEAD), spec.input_shape))
                 for lead in leads]
    return leads, lead_sigma, width, thinned


def ink_warnings(leads: list[LeadStages]) -> list[str]:
    """A warning when the leads hold almost no ink, or far more than a thin trace."""
    ink = float(np.median([lead.ink_fraction for lead in leads]))
    if ink < INK_FRACTION_RANGE[0]:
        return ["Almost no trace was found: the image looks blank."]
    if ink > INK_FRACTION_RANGE[1]:
        return [f"{ink:.0%} of the pixels are dark after thresholding; an ECG trace is a thin line. "
                "This does not look like an ECG."]
    return []


class _Laps:
    """Milliseconds spent in each stage, in order."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = (now - self._start) * 1000.0
        self._start = now


def run_beat(rgb: np.ndarray, gray: np.ndarray, sigma: float, threshold: str | float, reason: str,
             lap: _Laps) -> PipelineResult:
    """A single-heartbeat image as one lead: the whole image smoothed and thresholded."""
    spec = TASK_SPECS[BEAT]
    leads = [process_lead(spec.leads[0], (0, rgb.shape[0], 0, rgb.shape[1]), gray, sigma, threshold,
                          spec.input_shape)]
    lap("leads")
    return PipelineResult(task=BEAT, original=rgb, rotation_degrees=0.0, deskewed=rgb, grayscale=gray, layout=None,
                          leads=leads, sigma=sigma, threshold_method=_method(threshold), task_reason=reason,
                          page_sigma=sigma, warnings=ink_warnings(leads), timings_ms=lap.timings)


#: Where the calibration pulse is looked for beside the leads.
_calibration_threads = KeptThreads("calibration", 2)


def run_twelve_lead(rgb: np.ndarray, gray: np.ndarray, sigma: float, threshold: str | float, reason: str,
                    lap: _Laps, found: Layout | None = None, lead_order: str = STANDARD_ORDER) -> PipelineResult:
    """A 12-lead page levelled, its leads found and named in ``lead_order``, and each lead processed (``found``: a
    layout already found on the page as it is, while telling the task)."""
    if rgb.shape[1] < MIN_TWELVE_LEAD_WIDTH_PX:
        raise LayoutError(
            f"The image is {rgb.shape[1]} px wide: too small to split into 12 leads (at least "
            f"{MIN_TWELVE_LEAD_WIDTH_PX} px needed). If it shows a single heartbeat, choose that task."
        )
    page = level_page(rgb, gray)
    lap("deskew")
    layout, warnings = find_leads(page, found, lead_order)
    lap("layout")
    # The pulse search and the leads read the same page and share the two cores (OpenCV and NumPy let go of
    # the GIL); rows from a template hold no pulse to look for.
    calibrating = (_calibration_threads.submit(measure_calibration, page.gray, layout.row_centres, layout.grid_box,
                                               layout.trace_left, px_per_mm_from_column(layout.column_width))
                   if layout.recognised and layout.confidence >= 0.5 else None)
    leads, lead_sigma, width, thinned = process_leads(page.gray, layout, sigma, threshold)
    lap("leads")
    calibration = calibrating.result() if calibrating else None
    if calibration is not None:
        warnings = warnings + calibration.warnings()
        lap("calibration (beyond the leads)")
    return PipelineResult(task=TWELVE_LEAD, original=rgb, rotation_degrees=page.rotation_degrees,
                          deskewed=page.image, grayscale=page.gray, layout=layout, leads=leads, sigma=sigma,
                          threshold_method=_method(threshold), task_reason=reason,
                          px_per_mm=px_per_mm_from_column(layout.column_width), page_sigma=lead_sigma,
                          perspective_corrected=page.perspective_corrected,
                          keystone_corners=page.keystone_corners, stroke_width=width,
                          strokes_thinned=thinned, calibration=calibration, warnings=warnings + ink_warnings(leads),
                          timings_ms=lap.timings)


def _method(threshold: str | float) -> str:
    return threshold if isinstance(threshold, str) else "manual"


def run_pipeline(image: ImageSource, task: str = TWELVE_LEAD, sigma: float = 1.0,
                 threshold: str | float = "otsu", lead_order: str = STANDARD_ORDER) -> PipelineResult:
    """Run every preprocessing stage on one image.

    Parameters
    ----------
    image : bytes, path, file-like or ndarray
        The ECG image.
    task : {"twelve_lead", "beat", "auto"}
        What the image is; ``"auto"`` decides from the image.
    sigma : float
        Standard deviation of the Gaussian smoothing in pixels. On a 12-lead page these are pixels at the
        models' reference scale (``REFERENCE_PX_PER_MM``): a page scanned at another resolution (measured
        from its lead columns, when every layout cue was found) is smoothed with ``page_sigma``, the same
        width in millimetres. On a single beat, pixels of the image.
    threshold : "otsu" or float
        Otsu's threshold per lead (taken again on the darker side when the grid came out as ink; see
        ``trace_threshold``; on a 12-lead page whose strokes come out wider than ``MAX_STROKE_WIDTH``, lowered
        by ``thin_strokes``), or one fixed intensity (0-255) for all leads.
    lead_order : {"standard", "cabrera"}
        The order a 12-lead page prints its limb leads in (``LEAD_ORDERS``); the page does not say, its user does.

    Returns
    -------
    PipelineResult
        Original, rotation, deskewed page (also rectified when photographed off-axis), grayscale, layout and,
        per lead, raw / smoothed / threshold / histogram / binary / model input.

    Examples
    --------
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> result = run_pipeline(render_twelve_lead_page("normal", seed=0))
    >>> len(result.leads), result.leads[0].name
    (13, 'I')
    """
    if task not in (*TASKS, "auto"):
        raise ValueError(f"Unknown task {task!r}: use one of {', '.join(TASKS)} or 'auto'.")
    if sigma < 0:
        raise ValueError("sigma must be 0 or more.")
    check_lead_order(lead_order)
    lap = _Laps()
    rgb = load_image(image)
    lap("decode")
    gray = to_grayscale(rgb)
    lap("grayscale")
    reason, found = "chosen by the user", None
    if task == "auto":
        task, reason, found = detect_task(rgb, gray)
        lap("task_detection")
    if task == BEAT:
        return run_beat(rgb, gray, sigma, threshold, reason, lap)
    return run_twelve_lead(rgb, gray, sigma, threshold, reason, lap, found, lead_order)
