"""Simulated 12-lead records: which beats come when, and the signals they add up to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import (
    RHYTHM_LEAD,
    RHYTHM_SECONDS,
    TASK_SPECS,
    TWELVE_LEAD,
)
from .waves import (
    RHYTHM_SOURCE_LEAD,
    TERRITORIES,
    TWELVE_LEADS,
    Wave,
    ectopic_waves,
    infarct_waves,
    pick_variant,
    sinus_waves,
    wave_shape,
)

TWELVE_LEAD_CLASSES: tuple[str, ...] = TASK_SPECS[TWELVE_LEAD].classes
#: What each 12-lead class is drawn as; the seed's parity picks the variant, so that two consecutive
#: seeds show both.
_TWELVE_LEAD_VARIANTS: dict[str, tuple[str, ...]] = {
    "normal": ("sinus",),
    "abnormal_heartbeat": ("ectopic_beats", "atrial_fibrillation"),
    "myocardial_infarction": ("anterior", "inferior"),
    "history_of_mi": ("inferior", "anterior"),
}
# A renamed or added class must not silently fall back to a wrong drawing.
assert set(_TWELVE_LEAD_VARIANTS) == set(TWELVE_LEAD_CLASSES), "synth: 12-lead classes out of date"


@dataclass(frozen=True)
class Beat:
    """One beat of a record: its R-peak time (s) and its waves."""

    time: float
    waves: tuple[Wave, ...]


def _sinus_times(rr: float, start: float, end: float, rng: np.random.Generator, jitter: float
                 ) -> np.ndarray:
    times = [start - rng.uniform(0.1, rr)]
    phase = rng.uniform(0, 2 * np.pi)
    while times[-1] < end + 0.2:
        # Respiratory sinus arrhythmia (~4 s breathing) plus a little randomness.
        breathing = 0.025 * np.sin(2 * np.pi * times[-1] / 4.0 + phase)
        times.append(times[-1] + rr * (1.0 + breathing + jitter * rng.standard_normal()))
    return np.array(times)


def beat_schedule(ecg_class: str, duration_s: float, seed: int, heart_rate: float | None = None
                  ) -> tuple[list[Beat], dict[str, float]]:
    """The beats of one simulated record.

    Parameters
    ----------
    ecg_class : str
        One of ``TASK_SPECS["twelve_lead"].classes``.
    duration_s : float
        Length of the record in seconds.
    seed : int
        Seed of the random generator; its parity also picks the class variant (see ``describe_record``).
    heart_rate : float, optional
        Mean rate in beats per minute; drawn from a class-typical range when omitted.

    Returns
    -------
    beats : list of Beat
        Including a beat before 0 s and one after the end, whose waves reach into the record.
    extras : dict
        ``"fibrillation"`` (1.0 when the atria fibrillate, else 0.0) and ``"heart_rate"`` (bpm).

    Examples
    --------
    >>> beats, extras = beat_schedule("normal", 10.0, seed=0)
    >>> 60 <= extras["heart_rate"] <= 95
    True
    """
    variant = describe_record(ecg_class, seed)
    rng = np.random.default_rng(seed)
    fibrillation = 0.0
    if heart_rate is None:
        heart_rate = rng.uniform(85.0, 115.0) if variant == "atrial_fibrillation" else rng.uniform(60.0, 90.0)
    rr = 60.0 / float(heart_rate)
    sinus = sinus_waves(rr, rng)
    if variant in TERRITORIES:
        template = infarct_waves(sinus, variant, acute=ecg_class == "myocardial_infarction", rng=rng)
    else:
        template = list(sinus.values())
    if variant == "atrial_fibrillation":
        fibrillation = 1.0
        template = [w for k, w in sinus.items() if k != "P"]
        times = [-rng.uniform(0.1, rr)]
        while times[-1] < duration_s + 0.2:
            times.append(times[-1] + rr * float(np.clip(1.0 + 0.22 * rng.standard_normal(), 0.55, 1.7)))
        beats = [Beat(float(t), tuple(template)) for t in times]
    else:
        times = _sinus_times(rr, 0.0, duration_s, rng, jitter=0.008)
        beats = [Beat(float(t), tuple(template)) for t in times]
        if variant == "ectopic_beats":
            ectopic = tuple(ectopic_waves(rng))
            inside = [i for i in range(1, len(times) - 1) if 0.3 < times[i] < duration_s - 0.5]
            wanted = int(rng.integers(2, 4))
            chosen: list[int] = []
            for i in rng.permutation(inside):
                if len(chosen) < wanted and all(abs(int(i) - j) > 1 for j in chosen):
                    chosen.append(int(i))
            for i in chosen:
                # Early beat; the sinus node is not reset, so the next beat keeps its time
                # (a compensatory pause).
                coupling = rng.uniform(0.6, 0.72) * (times[i] - times[i - 1])
                beats[i] = Beat(float(times[i - 1] + coupling), ectopic)
    inside_times = np.array([b.time for b in beats if 0.0 <= b.time <= duration_s])
    rate = 60.0 / float(np.mean(np.diff(inside_times))) if len(inside_times) > 1 else float(heart_rate)
    return beats, {"fibrillation": fibrillation, "heart_rate": rate}


def describe_record(ecg_class: str, seed: int) -> str:
    """Which variant of a class a seed draws: e.g. "anterior" or "inferior" for an infarction.

    Examples
    --------
    >>> describe_record("myocardial_infarction", 0), describe_record("myocardial_infarction", 1)
    ('anterior', 'inferior')
    """
    if ecg_class not in _TWELVE_LEAD_VARIANTS:
        raise ValueError(f"Unknown 12-lead class {ecg_class!r}: use one of {', '.join(TWELVE_LEAD_CLASSES)}.")
    return pick_variant(_TWELVE_LEAD_VARIANTS[ecg_class], seed)


def simulate_twelve_lead(ecg_class: str, duration_s: float = RHYTHM_SECONDS, fs: int = 500, seed: int = 0,
                         heart_rate: float | None = None, extra_waves: tuple[Wave, ...] = ()
                         ) -> dict[str, np.ndarray]:
    """Simulate a 12-lead ECG with the typical features of one class.

    Parameters
    ----------
    ecg_class : str
        One of ``TASK_SPECS["twelve_lead"].classes``: ``normal`` (regular sinus rhythm, 60-90 bpm),
        ``abnormal_heartbeat`` (premature ventricular beats, or atrial fibrillation),
        ``myocardial_infarction`` (ST elevation in one territory with reciprocal depression) or
        ``history_of_mi`` (pathological Q waves and inverted T waves in one territory).
    duration_s : float
        Length in seconds.
    fs : int
        Samples per second.
    seed : int
        Makes the record reproducible; its parity picks the variant (``describe_record``).
    heart_rate : float, optional
        Mean rate in bpm (class-typical when omitted).
    extra_waves : tuple of Wave
        Waves added to every beat, so that a test can draw a known feature (an ST shift of a set height, a
        Q wave in chosen leads).

    Returns
    -------
    signals : dict of str -> ndarray of float, shape (duration_s * fs,)
        In mV, for every name in ``LEAD_NAMES``; the rhythm lead is lead II.

    Examples
    --------
    >>> ecg = simulate_twelve_lead("normal", seed=0)
    >>> len(ecg), ecg["II"].shape
    (13, (5000,))
    """
    signals, _ = _simulate(ecg_class, duration_s, fs, seed, heart_rate, extra_waves)
    return signals


def _simulate(ecg_class: str, duration_s: float, fs: int, seed: int, heart_rate: float | None,
              extra_waves: tuple[Wave, ...] = ()) -> tuple[dict[str, np.ndarray], float]:
    beats, extras = beat_schedule(ecg_class, duration_s, seed, heart_rate)
    beats = [Beat(beat.time, beat.waves + tuple(extra_waves)) for beat in beats]
    # A second generator keeps the noise from shifting when the beat model draws more numbers.
    rng = np.random.default_rng([seed, 1])
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    x = np.zeros((len(TWELVE_LEADS), n))
    for beat in beats:
        for wave in beat.waves:
            reach = 5.0 * wave.sigma
            lo = beat.time + wave.centre - reach
            hi = beat.time + (wave.plateau_end if wave.plateau_end is not None else wave.centre) + 4 * reach
            i0, i1 = max(0, int(lo * fs)), min(n, int(np.ceil(hi * fs)) + 1)
            if i0 < i1:
                x[:, i0:i1] += wave.amplitudes[:, None] * wave_shape(t[i0:i1] - beat.time, wave)[None, :]
    if extras["fibrillation"]:
        # Fibrillatory waves, best seen in V1 and the inferior leads.
        f_wave = sum(rng.uniform(0.015, 0.03)
                     * np.sin(2 * np.pi * rng.uniform(4.5, 7.5) * t + rng.uniform(0, 2 * np.pi))
                     for _ in range(3))
        strength = {"V1": 1.0, "II": 0.7, "III": 0.7, "aVF": 0.7}
        weights = np.array([strength.get(name, 0.35) for name in TWELVE_LEADS])
        x += weights[:, None] * f_wave[None, :]
    wander = (rng.uniform(0.015, 0.05, (len(TWELVE_LEADS), 1))
              * np.sin(2 * np.pi * rng.uniform(0.12, 0.3, (len(TWELVE_LEADS), 1)) * t[None, :]
                       + rng.uniform(0, 2 * np.pi, (len(TWELVE_LEADS), 1))))
    x += wander + 0.006 * rng.standard_normal(x.shape)
    signals = {name: x[i] for i, name in enumerate(TWELVE_LEADS)}
    signals[RHYTHM_LEAD] = signals[RHYTHM_SOURCE_LEAD].copy()
    return signals, extras["heart_rate"]

