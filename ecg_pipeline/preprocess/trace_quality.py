"""How well a page was digitized: the signal-to-noise ratio against a known signal (synthetic pages), the way the
PhysioNet Challenge 2024 scores digitizers, and on any page a confidence per lead read off its binary crop, with
the advice a user gets when a lead's is low.

References
----------
Reyna M. A. et al., "Digitization and classification of ECG images: the George B. Moody PhysioNet Challenge 2024",
Computing in Cardiology 2024 (the SNR of a digitized channel against the true one, after the best shift).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import MEASUREMENT_FS, PAPER_SPEED_MM_PER_S, RHYTHM_LEAD, RHYTHM_LEADS

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


#: A gap in the trace shorter than this, in mm of paper, does not break it (an antialiased pixel, a thin stroke).
SHORT_GAP_MM = 1.0
#: Rows at a lead box's top and bottom where ink means a trace crossing into the box (a neighbour's R wave, or this
#: lead's own clipped by the box).
BORDER_ROWS = 2
#: A lead whose confidence is under this gets the advice to retake the picture.
LOW_CONFIDENCE = 0.6
#: The start of each lead, where its name is printed over the trace, is not read (as in ``measure.signals``).
LABEL_SECONDS = 0.2


@dataclass(frozen=True)
class LeadQuality:
    """How much of one lead the digitizer could read, each from 0 (none) to 1 (all).

    coverage : share of the lead's columns (after its label) where the trace was found.
    continuity : share of those columns in the longest stretch without a gap longer than ``SHORT_GAP_MM``.
    overlap : share of the lead box's columns where ink touches its top or bottom edge.
    confidence : coverage x continuity x (1 - overlap).
    """

    coverage: float
    continuity: float
    overlap: float

    @property
    def confidence(self) -> float:
        return self.coverage * self.continuity * (1.0 - self.overlap)

    def to_dict(self, digits: int = 3) -> dict[str, float]:
        """The four figures, rounded, for a JSON document or a table row."""
        return {name: round(float(getattr(self, name)), digits)
                for name in ("confidence", "coverage", "continuity", "overlap")}


def lead_quality(binary: np.ndarray, px_per_mm: float, traced: np.ndarray | None = None) -> LeadQuality:
    """The ``LeadQuality`` of one lead's binary crop on a page of ``px_per_mm``; ``traced`` is the columns where
    the digitizer found the trace (``Trace.measured``), when it ran already.

    Examples
    --------
    >>> binary = np.zeros((60, 400), bool); binary[30] = True
    >>> whole = lead_quality(binary, px_per_mm=4.0)
    >>> whole.coverage, whole.continuity, whole.overlap
    (1.0, 1.0, 0.0)
    >>> binary[30, 150:200] = False  # a 12 mm gap
    >>> broken = lead_quality(binary, px_per_mm=4.0)
    >>> round(broken.coverage, 2), round(broken.continuity, 2)
    (0.87, 0.61)
    """
    from .digitize import trace_rows

    traced = np.isfinite(trace_rows(binary)) if traced is None else traced
    found = traced[int(round(LABEL_SECONDS * PAPER_SPEED_MM_PER_S * px_per_mm)):]
    if not found.any():
        return LeadQuality(0.0, 0.0, _overlap(binary))
    # Stretches of trace, with gaps shorter than SHORT_GAP_MM closed: the longest one's share of the trace found.
    changes = np.flatnonzero(np.diff(np.concatenate([[0], found.astype(np.int8), [0]])))
    starts, ends = changes[0::2], changes[1::2]
    joined = np.flatnonzero(starts[1:] - ends[:-1] >= SHORT_GAP_MM * px_per_mm) + 1
    stretch_starts, stretch_ends = starts[np.r_[0, joined]], ends[np.r_[joined - 1, len(ends) - 1]]
    longest = max(int(found[a:b].sum()) for a, b in zip(stretch_starts, stretch_ends, strict=True))
    return LeadQuality(coverage=float(found.mean()), continuity=longest / int(found.sum()), overlap=_overlap(binary))


def page_quality(result, digitized=None) -> dict[str, LeadQuality]:
    """``lead_quality`` of every lead of a 12-lead ``PipelineResult`` (empty for a single beat: no grid, no scale),
    from the columns its ``digitize_page`` traced when given."""
    if result.px_per_mm is None:
        return {}
    traces = digitized.traces if digitized is not None else {}
    return {lead.name: lead_quality(lead.binary, result.px_per_mm,
                                    traces[lead.name].measured if lead.name in traces else None)
            for lead in result.leads}


def low_confidence_leads(quality: dict[str, LeadQuality]) -> dict[str, float]:
    """The leads whose confidence is under ``LOW_CONFIDENCE``, in the page's order, with their confidence.

    Examples
    --------
    >>> low_confidence_leads({"I": LeadQuality(1.0, 1.0, 0.0), "V1": LeadQuality(0.5, 0.9, 0.0)})
    {'V1': 0.45}
    """
    return {name: q.confidence for name, q in quality.items() if q.confidence < LOW_CONFIDENCE}


def quality_advice(quality: dict[str, LeadQuality]) -> str | None:
    """The sentence a user reads when some leads were read with low confidence (``None`` when none was): which
    leads, their confidence, and what to do about it.

    Examples
    --------
    >>> quality_advice({"V1": LeadQuality(0.7, 0.6, 0.0), "V2": LeadQuality(0.55, 1.0, 0.0),
    ...                 "V3": LeadQuality(1.0, 1.0, 0.0)})
    'Leads V1, V2 were read with low confidence (0.42, 0.55): retake the photo straight on and without shadow, \
or check the threshold.'
    >>> quality_advice({"I": LeadQuality(1.0, 1.0, 0.0)}) is None
    True
    """
    low = low_confidence_leads(quality)
    if not low:
        return None
    verb = "was" if len(low) == 1 else "were"
    values = ", ".join(f"{value:.2f}" for value in low.values())
    return (f"{_lead_subject(list(low))} {verb} read with low confidence ({values}): retake the photo straight on "
            "and without shadow, or check the threshold.")


def quality_summary(quality: dict[str, LeadQuality]) -> str:
    """One line on the page's leads: the advice when some were read with low confidence, else how many were read
    well and which was the weakest.

    Examples
    --------
    >>> quality_summary({"I": LeadQuality(1.0, 1.0, 0.0), "II": LeadQuality(0.998, 1.0, 0.0)})
    'Both leads were read with confidence 0.60 or more (the lowest: II, 0.99).'
    """
    advice = quality_advice(quality)
    if advice is not None:
        return advice
    if not quality:
        return "No lead was digitized: a single beat has no grid to measure its scale against."
    weakest = min(quality, key=lambda name: quality[name].confidence)
    count = "Both leads" if len(quality) == 2 else f"All {len(quality)} leads" if len(quality) > 2 else "The lead"
    lowest = np.floor(quality[weakest].confidence * 100) / 100  # rounded down: 0.995 is not "1.00"
    return (f"{count} {'was' if len(quality) == 1 else 'were'} read with confidence {LOW_CONFIDENCE:.2f} or more "
            f"(the lowest: {_lead_subject([weakest], bare=True)}, {lowest:.2f}).")


def _lead_subject(names: list[str], bare: bool = False) -> str:
    """"Lead V1", "Leads V1, V2", "The rhythm strip", "Lead V1 and the rhythm strip" (``bare``: no "Lead")."""
    leads = [name for name in names if name not in RHYTHM_LEADS]
    strips = [name for name in names if name in RHYTHM_LEADS]
    parts = [(("" if bare else "Lead " if len(leads) == 1 else "Leads ") + ", ".join(leads))] if leads else []
    if strips:
        parts.append("the rhythm strip" if strips == [RHYTHM_LEAD] else "the rhythm strips " + ", ".join(strips))
    subject = " and ".join(parts)
    return subject[0].upper() + subject[1:] if not bare else subject


def _overlap(binary: np.ndarray) -> float:
    binary = np.asarray(binary, bool)
    if binary.shape[0] <= 2 * BORDER_ROWS:
        return 0.0
    touching = binary[:BORDER_ROWS].any(axis=0) | binary[-BORDER_ROWS:].any(axis=0)
    return float(touching.mean())
