"""The ECG-evidence gate: whether an image holds an ECG at all, checked before any model gives a verdict.

A 12-lead page passes when its layout is found, its leads hold thin continuous traces, its rhythm strip has
beat-like complexes at a plausible rate, and its lead columns are where the layout puts them. A beat image
passes when it holds one thin continuous trace across most of its width. A failing image gets a typed reason,
never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .constants import BEAT
from .errors import EcgError
from .measure.page import NO_RHYTHM_STRIP
from .preprocess.layout import MISPLACED_COLUMNS

if TYPE_CHECKING:
    from .measure import Measurements
    from .preprocess.pipeline import PipelineResult

#: A lead's ink must be within this share of its pixels: less is an empty page, more is a blot or a photo.
LEAD_INK_RANGE = (0.002, 0.12)
#: A trace covers at least this share of a lead's columns (a label or a gap takes the rest).
MIN_TRACE_COVERAGE = 0.75
#: A thin line: in the median column, ink spans at most this share of the lead's height.
MAX_STROKE_SHARE = 0.08
#: A trace is one line: at most this many separate strokes in a column, on average.
MAX_STROKES_PER_COLUMN = 1.6
#: A beat image is one lead, enlarged: flutter waves can fill a fifth of its height in every column; and it is
#: drawn clean, so nearly every column holds one stroke (1.07 strokes per column at the shared beats' 99.5th
#: percentile, where a small picture of text has 1.4).
MAX_BEAT_STROKE_SHARE = 0.25
MAX_BEAT_STROKES_PER_COLUMN = 1.25
#: So many of the 13 leads must hold a trace (a lead can be flat and faint, or crossed by a neighbour's wave).
MIN_TRACE_LEADS = 11
#: The rhythm strip needs this many beats, at a rate in ``RATE_RANGE_BPM``.
MIN_BEATS = 3
RATE_RANGE_BPM = (20.0, 250.0)
#: Beats look alike: the median correlation of each beat's QRS with the strip's median QRS.
MIN_BEAT_LIKENESS = 0.5
#: The QRS complexes stand out of the page's slope: their median height over the slope's median.
MIN_QRS_PROMINENCE = 1.8
#: A beat image's trace spans at least this share of its width, with gaps of at most ``MAX_GAP_SHARE``.
MIN_BEAT_SPAN = 0.6
MAX_GAP_SHARE = 0.08
FRAME_SHARE = 0.15


@dataclass(frozen=True)
class GateCheck:
    """One check of the gate: its name, whether it held, and what was measured, in words."""

    name: str
    passed: bool
    detail: str


@dataclass
class EvidenceGate:
    """The gate's verdict on one image.

    Attributes
    ----------
    passed : bool
    reason : str
        The first failed check's kind: ``"no_layout"``, ``"no_trace"``, ``"no_beats"``, ``"misplaced_leads"``
        or ``""`` when the image passed.
    checks : list of GateCheck
    """

    passed: bool
    reason: str
    checks: list[GateCheck] = field(default_factory=list)

    @property
    def message(self) -> str:
        """The failure in words, for a person ("No ECG trace was found: ...")."""
        failed = [check for check in self.checks if not check.passed]
        if not failed:
            return ""
        opening = {"misplaced_leads": "The leads could not be placed reliably"}.get(self.reason,
                                                                                  "No ECG trace was found")
        return f"{opening}: " + "; ".join(check.detail for check in failed) + "."


def lead_trace_stats(binary: np.ndarray) -> tuple[float, float, float, float]:
    """Ink share, share of columns with ink, the median column's ink height over the lead's height, and the
    mean number of separate strokes in a column with ink (1 for a clean trace; speckle and dotted grids give
    many).

    Examples
    --------
    >>> lead = np.zeros((50, 100), bool); lead[25, 10:] = True
    >>> [round(v, 2) for v in lead_trace_stats(lead)]
    [0.02, 0.9, 0.02, 1.0]
    """
    binary = np.asarray(binary, bool)
    per_column = binary.sum(axis=0)
    inked = per_column > 0
    if not inked.any():
        return 0.0, 0.0, 0.0, 0.0
    starts = (binary[0] & inked).sum() + np.count_nonzero(binary[1:] & ~binary[:-1])
    return (float(binary.mean()), float(inked.mean()), float(np.median(per_column[inked])) / binary.shape[0],
            float(starts) / float(inked.sum()))


def holds_trace(binary: np.ndarray) -> bool:
    """Whether a lead holds a thin continuous trace (see ``LEAD_INK_RANGE``, ``MIN_TRACE_COVERAGE``,
    ``MAX_STROKE_SHARE``)."""
    ink, coverage, stroke, strokes = lead_trace_stats(binary)
    return (LEAD_INK_RANGE[0] <= ink <= LEAD_INK_RANGE[1] and coverage >= MIN_TRACE_COVERAGE
            and stroke <= MAX_STROKE_SHARE and strokes <= MAX_STROKES_PER_COLUMN)


def trace_check(leads: list) -> GateCheck:
    """Enough leads hold a thin continuous trace."""
    holding = [lead.name for lead in leads if holds_trace(lead.binary)]
    passed = len(holding) >= min(MIN_TRACE_LEADS, len(leads))
    return GateCheck("trace", passed, f"{len(holding)} of {len(leads)} leads hold a thin continuous line "
                                      f"(at least {min(MIN_TRACE_LEADS, len(leads))} needed)")


def rhythm_check(measurements: Measurements) -> GateCheck:
    """The rhythm strip has beat-like complexes at a plausible rate. A 3 x 4 page printed without a strip has no
    run of beats long enough to check: it passes on its layout and traces alone, and says so."""
    if measurements.missing.get("page") == NO_RHYTHM_STRIP:
        return GateCheck("rhythm", True, "the page prints no rhythm strip, so its beats were not checked")
    beats = len(measurements.r_peaks_s)
    rate = measurements.page.get("heart_rate_bpm", np.nan)
    likeness, prominence = measurements.beat_likeness, measurements.qrs_prominence
    passed = (beats >= MIN_BEATS and RATE_RANGE_BPM[0] <= rate <= RATE_RANGE_BPM[1]
              and likeness >= MIN_BEAT_LIKENESS and prominence >= MIN_QRS_PROMINENCE)
    if beats < MIN_BEATS or not np.isfinite(rate):
        detail = f"the rhythm strip shows {beats} beat-like complexes (at least {MIN_BEATS} needed)"
    else:
        detail = (f"the rhythm strip has {beats} complexes at {rate:.0f} bpm ({RATE_RANGE_BPM[0]:.0f}-"
                  f"{RATE_RANGE_BPM[1]:.0f} expected), alike to "
                  f"{likeness:.2f} (at least {MIN_BEAT_LIKENESS}) and standing {prominence:.2f} times above the "
                  f"trace's slope (at least {MIN_QRS_PROMINENCE:g})")
    return GateCheck("rhythm", bool(passed), detail)


def twelve_lead_evidence(result: PipelineResult, measurements: Measurements) -> EvidenceGate:
    """The gate on a 12-lead ``PipelineResult`` and its ``Measurements``."""
    layout = result.layout
    found = layout is not None and layout.confidence >= 0.5
    checks = [GateCheck("layout", found, f"no 12-lead layout was found (confidence {result.layout_confidence:.2f})"
                        if not found else "a 12-lead layout was found")]
    checks.append(trace_check(result.leads))
    checks.append(rhythm_check(measurements))
    placed = not found or MISPLACED_COLUMNS not in layout.warnings  # without a layout, "layout" has failed
    checks.append(GateCheck("placement", placed, "the lead columns are not where the layout's separator bars put "
                            "them, so lead names may be wrong" if not placed else "the lead columns fit the page"))
    reasons = {"layout": "no_layout", "trace": "no_trace", "rhythm": "no_beats", "placement": "misplaced_leads"}
    failed = [check for check in checks if not check.passed]
    return EvidenceGate(passed=not failed, reason=reasons[failed[0].name] if failed else "", checks=checks)


def beat_span(binary: np.ndarray, max_gap: float = MAX_GAP_SHARE) -> float:
    """The share of the image's width spanned by its longest stretch of columns with ink. Gaps of at most
    ``max_gap`` of the width are bridged, and so is any gap where the trace leaves through the top or bottom
    ``FRAME_SHARE`` of the image and comes back (a tall R wave cut off by the plot's frame).

    Examples
    --------
    >>> image = np.zeros((40, 100), bool); image[20, 5:40] = True; image[20, 45:90] = True  # a gap of 5
    >>> round(beat_span(image), 2)
    0.85
    >>> image[20, 40:70] = False; image[:21, 39] = True; image[:21, 70] = True  # a spike beyond the top edge
    >>> round(beat_span(image), 2)
    0.85
    >>> image[:21, 39] = False; image[:21, 70] = False
    >>> round(beat_span(image), 2)
    0.34
    """
    binary = np.asarray(binary, bool)
    inked = binary.any(axis=0)
    if not inked.any():
        return 0.0
    bridged = inked.copy()
    columns = np.flatnonzero(inked)
    edge = max(1, int(round(FRAME_SHARE * binary.shape[0])))
    for before, after in zip(columns[:-1], columns[1:], strict=True):
        gap = after - before - 1
        if gap == 0:
            continue
        off_top = binary[:edge, before].any() and binary[:edge, after].any()
        off_bottom = binary[-edge:, before].any() and binary[-edge:, after].any()
        if gap <= max_gap * len(inked) or off_top or off_bottom:
            bridged[before:after] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([0], bridged.astype(int), [0]))))
    return float((edges[1::2] - edges[::2]).max()) / len(inked)


def beat_evidence(result: PipelineResult) -> EvidenceGate:
    """The gate on a single-beat ``PipelineResult``: one thin continuous trace across most of the image."""
    binary = result.leads[0].binary
    ink, coverage, stroke, strokes = lead_trace_stats(binary)
    span = beat_span(binary)
    thin = LEAD_INK_RANGE[0] <= ink <= LEAD_INK_RANGE[1] and stroke <= MAX_BEAT_STROKE_SHARE and \
        strokes <= MAX_BEAT_STROKES_PER_COLUMN
    passed = thin and span >= MIN_BEAT_SPAN
    detail = (f"the trace spans {span:.0%} of the width (at least {MIN_BEAT_SPAN:.0%} needed), {ink:.1%} of the "
              f"pixels are ink, {strokes:.1f} strokes per column (a line has 1) and the median column's ink is "
              f"{stroke:.0%} of the height")
    return EvidenceGate(passed=passed, reason="" if passed else "no_trace",
                        checks=[GateCheck("trace", passed, detail)])


def check_evidence(result: PipelineResult, measurements: Measurements | None = None) -> EvidenceGate:
    """The gate for either task: ``beat_evidence`` or ``twelve_lead_evidence`` (with the page's ``Measurements``,
    measured here when not given)."""
    if result.task == BEAT:
        return beat_evidence(result)
    if measurements is None:
        from .measure import measure_page

        measurements = measure_page(result)
    return twelve_lead_evidence(result, measurements)



def evidence_of(image, task: str = "auto") -> EvidenceGate:
    """The gate on one image (path, bytes or array), through the pipeline the models use."""
    from .preprocess.pipeline import run_pipeline

    return check_evidence(run_pipeline(image, task=task))


def _refused_job(args: tuple[str, str]) -> str:
    try:
        gate = evidence_of(*args)
    except EcgError as exc:  # a file the pipeline cannot read is refused before the gate, with its own reason
        return f"Not analysed: {exc}"
    return "" if gate.passed else gate.message


def refusals(paths: list, task: str, workers: int = 2) -> list[str]:
    """The gate's message for each image ("" where it passed; the pipeline's error for one it cannot read),
    over ``workers`` processes."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_refused_job, [(str(p), task) for p in paths], chunksize=32))
