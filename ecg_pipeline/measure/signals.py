"""Digitized leads as signals on one clock: a common sampling rate, the page's time, label zones trimmed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import MEASUREMENT_FS, PAPER_SPEED_MM_PER_S
from ..preprocess.digitize import Trace

#: A lead's printed label sits over the first this many seconds of its trace (the widest, "aVR", spans
#: 0.17 s on the reference printer), where the digitized line can follow the letters instead.
LABEL_SECONDS = 0.2
#: Columns without trace are bridged when the gap is at most this long (a steep stroke thinned away);
#: longer gaps stay missing.
MAX_GAP_SECONDS = 0.03


@dataclass
class LeadSignal:
    """One lead resampled to ``fs``: ``millivolts[i]`` is at ``start_s + i / fs`` seconds of the page's clock.

    NaN marks samples that were not measured (the label zone, gaps in the trace).
    """

    name: str
    start_s: float
    fs: float
    millivolts: np.ndarray

    @property
    def seconds(self) -> np.ndarray:
        """The time of each sample on the page's clock."""
        return self.start_s + np.arange(len(self.millivolts)) / self.fs

    @property
    def measured_share(self) -> float:
        return float(np.mean(~np.isnan(self.millivolts))) if len(self.millivolts) else 0.0


def resample_trace(trace: Trace, fs: float = MEASUREMENT_FS, trim_s: float = LABEL_SECONDS) -> np.ndarray:
    """A digitized trace at ``fs`` samples per second, NaN over its first ``trim_s`` seconds and its gaps.

    Parameters
    ----------
    trace : Trace
        One sample per pixel column; ``trace.measured`` marks the columns where ink was found.

    Examples
    --------
    >>> trace = Trace(seconds=np.arange(100) / 100.0, millivolts=np.ones(100), px_per_mm=4.0)
    >>> out = resample_trace(trace, fs=200.0, trim_s=0.1)
    >>> len(out), bool(np.isnan(out[:20]).all()), float(out[50])
    (198, True, 1.0)
    """
    step = float(np.median(np.diff(trace.seconds)))
    seconds = np.arange(0.0, trace.seconds[-1], 1.0 / fs)
    values = np.interp(seconds, trace.seconds, trace.millivolts)
    # A gap in the ink longer than MAX_GAP_SECONDS is not bridged: its samples stay unknown.
    missing = np.zeros(len(trace.seconds), bool) if trace.measured is None else ~np.asarray(trace.measured, bool)
    if missing.any():
        run_id = np.cumsum(np.concatenate(([0], np.diff(missing.astype(np.int8)) != 0)))
        run_length = np.bincount(run_id)[run_id]
        long_gap = missing & (run_length * step > MAX_GAP_SECONDS)
        values[long_gap[np.clip(np.round(seconds / step).astype(int), 0, len(long_gap) - 1)]] = np.nan
    values[seconds < trim_s] = np.nan
    return values


def lead_signals(traces: dict[str, Trace], boxes: dict[str, tuple], trace_left: float,
                 fs: float = MEASUREMENT_FS) -> dict[str, LeadSignal]:
    """Every lead on the rhythm strip's clock: a 2.5 s lead starts where its column's x says.

    Parameters
    ----------
    traces : dict of lead name -> Trace
        From ``digitize_lead``.
    boxes : dict of lead name -> (top, bottom, left, right)
        The lead boxes of the page.
    trace_left : float
        x of time 0: where the first column and the rhythm strip start (``Layout.trace_left``).

    Returns
    -------
    dict of lead name -> LeadSignal
    """
    signals = {}
    for name, trace in traces.items():
        px_per_s = trace.px_per_mm * PAPER_SPEED_MM_PER_S
        start = (boxes[name][2] - trace_left) / px_per_s
        signals[name] = LeadSignal(name=name, start_s=float(start), fs=fs,
                                   millivolts=resample_trace(trace, fs))
    return signals
