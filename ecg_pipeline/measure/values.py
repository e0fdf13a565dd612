"""Values read off the median beats and the rhythm: per lead, for the page, and per territory.

Every amplitude is in mV against the lead's PR baseline, every duration in ms.
"""

from __future__ import annotations

import numpy as np

from ..constants import (
    CONTIGUOUS_LEADS,
    NORMAL_Q_LEADS,
    PATHOLOGICAL_Q_MIN_MV,
    PATHOLOGICAL_Q_MS,
    PATHOLOGICAL_Q_SHARE,
    ST_DEPRESSION_MV,
    ST_ELEVATION_MV,
    ST_ELEVATION_V2_V3_MV,
    T_INVERSION_MV,
    TERRITORY_LEADS,
)
from .beats import fill_gaps
from .fiducials import Fiducials, MedianBeat, fallback_t_end, pr_baseline, t_peak

#: A deflection smaller than this (mV) is line noise, not a wave (a digitized pixel is about 0.013 mV).
NOISE_MV = 0.03
#: The ST level the criteria and the territories read: at J + 60 ms, as automated ECG programs measure it,
#: because a digitized J point can sit on the end of the S wave's upstroke.
CRITERION_ST = "st_j60_mv"
#: The standard criteria a lead is checked against (see ``lead_criteria``).
CRITERIA: tuple[str, ...] = ("st_elevation", "st_depression", "t_inversion", "pathological_q")
#: The names of the per-lead values, in the order they are computed.
LEAD_VALUES: tuple[str, ...] = (
    "st_j_mv", "st_j60_mv", "st_j80_mv", "st_slope_mv_per_s", "q_depth_mv", "q_width_ms", "r_amplitude_mv",
    "s_amplitude_mv", "r_share", "qrs_area_mv_ms", "qrs_peak_to_peak_mv", "t_area_mv_ms", "t_max_mv", "t_min_mv",
    "t_peak_ms", "t_qrs_ratio",
)
PAGE_VALUES: tuple[str, ...] = (
    "heart_rate_bpm", "rr_cv", "rmssd_ms", "pnn50", "rr_max_s", "rr_min_s", "beat_count", "premature_beats",
    "other_shape_beats", "ectopic_beats", "qrs_duration_ms", "qt_ms", "qtc_ms", "p_amplitude_mv",
)


def _at(beat: MedianBeat, seconds: float, baseline: float) -> float:
    return float(beat.millivolts[beat.index(seconds)] - baseline)


def q_wave(qrs: np.ndarray, fs: float) -> tuple[float, float]:
    """Depth (mV, positive) and width (ms) of the QRS's initial negative deflection, ``(0, 0)`` when the
    QRS starts upwards.

    Parameters
    ----------
    qrs : ndarray
        The lead from QRS onset to J point, minus its PR baseline.

    Examples
    --------
    >>> fs = 500; qrs = np.concatenate((-np.sin(np.linspace(0, np.pi, 20)) * 0.3, np.ones(20)))
    >>> depth, width = q_wave(qrs, fs)
    >>> round(depth, 2), round(width)
    (0.3, 40)
    """
    deflected = np.flatnonzero(np.abs(qrs) > NOISE_MV)
    if len(deflected) == 0 or qrs[deflected[0]] > 0:
        return 0.0, 0.0
    above = np.flatnonzero(qrs[deflected[0]:] > 0)
    end = deflected[0] + (above[0] if len(above) else len(qrs) - deflected[0])
    return float(-qrs[:end].min()), float(end / fs * 1000.0)


