"""The measurements' names for a person: ``"V2.st_j60_mv"`` is "V2: ST level at J + 60 ms (mV)"."""

from __future__ import annotations

LEAD_VALUE_NAMES: dict[str, str] = {
    "st_j_mv": "ST level at the J point (mV)",
    "st_j60_mv": "ST level at J + 60 ms (mV)",
    "st_j80_mv": "ST level at J + 80 ms (mV)",
    "st_slope_mv_per_s": "ST slope (mV/s)",
    "q_depth_mv": "Q wave depth (mV)",
    "q_width_ms": "Q wave width (ms)",
    "r_amplitude_mv": "R wave height (mV)",
    "s_amplitude_mv": "S wave depth (mV)",
    "r_share": "R / (R + |S|)",
    "qrs_area_mv_ms": "QRS area (mV ms)",
    "qrs_peak_to_peak_mv": "QRS peak-to-peak (mV)",
    "t_area_mv_ms": "T wave area (mV ms)",
    "t_max_mv": "T wave maximum (mV)",
    "t_min_mv": "T wave minimum (mV)",
    "t_peak_ms": "T peak after J (ms)",
    "t_qrs_ratio": "T wave height over QRS size",
}
PAGE_VALUE_NAMES: dict[str, str] = {
    "heart_rate_bpm": "heart rate (bpm)",
    "rr_cv": "RR interval variation (coefficient)",
    "rmssd_ms": "RMSSD of RR intervals (ms)",
    "pnn50": "share of successive RR differences over 50 ms",
    "rr_max_s": "longest RR interval (s)",
    "rr_min_s": "shortest RR interval (s)",
    "beat_count": "beats on the rhythm strip",
    "premature_beats": "premature beats",
    "other_shape_beats": "beats of another QRS shape",
    "ectopic_beats": "ectopic beats",
    "qrs_duration_ms": "QRS duration (ms)",
    "qt_ms": "QT interval (ms)",
    "qtc_ms": "QTc, Bazett (ms)",
    "p_amplitude_mv": "P wave height on the rhythm strip (mV)",
    "page_st_max_mv": "highest ST level of any lead (mV)",
    "page_st_second_mv": "second-highest ST level of any lead (mV)",
    "page_st_min_mv": "lowest ST level of any lead (mV)",
    "page_t_qrs_ratio_max": "largest T over QRS of any lead",
    "page_t_qrs_ratio_second": "second-largest T over QRS of any lead",
    "page_t_min_mv": "deepest T wave of any lead (mV)",
    "page_q_width_max_ms": "widest Q wave of any lead (ms)",
    "r_progression_mv_per_lead": "R wave growth from V1 to V4 (mV per lead)",
    "r_transition_lead": "first chest lead with R over S",
    "avr_st_mv": "aVR's ST level (mV)",
}
CRITERION_WORDS: dict[str, str] = {
    "st_elevation": "ST elevation", "st_depression": "ST depression", "t_inversion": "T inversion",
    "pathological_q": "pathological Q",
}


def describe(feature: str) -> str:
    """A measurement's name in words.

    Examples
    --------
    >>> describe("V2.st_j60_mv")
    'V2: ST level at J + 60 ms (mV)'
    >>> describe("inferior_st_elevation_leads")
    'inferior leads with ST elevation'
    >>> describe("page_pathological_q_leads")
    'leads with pathological Q'
    """
    if "." in feature:
        lead, value = feature.split(".", 1)
        return f"{lead}: {LEAD_VALUE_NAMES.get(value, value)}"
    if feature in PAGE_VALUE_NAMES:
        return PAGE_VALUE_NAMES[feature]
    territory, _, rest = feature.partition("_")
    for criterion, words in CRITERION_WORDS.items():
        if rest == f"{criterion}_leads":
            return f"leads with {words}" if territory == "page" else f"{territory} leads with {words}"
    if rest in ("st_max_mv", "st_min_mv"):
        return f"{territory} leads' {'highest' if rest == 'st_max_mv' else 'lowest'} ST level (mV)"
    return feature.replace("_", " ")
