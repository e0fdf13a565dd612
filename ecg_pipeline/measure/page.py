"""``measure_page``: every step from a 12-lead page's stages to its clinical measurements, as data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..constants import LEAD_NAMES, LEAD_SECONDS, MEASUREMENT_FS, RHYTHM_LEAD, RHYTHM_SECONDS, TWELVE_LEAD
from ..preprocess.digitize import DigitizedECG, digitize_page
from .beats import (
    R_PEAK_METHOD,
    SHAPE_CORRELATION,
    align_to_qrs,
    beats_in_window,
    clean_rr_intervals,
    confirmed_beats,
    missed_beats,
    page_slope,
    premature_beats,
    qrs_likeness,
    qrs_prominence,
    r_peaks,
)
from .fiducials import Fiducials, MedianBeat, median_beat, page_fiducials
from .signals import LeadSignal, lead_signals
from .values import (
    LEAD_VALUES,
    PAGE_VALUES,
    interval_values,
    lead_criteria,
    lead_values,
    rhythm_values,
    territory_values,
)

if TYPE_CHECKING:
    from ..preprocess.pipeline import PipelineResult

#: The page gets no measurement verdict with fewer leads measured than this.
MIN_MEASURED_LEADS = 2
#: A lead whose trace was found on less than this share of its length is not measured.
MIN_TRACE_SHARE = 0.5
#: The twelve leads measured one by one (the rhythm strip repeats one of them and gives the beats).
MEASURED_LEADS: tuple[str, ...] = tuple(name for name in LEAD_NAMES if name != RHYTHM_LEAD)
#: On a page without a rhythm strip the beats are found on this lead, when its leads last at least
#: ``MIN_CLOCK_SECONDS`` (6 x 2, 12 x 1); 2.5 s leads hold too few beats for a rhythm.
CLOCK_LEAD = "II"
MIN_CLOCK_SECONDS = 5.0
NO_RHYTHM_STRIP = ("the page has no rhythm strip, and its leads of 2.5 s hold too few beats to measure the rhythm "
                   "from")


@dataclass
class Measurements:
    """What ``measure_page`` found, step by step.

    Attributes
    ----------
    signals : dict of lead name -> LeadSignal
        Every lead on the page's clock at ``MEASUREMENT_FS``.
    r_peaks_s : ndarray
        R peaks on the rhythm strip (s).
    rr_s : ndarray
        The clean RR intervals (beats cut off at the strip's ends left out).
    ectopic : ndarray of bool
        Per R peak: premature or of another QRS shape.
    median_beats : dict of lead name -> MedianBeat
    fiducials : Fiducials or None
    leads : dict of lead name -> dict of value name -> float
        Only measured leads; see ``missing`` for the others.
    criteria : dict of lead name -> dict of criterion -> bool
    page, territories : dict of value name -> float (NaN when it could not be measured)
    missing : dict of lead name (or "page") -> reason
    beat_likeness : float
        The median correlation of the rhythm strip's QRS complexes with their median (0 without beats).
    qrs_prominence : float
        How far the beats stand out of the page's slope (``beats.qrs_prominence``).
    """

    signals: dict[str, LeadSignal]
    r_peaks_s: np.ndarray
    rr_s: np.ndarray
    ectopic: np.ndarray
    median_beats: dict[str, MedianBeat]
    fiducials: Fiducials | None
    leads: dict[str, dict[str, float]]
    criteria: dict[str, dict[str, bool]]
    page: dict[str, float]
    territories: dict[str, float]
    missing: dict[str, str] = field(default_factory=dict)
    beat_likeness: float = 0.0
    qrs_prominence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def measurable(self) -> bool:
        """Whether enough was measured for a measurement verdict."""
        return "page" not in self.missing

    def features(self) -> dict[str, float]:
        """Every value as one flat row, ``"<lead>.<value>"`` for per-lead values; NaN where missing."""
        row = {f"{lead}.{name}": self.leads.get(lead, {}).get(name, np.nan)
               for lead in MEASURED_LEADS for name in LEAD_VALUES}
        return {**row, **{name: self.page.get(name, np.nan) for name in PAGE_VALUES}, **self.territories}


def feature_names() -> list[str]:
    """The names of ``Measurements.features()``, in order, without measuring a page."""
    return list(_empty(missing={"page": ""}).features())


def _empty(missing: dict[str, str], signals: dict | None = None, peaks: np.ndarray | None = None) -> Measurements:
    return Measurements(signals=signals or {}, r_peaks_s=np.zeros(0) if peaks is None else peaks, rr_s=np.zeros(0),
                        ectopic=np.zeros(0, bool), median_beats={}, fiducials=None, leads={}, criteria={},
                        page=dict.fromkeys(PAGE_VALUES, np.nan), territories=territory_values({}), missing=missing)


def measure_signals(signals: dict[str, LeadSignal], r_peak_method: str = R_PEAK_METHOD,
                    lead_seconds: float = LEAD_SECONDS) -> Measurements:
    """Beats, median beats, fiducials and values of leads already on the page's clock (``r_peak_method``: the
    NeuroKit2 detector, see ``beats.r_peaks``; ``lead_seconds``: the length of each of the 12 leads)."""
    laps = {}
    start = time.perf_counter()
    rhythm = signals.get(RHYTHM_LEAD)
    if rhythm is None:  # no rhythm strip: a long lead gives the beats, or the page cannot be measured
        rhythm = signals.get(CLOCK_LEAD) if lead_seconds >= MIN_CLOCK_SECONDS else None
        if rhythm is None:
            return _empty({"page": NO_RHYTHM_STRIP}, signals)
    duration = len(rhythm.millivolts) / rhythm.fs
    found = rhythm.start_s + r_peaks(rhythm.millivolts, rhythm.fs, r_peak_method) / rhythm.fs
    # The beats found on the rhythm strip, centred on the QRS of all the leads printed with them; a "beat"
    # with no QRS there is dropped, and one the detector missed is taken from them.
    slope = page_slope(signals, rhythm.fs, duration)
    aligned = align_to_qrs(found, slope, rhythm.fs)
    evidence = page_slope(signals, rhythm.fs, duration, per_lead_scale=True)
    confirmed = aligned[confirmed_beats(aligned, evidence, rhythm.fs)]
    peaks_s = np.sort(np.concatenate((confirmed, missed_beats(confirmed, evidence, rhythm.fs))))
    rr = clean_rr_intervals(peaks_s, duration)
    prominence = qrs_prominence(peaks_s, slope, rhythm.fs)
    laps["beats"] = (time.perf_counter() - start) * 1000.0
    if len(peaks_s) < 2:
        result = _empty({"page": "no beats were found on the rhythm strip"}, signals, peaks_s)
        result.qrs_prominence = prominence
        return result
    premature = premature_beats(np.diff(peaks_s))
    likeness = qrs_likeness(rhythm.millivolts, np.round((peaks_s - rhythm.start_s) * rhythm.fs).astype(int),
                            rhythm.fs)
    other_shape = likeness < SHAPE_CORRELATION
    ectopic = other_shape | np.concatenate(([False], premature))
    rr_median = float(np.median(rr)) if len(rr) else float(np.median(np.diff(peaks_s)))
    typical = peaks_s[~ectopic] if np.sum(~ectopic) >= 1 else peaks_s
    beats, missing = {}, {}
    for name in (*MEASURED_LEADS, RHYTHM_LEAD):
        signal = signals.get(name)
        if signal is None:
            missing[name] = "the lead was not found on the page"
            continue
        if signal.measured_share < MIN_TRACE_SHARE:
            missing[name] = f"a trace was found on only {signal.measured_share:.0%} of the lead"
            continue
        window = lead_seconds if name != RHYTHM_LEAD else RHYTHM_SECONDS
        beat = median_beat(signal.millivolts, signal.fs, beats_in_window(typical, signal.start_s, window))
        if beat is None:
            missing[name] = "no whole beat fell in the lead's measured part"
        else:
            beats[name] = beat
    laps["median_beats"] = (time.perf_counter() - start) * 1000.0 - sum(laps.values())
    measured = {name: beat for name, beat in beats.items() if name != RHYTHM_LEAD}
    if len(measured) < MIN_MEASURED_LEADS:
        result = _empty({**missing, "page": f"only {len(measured)} lead(s) could be measured"}, signals, peaks_s)
        result.median_beats, result.rr_s, result.ectopic = beats, rr, ectopic
        result.beat_likeness, result.qrs_prominence = float(np.median(likeness)), prominence
        return result
    fiducials = page_fiducials(measured, rr_median)
    leads = {name: lead_values(beat, fiducials, rr_median) for name, beat in measured.items()}
    page = {**rhythm_values(peaks_s, rr, premature, other_shape, ectopic),
            **interval_values(fiducials, rr_median, beats.get(RHYTHM_LEAD))}
    laps["values"] = (time.perf_counter() - start) * 1000.0 - sum(laps.values())
    return Measurements(signals=signals, r_peaks_s=peaks_s, rr_s=rr, ectopic=ectopic, median_beats=beats,
                        fiducials=fiducials, leads=leads, criteria=lead_criteria(leads), page=page,
                        territories=territory_values(leads), missing=missing, beat_likeness=float(np.median(likeness)),
                        qrs_prominence=prominence, timings_ms=laps)


def measure_page(result: PipelineResult, fs: float = MEASUREMENT_FS, r_peak_method: str = R_PEAK_METHOD,
                 digitized: DigitizedECG | None = None) -> Measurements:
    """Clinical measurements of a 12-lead ``PipelineResult``: digitize, put the leads on one clock, find the
    beats, build each lead's median beat, place the fiducials and read the values.

    A page where no beats are found, or fewer than ``MIN_MEASURED_LEADS`` leads can be measured, gets its
    values marked missing (NaN) with the reason in ``missing["page"]``; it never raises for a bad page.
    ``digitized`` is the page's ``digitize_page``, when the caller has it already.

    Examples
    --------
    >>> from ecg_pipeline.preprocess.pipeline import run_pipeline
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> m = measure_page(run_pipeline(render_twelve_lead_page("normal", seed=3, heart_rate=72)))
    >>> abs(m.page["heart_rate_bpm"] - 72) < 3, m.measurable
    (True, True)
    """
    if result.task != TWELVE_LEAD or result.layout is None:
        raise ValueError("measure_page reads 12-lead pages.")
    start = time.perf_counter()
    given = digitized is not None
    signals = lead_signals((digitized if given else digitize_page(result)).traces, result.layout.boxes,
                           result.layout.trace_left, fs)
    took_ms = (time.perf_counter() - start) * 1000.0
    measurements = measure_signals(signals, r_peak_method, result.layout.lead_seconds)
    # the digitizing is timed where it ran: here, or by the caller who passed it in
    measurements.timings_ms = {**({} if given else {"digitize": took_ms}), **measurements.timings_ms}
    return measurements