def lead_values(beat: MedianBeat, fiducials: Fiducials, median_rr_s: float) -> dict[str, float]:
    """ST, Q, R, S, QRS and T values of one lead's median beat (see ``LEAD_VALUES``).

    Examples
    --------
    >>> fs = 500.0; t = -0.3 + np.arange(451) / fs
    >>> mv = np.exp(-(t / 0.012) ** 2) + np.where((t > 0.05) & (t < 0.3), 0.2, 0.0)  # an R wave and 0.2 mV ST
    >>> values = lead_values(MedianBeat(mv, fs, 3), Fiducials(-0.04, 0.04, 0.35), median_rr_s=0.8)
    >>> round(values["st_j60_mv"], 2), round(values["r_amplitude_mv"], 2), values["q_depth_mv"]
    (0.2, 1.0, 0.0)
    """
    baseline = pr_baseline(beat, fiducials)
    if not np.isfinite(baseline):  # nothing was measured before the QRS: no value has a reference
        return dict.fromkeys(LEAD_VALUES, np.nan)
    onset, j = beat.index(fiducials.qrs_onset_s), beat.index(fiducials.j_point_s)
    qrs = fill_gaps(beat.millivolts[onset: j + 1]) - baseline
    step_ms = 1000.0 / beat.fs
    r_index = int(np.argmax(qrs))
    r_amplitude = max(0.0, float(qrs[r_index]))
    s_amplitude = min(0.0, float(qrs[r_index:].min()))
    q_depth, q_width = q_wave(qrs, beat.fs)
    st_j, st_80 = _at(beat, fiducials.j_point_s, baseline), _at(beat, fiducials.j_point_s + 0.08, baseline)
    t_end = fiducials.t_end_s if np.isfinite(fiducials.t_end_s) else fallback_t_end(fiducials.j_point_s, median_rr_s)
    t_segment = fill_gaps(beat.millivolts[j: beat.index(t_end) + 1]) - baseline
    if t_segment.size < 2:  # a J point found at the window's end (not an ECG): no T wave to read
        t_segment = np.full(2, np.nan)
    peak = t_peak(beat, fiducials, baseline, median_rr_s)
    return {
        "st_j_mv": st_j,
        "st_j60_mv": _at(beat, fiducials.j_point_s + 0.06, baseline),
        "st_j80_mv": st_80,
        "st_slope_mv_per_s": (st_80 - st_j) / 0.08,
        "q_depth_mv": q_depth,
        "q_width_ms": q_width,
        "r_amplitude_mv": r_amplitude,
        "s_amplitude_mv": s_amplitude,
        "r_share": r_amplitude / (r_amplitude - s_amplitude) if r_amplitude - s_amplitude > NOISE_MV else np.nan,
        "qrs_area_mv_ms": float(np.sum(qrs) * step_ms),
        "qrs_peak_to_peak_mv": float(np.ptp(qrs)),
        "t_area_mv_ms": float(np.sum(t_segment) * step_ms),
        "t_max_mv": float(t_segment.max()),
        "t_min_mv": float(t_segment.min()),
        "t_peak_ms": (peak - fiducials.j_point_s) * 1000.0 if np.isfinite(peak) else np.nan,
        # a T wave tall for its QRS is hyperacute (early infarction), a deep one ischaemic
        "t_qrs_ratio": (float(t_segment[np.nanargmax(np.abs(t_segment))]) / float(np.ptp(qrs))
                        if np.ptp(qrs) > NOISE_MV and np.isfinite(t_segment).any() else np.nan),
    }


def rhythm_values(peaks_s: np.ndarray, rr_s: np.ndarray, premature: np.ndarray, other_shape: np.ndarray,
                  ectopic: np.ndarray) -> dict[str, float]:
    """Rate and variability of the clean RR intervals, and the ectopic beats.

    The variability is the standard time-domain set (coefficient of variation, RMSSD, pNN50, extremes) in
    numpy: NeuroKit2's ``hrv_time`` gives the same values (``test_measure``) but took 8 ms a page, an eighth of
    the measurements' budget, building its table of 90 indices to read four.

    Parameters
    ----------
    peaks_s : ndarray
        Every R peak found on the rhythm strip (s).
    rr_s : ndarray
        The clean RR intervals (see ``clean_rr_intervals``).
    premature, other_shape, ectopic : ndarray of bool
        Per interval's later beat, per peak, and per peak either of them (a beat that is both counts once).
    """
    values = {"beat_count": float(len(peaks_s)), "premature_beats": float(np.sum(premature)),
              "other_shape_beats": float(np.sum(other_shape)), "ectopic_beats": float(np.sum(ectopic))}
    if len(rr_s) < 2:
        return {**values, **dict.fromkeys(("heart_rate_bpm", "rr_cv", "rmssd_ms", "pnn50", "rr_max_s", "rr_min_s"),
                                          np.nan)}
    successive = np.diff(rr_s)
    return {**values, "heart_rate_bpm": 60.0 / float(np.median(rr_s)),
            "rr_cv": float(np.std(rr_s, ddof=1) / np.mean(rr_s)),
            "rmssd_ms": float(np.sqrt(np.mean(successive ** 2))) * 1000.0,
            "pnn50": float(np.sum(np.abs(successive) > 0.05)) / len(rr_s),  # over the intervals, as the Task Force
            "rr_max_s": float(rr_s.max()), "rr_min_s": float(rr_s.min())}


