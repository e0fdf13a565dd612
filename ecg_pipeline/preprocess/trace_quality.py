"""How well a page was digitized: the signal-to-noise ratio against a known signal (synthetic pages), the way the
PhysioNet Challenge 2024 scores digitizers.

References
----------
Reyna M. A. et al., "Digitization and classification of ECG images: the George B. Moody PhysioNet Challenge 2024",
Computing in Cardiology 2024 (the SNR of a digitized channel against the true one, after the best shift).
"""

from __future__ import annotations

import numpy as np

from ..constants import MEASUREMENT_FS

#: The largest time shift searched when aligning a digitized lead with the truth, in seconds: a digitizer's clock
#: may start a few samples off without its shape being wrong.
MAX_SHIFT_S = 0.05


def snr_db(truth: np.ndarray, digitized: np.ndarray, fs: float = MEASUREMENT_FS,
           max_shift_s: float = MAX_SHIFT_S) -> float:
    """Signal-to-noise ratio of a digitized lead, in dB: ``10 log10(sum(truth^2) / sum((truth - digitized)^2))``,
    after the time shift (up to ``max_shift_s``) and the constant offset that match them best, over the samples
    both have (NaN marks a sample either lacks).

    Parameters
    ----------
    truth, digitized : ndarray, same length
        The lead in mV on one clock (``fs`` samples per second).

    Returns
    -------
    float
        The SNR in dB; NaN when fewer than a tenth of a second of samples overlap, ``inf`` for a perfect copy.

    Examples
    --------
    >>> t = np.arange(2000) / 500
    >>> truth = np.sin(2 * np.pi * 1.2 * t)
    >>> round(snr_db(truth, truth + 0.1 * np.cos(2 * np.pi * 7 * t)), 1)  # noise power 1/100 of the signal's
    20.0
    >>> round(snr_db(truth, np.roll(truth, 10) + 0.3), 1) > 40  # shifted by 20 ms and raised: the same shape
    True
    """
    truth, digitized = np.asarray(truth, float), np.asarray(digitized, float)
    limit = int(round(max_shift_s * fs))
    best = np.nan
    for shift in range(-limit, limit + 1):
        a = truth[max(0, shift):len(truth) + min(0, shift)]
        b = digitized[max(0, -shift):len(digitized) - max(0, shift)]
        both = np.isfinite(a) & np.isfinite(b)
        if both.sum() < 0.1 * fs:
            continue
        error = a[both] - b[both]
        noise = float(np.sum((error - error.mean()) ** 2))
        power = float(np.sum(a[both] ** 2))
        snr = np.inf if noise == 0 else 10 * np.log10(power / noise)
        best = snr if np.isnan(best) else max(best, snr)
    return float(best)


def coverage(truth: np.ndarray, digitized: np.ndarray) -> float:
    """The share of the printed samples (finite in ``truth``) that the digitizer gave a value.

    Examples
    --------
    >>> coverage(np.array([1.0, 2.0, 3.0, np.nan]), np.array([1.0, np.nan, 3.0, 4.0]))
    0.6666666666666666
    """
    printed = np.isfinite(np.asarray(truth, float))
    return float(np.isfinite(np.asarray(digitized, float))[printed].mean()) if printed.any() else float("nan")
