"""The digitizer measured against a known signal: the SNR itself, and the digitizer's SNR on a synthetic page."""

from __future__ import annotations

import numpy as np

from ecg_pipeline.preprocess.trace_quality import coverage, snr_db
from ecg_pipeline.synth.fidelity import page_fidelity

T = np.arange(2500) / 500


def test_snr_follows_the_noise_power():
    truth = np.sin(2 * np.pi * 1.0 * T) + 0.5 * np.sin(2 * np.pi * 3.0 * T)
    noise = np.random.default_rng(0).normal(0, 1, T.size)
    for ratio_db in (5.0, 20.0):
        scaled = noise * np.sqrt(np.sum(truth ** 2) / np.sum(noise ** 2) / 10 ** (ratio_db / 10))
        assert abs(snr_db(truth, truth + scaled, max_shift_s=0) - ratio_db) < 0.2
    assert snr_db(truth, truth) == np.inf


def test_snr_forgives_a_small_shift_and_an_offset_but_not_a_wrong_gain():
    truth = np.sin(2 * np.pi * 1.3 * T) ** 9  # spiky, like R waves
    late = np.roll(truth, 15) + 0.4  # 30 ms late and raised
    assert snr_db(truth, late) > 40
    assert snr_db(truth, late, max_shift_s=0.01) < 15  # beyond the shift searched
    assert snr_db(truth, 1.5 * truth) < 10


def test_snr_reads_only_the_samples_both_have():
    truth = np.sin(2 * np.pi * T)
    digitized = truth.copy()
    digitized[:1000] = np.nan
    assert snr_db(truth, digitized) == np.inf and coverage(truth, digitized) == 0.6
    assert np.isnan(snr_db(truth, np.full_like(truth, np.nan)))


def test_a_clean_synthetic_page_is_digitized_close_to_what_it_printed():
    rows = page_fidelity("myocardial_infarction", seed=1)
    snr = np.array([r["snr_db"] for r in rows])
    assert np.isfinite(snr).all() and np.median(snr) > 15 and snr.min() > 10
    assert min(r["coverage"] for r in rows) > 0.8