def interval_values(fiducials: Fiducials | None, median_rr_s: float, rhythm_beat: MedianBeat | None
                    ) -> dict[str, float]:
    """QRS duration, QT (and Bazett's QTc), and the P wave's height on the rhythm strip."""
    if fiducials is None:
        return dict.fromkeys(("qrs_duration_ms", "qt_ms", "qtc_ms", "p_amplitude_mv"), np.nan)
    qt = (fiducials.t_end_s - fiducials.qrs_onset_s) * 1000.0
    p_amplitude = np.nan
    if rhythm_beat is not None:
        baseline = pr_baseline(rhythm_beat, fiducials)
        lo = rhythm_beat.index(fiducials.qrs_onset_s - min(0.25, 0.4 * median_rr_s))
        hi = rhythm_beat.index(fiducials.qrs_onset_s - 0.04)
        segment = rhythm_beat.millivolts[lo: hi + 1] - baseline
        p_amplitude = float(np.nanmax(segment)) if np.any(np.isfinite(segment)) else np.nan
    return {"qrs_duration_ms": fiducials.qrs_duration_ms, "qt_ms": qt,
            "qtc_ms": qt / np.sqrt(median_rr_s) if np.isfinite(median_rr_s) and median_rr_s > 0 else np.nan,
            "p_amplitude_mv": p_amplitude}


def st_elevation_threshold(lead: str) -> float:
    """The ST elevation (mV, read at ``CRITERION_ST``) that counts in ``lead``."""
    return ST_ELEVATION_V2_V3_MV if lead in ("V2", "V3") else ST_ELEVATION_MV


def lead_criteria(leads: dict[str, dict[str, float]]) -> dict[str, dict[str, bool]]:
    """Which standard criteria each measured lead meets: ``st_elevation`` (with a contiguous neighbour
    elevated too), ``st_depression`` (both read at ``CRITERION_ST``), ``pathological_q`` (never in
    ``NORMAL_Q_LEADS``) and ``t_inversion``.

    Examples
    --------
    >>> blank = dict(st_j60_mv=0.0, q_width_ms=0.0, q_depth_mv=0.0, r_amplitude_mv=1.0, t_min_mv=0.0, t_max_mv=0.3)
    >>> raised = {"II": 0.15, "aVF": 0.12, "I": 0.3}
    >>> leads = {name: {**blank, "st_j60_mv": value} for name, value in raised.items()}
    >>> {name: c["st_elevation"] for name, c in lead_criteria(leads).items()}
    {'II': True, 'aVF': True, 'I': False}
    """
    raised = {name: v[CRITERION_ST] >= st_elevation_threshold(name) for name, v in leads.items()}
    neighbours: dict[str, set[str]] = {name: set() for name in leads}
    for order in CONTIGUOUS_LEADS:
        for a, b in zip(order, order[1:], strict=False):
            if a in neighbours and b in neighbours:
                neighbours[a].add(b)
                neighbours[b].add(a)
    criteria = {}
    for name, v in leads.items():
        q_share = v["q_depth_mv"] / v["r_amplitude_mv"] if v["r_amplitude_mv"] > NOISE_MV else np.inf
        criteria[name] = {
            "st_elevation": bool(raised[name] and any(raised[n] for n in neighbours[name])),
            "st_depression": bool(v[CRITERION_ST] <= -ST_DEPRESSION_MV),
            "pathological_q": bool(name not in NORMAL_Q_LEADS and v["q_depth_mv"] >= PATHOLOGICAL_Q_MIN_MV
                                   and (v["q_width_ms"] >= PATHOLOGICAL_Q_MS or q_share >= PATHOLOGICAL_Q_SHARE)),
            "t_inversion": bool(v["t_min_mv"] <= -T_INVERSION_MV and -v["t_min_mv"] > v["t_max_mv"]),
        }
    return criteria


