"""Beats: R peaks on the rhythm strip (NeuroKit2), clean RR intervals, ectopic beats, the beats of each lead."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import uniform_filter1d

# NeuroKit2 warns that a 10 s strip is short for its detectors, which is known. A filter set once, here, rather
# than ``warnings.catch_warnings`` around each call: that swaps the process's filters and is not safe between
# the threads that analyse images at once.
warnings.filterwarnings("ignore", module=r"neurokit2(\.|$)")

#: A beat closer than this to either end of the rhythm strip may be cut off by the page's edge: its R peak
#: is not where the QRS peaks, so the intervals to it are dropped (a 0.32 s "interval" seen otherwise).
EDGE_BEAT_SECONDS = 0.12
#: An RR interval shorter than this share of the median interval makes its beat premature.
PREMATURE_SHARE = 0.85
#: A QRS whose correlation with the page's median QRS is below this has another shape (an ectopic focus).
SHAPE_CORRELATION = 0.8
#: A beat found on the rhythm strip is looked for this far (s) in the page's slope, to centre it on its QRS.
ALIGN_REACH_S = 0.1
#: The page's slope is smoothed over this long (s): about a QRS, so that it peaks once, in the QRS's middle,
#: not at its up- or its downstroke by turns.
SLOPE_SMOOTHING_S = 0.04
#: A beat whose QRS slope is below this share of the page's typical one is not a beat (a P or T wave taken for
#: one, which NeuroKit2's detectors do now and then at a strip's start).
MIN_BEAT_SLOPE_SHARE = 0.3
#: An interval longer than this share of the median is searched for a beat the detector missed.
MISSED_BEAT_RR_SHARE = 1.5
#: Half-width of the QRS window compared for shape, and how far (s) a beat may be shifted to match.
QRS_HALF_WINDOW_S = 0.06
SHAPE_LAG_S = 0.016


def fill_gaps(signal: np.ndarray) -> np.ndarray:
    """NaN samples replaced by linear interpolation (the ends by the nearest value), for filters that need
    every sample.

    Examples
    --------
    >>> fill_gaps(np.array([np.nan, 1.0, np.nan, 3.0])).tolist()
    [1.0, 1.0, 2.0, 3.0]
    """
    signal = np.asarray(signal, dtype=np.float64)
    known = ~np.isnan(signal)
    if known.all() or not known.any():
        return np.nan_to_num(signal)
    x = np.arange(len(signal))
    return np.interp(x, x[known], signal[known])


#: NeuroKit2's R-peak detector: Kalidas and Tamil's (2017). Its heart rate agrees with the rate printed in the
#: shared printouts' footers more often than NeuroKit2's default method's (``scripts/check_heart_rate.py
#: --method``).
R_PEAK_METHOD = "kalidas2017"


def r_peaks(signal: np.ndarray, fs: float, method: str = R_PEAK_METHOD) -> np.ndarray:
    """Sample indices of the R peaks of a lead, by NeuroKit2 (``ecg_clean``, then ``ecg_peaks`` with
    ``method``). Peaks within ``EDGE_BEAT_SECONDS`` of the ends of the measured part are left out: there the
    detector sees the edge of the trace, or half a beat.

    Parameters
    ----------
    signal : ndarray
        Millivolts at ``fs``; NaN gaps are bridged first.

    Returns
    -------
    ndarray of int, sorted

    Examples
    --------
    >>> import neurokit2 as nk
    >>> peaks = r_peaks(nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=60, random_state=1), 500)
    >>> 9 <= len(peaks) <= 11
    True
    """
    import neurokit2 as nk

    filled = fill_gaps(signal)
    if len(filled) < fs or np.ptp(filled) < 1e-6:
        return np.zeros(0, dtype=int)
    cleaned = nk.ecg_clean(filled, sampling_rate=int(fs))
    _, info = nk.ecg_peaks(cleaned, sampling_rate=int(fs), method=method)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    measured = np.flatnonzero(~np.isnan(signal))
    edge = EDGE_BEAT_SECONDS * fs
    return peaks[(peaks >= measured[0] + edge) & (peaks <= measured[-1] - edge)]


def clean_rr_intervals(peaks_s: np.ndarray, duration_s: float, edge_s: float = EDGE_BEAT_SECONDS) -> np.ndarray:
    """RR intervals (s) between the beats that are whole: beats within ``edge_s`` of the strip's ends are
    left out.

    Examples
    --------
    >>> clean_rr_intervals(np.array([0.05, 0.37, 1.17, 1.97, 2.95]), duration_s=3.0).round(2).tolist()
    [0.8, 0.8]
    """
    inside = peaks_s[(peaks_s >= edge_s) & (peaks_s <= duration_s - edge_s)]
    return np.diff(inside)


def premature_beats(rr_s: np.ndarray, share: float = PREMATURE_SHARE) -> np.ndarray:
    """Which beats (each interval's later beat) come early: an interval shorter than ``share`` of the median.

    Examples
    --------
    >>> premature_beats(np.array([0.8, 0.8, 0.5, 1.1, 0.8])).tolist()
    [False, False, True, False, False]
    """
    if len(rr_s) == 0:
        return np.zeros(0, bool)
    return rr_s < share * float(np.median(rr_s))


def qrs_windows(signal: np.ndarray, peaks: np.ndarray, fs: float, half_s: float = QRS_HALF_WINDOW_S) -> np.ndarray:
    """The samples around each R peak, (n_beats, 2 * half + 1); NaN beyond the signal's ends."""
    half = int(round(half_s * fs))
    padded = np.concatenate((np.full(half, np.nan), signal, np.full(half, np.nan)))
    return np.stack([padded[p: p + 2 * half + 1] for p in peaks]) if len(peaks) else np.zeros((0, 2 * half + 1))


def qrs_likeness(signal: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """Each beat's QRS correlation with the strip's median QRS (at the best shift within ``SHAPE_LAG_S``,
    as beats are placed only to a few ms); ones when there are fewer than 3 beats to compare.

    Examples
    --------
    >>> t = np.arange(2000) / 500.0
    >>> peaks = np.array([250, 750, 1250, 1750])
    >>> beat = np.exp(-((t[:60] - 0.06) / 0.01) ** 2)
    >>> signal = np.zeros(2000)
    >>> for p in peaks[:3]:
    ...     signal[p - 30: p + 30] = beat
    >>> signal[1720:1780] = -np.sin(np.linspace(0, 2 * np.pi, 60))  # another shape
    >>> (qrs_likeness(signal, peaks, 500) < SHAPE_CORRELATION).tolist()
    [False, False, False, True]
    """
    lag = int(round(SHAPE_LAG_S * fs))
    windows = qrs_windows(fill_gaps(signal), peaks, fs, QRS_HALF_WINDOW_S + SHAPE_LAG_S)
    if len(windows) < 3:
        return np.ones(len(windows))
    template = column_nanmedian(windows)[lag: windows.shape[1] - lag]
    shifts = np.arange(2 * lag + 1)[:, None] + np.arange(len(template))[None, :]
    return _correlations(windows[:, shifts], template).max(axis=1)


def _correlations(shifted: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Pearson correlation of each (beat, shift) window with the template over the samples both have (1 where
    either is flat)."""
    known = ~np.isnan(shifted) & ~np.isnan(template)
    counts = np.maximum(known.sum(axis=-1, keepdims=True), 1)
    a = np.where(known, shifted, 0.0)
    b = np.where(known, template, 0.0)
    a = np.where(known, a - a.sum(axis=-1, keepdims=True) / counts, 0.0)
    b = np.where(known, b - b.sum(axis=-1, keepdims=True) / counts, 0.0)
    denominator = np.sqrt(np.sum(a * a, axis=-1) * np.sum(b * b, axis=-1))
    return np.where(denominator > 0, np.sum(a * b, axis=-1) / np.where(denominator > 0, denominator, 1.0), 1.0)


def column_nanmedian(windows: np.ndarray) -> np.ndarray:
    """The median of each column over its non-NaN values; NaN where a column has none. The same values as
    ``np.nanmedian(windows, axis=0)``, without its warning and about ten times faster on a lead's beats (numpy
    takes a masked-array path for short columns).

    Examples
    --------
    >>> column_nanmedian(np.array([[1.0, np.nan, 5.0], [3.0, np.nan, np.nan], [2.0, np.nan, 7.0]])).tolist()
    [2.0, nan, 6.0]
    """
    counts = (~np.isnan(windows)).sum(axis=0)
    ordered = np.sort(windows, axis=0)  # NaN sorts last
    out = np.full(windows.shape[1], np.nan)
    columns = np.flatnonzero(counts)
    low, high = (counts[columns] - 1) // 2, counts[columns] // 2
    out[columns] = (ordered[low, columns] + ordered[high, columns]) / 2.0
    return out


def qrs_prominence(peaks_s: np.ndarray, slope: np.ndarray, fs: float) -> float:
    """How far the beats stand out of the page's slope: the median slope at the beats over the median slope
    (0 without beats). A trace's QRS complexes rise many times above its P and T waves; noise does not.

    Examples
    --------
    >>> slope = np.ones(1000); slope[[100, 500]] = 12.0
    >>> qrs_prominence(np.array([0.2, 1.0]), slope, fs=500)
    12.0
    """
    if len(peaks_s) == 0:
        return 0.0
    index = np.clip(np.round(np.asarray(peaks_s) * fs).astype(int), 0, len(slope) - 1)
    return float(np.median(slope[index]) / max(float(np.median(slope)), 1e-9))


def confirmed_beats(peaks_s: np.ndarray, slope: np.ndarray, fs: float,
                    share: float = MIN_BEAT_SLOPE_SHARE) -> np.ndarray:
    """Which beats have a QRS in the page's slope (``page_slope`` with ``per_lead_scale``): at least ``share`` of
    its height at the beats' upper quartile. The quartile, not the median, holds the reference on a strip where
    the detector took many T waves for beats.

    Examples
    --------
    >>> slope = np.ones(1000); slope[[100, 300, 500, 900]] = [20.0, 21.0, 22.0, 3.0]
    >>> confirmed_beats(np.array([0.2, 0.6, 1.0, 1.8]), slope, fs=500).tolist()
    [True, True, True, False]
    """
    index = np.clip(np.round(np.asarray(peaks_s) * fs).astype(int), 0, len(slope) - 1)
    if len(index) == 0:
        return np.zeros(0, bool)
    heights = slope[index]
    return heights >= share * float(np.percentile(heights, 75))


def missed_beats(peaks_s: np.ndarray, slope: np.ndarray, fs: float, share: float = MIN_BEAT_SLOPE_SHARE
                 ) -> np.ndarray:
    """Beats the detector passed over: in an interval longer than ``MISSED_BEAT_RR_SHARE`` of the median, the
    page slope's peaks (``per_lead_scale``) at least ``share`` of its median height at the beats, at least 0.4 of
    the median interval from every beat.

    A strip whose QRS is small (lead III, noise) loses beats to the detector; its gaps then read as pauses and
    the rhythm's variation as an arrhythmia.

    Examples
    --------
    >>> slope = np.ones(5000); slope[[500, 1000, 1500, 2000, 2500]] = 20.0
    >>> missed_beats(np.array([1.0, 2.0, 3.0, 5.0]), slope, fs=500).tolist()
    [4.0]
    """
    from scipy.signal import find_peaks

    if len(peaks_s) < 3:
        return np.zeros(0)
    median_rr = float(np.median(np.diff(peaks_s)))
    index = np.clip(np.round(peaks_s * fs).astype(int), 0, len(slope) - 1)
    height = share * float(np.median(slope[index]))
    found = []
    for earlier, later in zip(peaks_s[:-1], peaks_s[1:], strict=True):
        if later - earlier <= MISSED_BEAT_RR_SHARE * median_rr:
            continue
        lo, hi = int((earlier + 0.4 * median_rr) * fs), int((later - 0.4 * median_rr) * fs)
        if hi <= lo:
            continue
        peaks, _ = find_peaks(slope[lo:hi], height=height, distance=max(1, int(0.4 * median_rr * fs)))
        found.extend((lo + peaks) / fs)
    return np.asarray(found, dtype=np.float64)


def beats_in_window(peaks_s: np.ndarray, start_s: float, duration_s: float) -> np.ndarray:
    """The beat times (s, on the page's clock) that fall in a lead's window, relative to its start.

    Examples
    --------
    >>> beats_in_window(np.array([0.4, 1.2, 2.0, 2.8, 3.6]), start_s=2.5, duration_s=2.5).round(2).tolist()
    [0.3, 1.1]
    """
    inside = peaks_s[(peaks_s >= start_s) & (peaks_s < start_s + duration_s)]
    return inside - start_s


def page_slope(signals: dict, fs: float, duration_s: float, per_lead_scale: bool = False) -> np.ndarray:
    """The page's leads as one signal on its clock: the magnitude of the slopes (mV/s) of every lead printed at
    each moment, smoothed over ``SLOPE_SMOOTHING_S``.

    It peaks in the middle of each QRS, where the leads change fastest together, even where the rhythm
    strip's own lead has a small QRS: at every moment three more leads were printed in that column.

    Parameters
    ----------
    signals : dict of lead name -> LeadSignal
    duration_s : float
        Length of the page's clock (the rhythm strip's).
    per_lead_scale : bool
        Each lead's slope in units of its own steepest (99th percentile): every lead then counts alike, so a
        column of tall chest leads does not drown the limb leads', nor the rhythm strip alone at a column's start.
    """
    n = int(round(duration_s * fs))
    total = np.zeros(n)
    for signal in signals.values():
        known = ~np.isnan(signal.millivolts)
        slope = np.where(known, np.gradient(fill_gaps(signal.millivolts)) * fs, 0.0)
        if per_lead_scale and known.any():
            slope = slope / max(float(np.percentile(np.abs(slope[known]), 99)), 1e-6)
        start = int(round(signal.start_s * fs))
        lo, hi = max(0, start), min(n, start + len(slope))
        if hi > lo:
            total[lo:hi] += slope[lo - start: hi - start] ** 2
    return uniform_filter1d(np.sqrt(total), max(1, int(SLOPE_SMOOTHING_S * fs)))


def align_to_qrs(peaks_s: np.ndarray, slope: np.ndarray, fs: float, reach_s: float = ALIGN_REACH_S) -> np.ndarray:
    """Each beat moved to the highest point of the page's slope (``page_slope``) within ``reach_s``: one
    reference point in the QRS, the same for every lead, whichever lead the beat was found on.

    Detections that land on the same QRS become one beat.

    Examples
    --------
    >>> slope = np.zeros(1000); slope[[210, 640]] = 5.0
    >>> align_to_qrs(np.array([0.4, 1.3, 1.34]), slope, fs=500).tolist()
    [0.42, 1.28]
    """
    reach = int(round(reach_s * fs))
    aligned = []
    for peak in np.round(np.asarray(peaks_s) * fs).astype(int):
        lo, hi = max(0, peak - reach), min(len(slope), peak + reach + 1)
        aligned.append((lo + int(np.argmax(slope[lo:hi]))) / fs if hi > lo else peak / fs)
    # two detections of one QRS (its onset and a T wave taken for a beat) land on the same point: one beat
    return np.unique(np.round(np.asarray(aligned, dtype=np.float64), 6))
