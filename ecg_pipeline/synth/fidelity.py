"""Digitization measured on synthetic pages, whose printed signal is known: the SNR of each digitized lead, on
clean pages and under each moderate distortion (``scripts/evaluate_digitization.py``)."""

from __future__ import annotations

import numpy as np

from ..constants import LEAD_NAMES, MEASUREMENT_FS, TASK_SPECS, TWELVE_LEAD
from ..preprocess.distortions import DISTORTION_LEVELS, distort
from ..preprocess.trace_quality import coverage, snr_db
from .page import printed_signals, render_twelve_lead_page

#: The condition of an undistorted page.
CLEAN = "clean"


def digitized_leads(page: np.ndarray) -> dict[str, np.ndarray]:
    """Each lead of a page as the measurements digitize it, on the page's 10 s clock at 500 Hz (NaN where not
    measured); an empty dict when the page cannot be read."""
    from ..errors import EcgError
    from ..io.export import signal_table
    from ..measure import measure_page
    from ..preprocess.pipeline import run_pipeline

    try:
        signals = measure_page(run_pipeline(page, task=TWELVE_LEAD)).signals
    except EcgError:
        return {}
    table = signal_table(signals)
    return {lead: table[lead].to_numpy() for lead in LEAD_NAMES}


def page_fidelity(ecg_class: str, seed: int, condition: str = CLEAN, level: str = "moderate") -> list[dict]:
    """One synthetic page, distorted as ``condition`` says (``CLEAN`` or a ``DISTORTION_LEVELS`` kind at ``level``),
    digitized and compared lead by lead with what was printed: rows of class, seed, condition, lead, SNR (dB) and
    coverage (the share of printed samples that got a value)."""
    page = render_twelve_lead_page(ecg_class, seed=seed)
    if condition != CLEAN:
        page = distort(page, condition, level, np.random.default_rng(seed))
    truth, digitized = printed_signals(ecg_class, seed=seed), digitized_leads(page)
    rows = []
    for lead in LEAD_NAMES:
        found = digitized.get(lead, np.full_like(truth[lead], np.nan))
        rows.append({"class": ecg_class, "seed": seed, "condition": condition, "lead": lead,
                     "snr_db": snr_db(truth[lead], found, MEASUREMENT_FS), "coverage": coverage(truth[lead], found)})
    return rows


def fidelity_report(seeds: range = range(3), conditions: tuple[str, ...] = (CLEAN, *DISTORTION_LEVELS),
                    level: str = "moderate") -> list[dict]:
    """``page_fidelity`` over every 12-lead class, ``seeds`` and ``conditions``."""
    return [row for condition in conditions for ecg_class in TASK_SPECS[TWELVE_LEAD].classes for seed in seeds
            for row in page_fidelity(ecg_class, seed, condition, level)]


def fidelity_summary(rows: list[dict]) -> dict[str, dict]:
    """Per condition: the median SNR over every lead of every page (a lead not digitized counts as -inf, so it
    pulls the median down instead of vanishing), the 10th percentile, the median coverage and the pages."""
    summary = {}
    for condition in dict.fromkeys(r["condition"] for r in rows):
        of = [r for r in rows if r["condition"] == condition]
        snr = np.array([r["snr_db"] if np.isfinite(r["snr_db"]) or r["snr_db"] == np.inf else -np.inf for r in of])
        summary[condition] = {"median_snr_db": round(float(np.median(snr)), 2),
                              "p10_snr_db": round(float(np.percentile(snr, 10)), 2),
                              "median_coverage": round(float(np.nanmedian([r["coverage"] for r in of])), 3),
                              "pages": len({(r["class"], r["seed"]) for r in of}), "leads": len(of)}
    return summary