def _finite(values) -> list[float]:
    return [float(v) for v in values if np.isfinite(v)]


def _largest(values) -> float:
    finite = _finite(values)
    return max(finite) if finite else np.nan


def _smallest(values) -> float:
    finite = _finite(values)
    return min(finite) if finite else np.nan


def _second_largest(values) -> float:
    finite = sorted(_finite(values))
    return finite[-2] if len(finite) >= 2 else np.nan


def page_extremes(leads: dict[str, dict[str, float]], criteria: dict[str, dict[str, bool]]) -> dict[str, float]:
    """The most abnormal leads of the page, whichever territory they face: the largest and second-largest ST
    level and T/QRS ratio, the deepest T wave, the widest Q wave, and how many leads meet each criterion.

    An infarction shows in two or more neighbouring leads, and which ones varies from patient to patient:
    these values carry that evidence without tying it to one lead.
    """
    st = [v[CRITERION_ST] for v in leads.values()]
    ratio = [v["t_qrs_ratio"] for v in leads.values()]
    values = {
        "page_st_max_mv": _largest(st),
        "page_st_second_mv": _second_largest(st),
        "page_st_min_mv": _smallest(st),
        "page_t_qrs_ratio_max": _largest(ratio),
        "page_t_qrs_ratio_second": _second_largest(ratio),
        "page_t_min_mv": _smallest(v["t_min_mv"] for v in leads.values()),
        "page_q_width_max_ms": _largest(v["q_width_ms"] for v in leads.values()),
    }
    for criterion in CRITERIA:
        values[f"page_{criterion}_leads"] = float(sum(c[criterion] for c in criteria.values())) if criteria else np.nan
    return values


def territory_values(leads: dict[str, dict[str, float]]) -> dict[str, float]:
    """Per territory (``TERRITORY_LEADS``): ST maximum and minimum and the counts of leads meeting each
    criterion; R-wave progression over V1-V6 and aVR's ST. NaN where no lead of a territory was measured."""
    criteria = lead_criteria(leads)
    values: dict[str, float] = {}
    for territory, names in TERRITORY_LEADS.items():
        present = [n for n in names if n in leads]
        st = [leads[n][CRITERION_ST] for n in present]
        values[f"{territory}_st_max_mv"] = _largest(st)
        values[f"{territory}_st_min_mv"] = _smallest(st)
        for criterion in CRITERIA:
            values[f"{territory}_{criterion}_leads"] = (float(sum(criteria[n][criterion] for n in present))
                                                        if present else np.nan)
    values.update(page_extremes(leads, criteria))
    chest = CONTIGUOUS_LEADS[1]  # V1 to V6
    r = np.array([leads[n]["r_amplitude_mv"] if n in leads else np.nan for n in chest])
    known = ~np.isnan(r[:4])
    values["r_progression_mv_per_lead"] = (float(np.polyfit(np.flatnonzero(known), r[:4][known], 1)[0])
                                           if known.sum() >= 2 else np.nan)
    shares = [leads[n]["r_share"] if n in leads else np.nan for n in chest]
    transition = next((i + 1 for i, s in enumerate(shares) if np.isfinite(s) and s > 0.5), None)
    values["r_transition_lead"] = float(transition) if transition else (7.0 if np.isfinite(shares).any() else np.nan)
    values["avr_st_mv"] = leads["aVR"][CRITERION_ST] if "aVR" in leads else np.nan
    return values
