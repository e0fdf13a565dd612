"""Synthetic ECGs of the project's own: a small wave model, 12-lead report pages and single-beat images.

They exist for sample images, tests and demonstrations, so that the app can be tried without the real
data sets. They are drawings of textbook features, not patients: never train or evaluate a model on them.

The wave model is a sum of Gaussians per beat (P, Q, R, S, T), with an amplitude per lead. The six limb
leads are projections of one frontal-plane vector per wave, so Einthoven's law (III = II - I) holds by
construction; the six chest leads take their amplitudes from a table with the usual R-wave progression.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .constants import (
    BEAT,
    GAIN_MM_PER_MV,
    LAYOUT_ROWS,
    LEAD_NAMES,
    LEAD_SECONDS,
    N_LAYOUT_COLUMNS,
    PAPER_SPEED_MM_PER_S,
    RHYTHM_LEAD,
    RHYTHM_SECONDS,
    TASK_SPECS,
    TWELVE_LEAD,
)

TWELVE_LEAD_CLASSES: tuple[str, ...] = TASK_SPECS[TWELVE_LEAD].classes
BEAT_CLASSES: tuple[str, ...] = TASK_SPECS[BEAT].classes
#: The twelve recorded leads (the rhythm strip repeats one of them).
TWELVE_LEADS: tuple[str, ...] = tuple(name for name in LEAD_NAMES if name != RHYTHM_LEAD)
#: The lead printed on the 10 s rhythm strip.
RHYTHM_SOURCE_LEAD = "II"

# Hexaxial reference system: the direction each limb lead looks at, in degrees (0 = patient's left,
# +90 = down).
_LIMB_ANGLES_DEG: dict[str, float] = {"I": 0.0, "II": 60.0, "III": 120.0, "aVR": -150.0, "aVL": -30.0,
                                      "aVF": 90.0}
_PRECORDIAL: tuple[str, ...] = tuple(name for name in TWELVE_LEADS if name not in _LIMB_ANGLES_DEG)
# Augmented leads see the same vector through a resistor network that scales it by sqrt(3)/2.
_AUGMENTED_GAIN = float(np.sqrt(3.0) / 2.0)

#: Leads facing each infarct territory.
TERRITORIES: dict[str, tuple[str, ...]] = {
    "anterior": ("V1", "V2", "V3", "V4"),
    "inferior": ("II", "III", "aVF"),
}
#: What each 12-lead class is drawn as; the seed's parity picks the variant, so that two consecutive
#: seeds show both.
_TWELVE_LEAD_VARIANTS: dict[str, tuple[str, ...]] = {
    "normal": ("sinus",),
    "abnormal_heartbeat": ("ectopic_beats", "atrial_fibrillation"),
    "myocardial_infarction": ("anterior", "inferior"),
    "history_of_mi": ("inferior", "anterior"),
}
_BEAT_VARIANTS: dict[str, tuple[str, ...]] = {
    "normal": ("sinus",),
    "left_bundle_branch_block": ("notched",),
    "right_bundle_branch_block": ("rsr",),
    "premature_atrial_contraction": ("inverted_p", "biphasic_p"),
    "premature_ventricular_contraction": ("negative", "positive"),
    "ventricular_fibrillation": ("flutter", "fibrillation"),
}
# A renamed or added class must not silently fall back to a wrong drawing.
assert set(_TWELVE_LEAD_VARIANTS) == set(TWELVE_LEAD_CLASSES), "synth: 12-lead classes out of date"
assert set(_BEAT_VARIANTS) == set(BEAT_CLASSES), "synth: beat classes out of date"
assert set(_LIMB_ANGLES_DEG) | set(_PRECORDIAL) == set(TWELVE_LEADS) and len(_PRECORDIAL) == 6

# --- Page geometry, in pixels of a 2213 x 1572 report page (scaled to the requested size) -----------
REFERENCE_PAGE_SIZE: tuple[int, int] = (2213, 1572)  # (width, height)
_GRID_BOX = (283.0, 1517.0, 68.0, 2176.0)  # (top, bottom, left, right) of the pink border
_TRACE_X = (152.0, 2117.0)  # first and last x of the 10 s traces
_ROW_BASELINES = (463.0, 764.0, 1066.0, 1368.0)  # three lead rows, then the rhythm strip
_CAL_PULSE_X = (100.0, 125.0)  # as printed by the reference device, narrower than 0.2 s
_SEPARATOR_Y = (415.0, 1110.0)
_BORDER_RGB = (240, 150, 150)
_MM_DOT_RGB = (232, 212, 216)
_FIVE_MM_DOT_RGB = (218, 178, 188)
_INK_RGB = (0, 0, 0)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_FIXED_POINT_BITS = 4  # sub-pixel precision of cv2.polylines

BEAT_IMAGE_SIZE: tuple[int, int] = (192, 128)  # (width, height)
#: Sampling rate of the MIT-BIH Arrhythmia Database, which the beat images imitate.
BEAT_FS = 360
_BEAT_WINDOW_S = (-0.5, 0.6)  # around the R peak


# --- The wave model --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Wave:
    """One wave of a beat: a Gaussian bump, or a plateau for an ST shift, with an amplitude per lead.

    Attributes
    ----------
    centre : float
        Time of the peak relative to the R peak, in seconds (start of the plateau for ``plateau_end``).
    sigma : float
        Width in seconds (Gaussian standard deviation, or the plateau's edge softness).
    amplitudes : ndarray, shape (12,)
        Amplitude in mV per lead, in the order of ``TWELVE_LEADS``.
    plateau_end : float or None
        When set, the wave is a plateau from ``centre`` to ``plateau_end`` (an ST-segment shift).
    """

    centre: float
    sigma: float
    amplitudes: np.ndarray
    plateau_end: float | None = None


def project(magnitude: float, axis_deg: float, precordial: np.ndarray | list[float] | None = None
            ) -> np.ndarray:
    """Amplitudes of one wave in the twelve leads.

    Parameters
    ----------
    magnitude : float
        Size of the wave's frontal-plane vector, in mV.
    axis_deg : float
        Its direction in the hexaxial system (0 = lead I, +90 = aVF).
    precordial : sequence of 6 floats, optional
        Amplitudes in V1..V6, in mV (zero when omitted).

    Returns
    -------
    amplitudes : ndarray, shape (12,)
        In the order of ``TWELVE_LEADS``.

    Examples
    --------
    >>> a = project(1.0, 60.0)
    >>> bool(np.isclose(a[TWELVE_LEADS.index("III")], a[TWELVE_LEADS.index("II")] - a[0]))
    True
    """
    chest = np.zeros(len(_PRECORDIAL)) if precordial is None else np.asarray(precordial, dtype=float)
    out = np.zeros(len(TWELVE_LEADS))
    for i, lead in enumerate(TWELVE_LEADS):
        if lead in _LIMB_ANGLES_DEG:
            gain = _AUGMENTED_GAIN if lead.startswith("aV") else 1.0
            out[i] = magnitude * gain * np.cos(np.deg2rad(_LIMB_ANGLES_DEG[lead] - axis_deg))
        else:
            out[i] = chest[_PRECORDIAL.index(lead)]
    return out


def wave_shape(t_rel: np.ndarray, wave: Wave) -> np.ndarray:
    """The unit shape of ``wave`` at times ``t_rel`` (seconds from the R peak).

    Examples
    --------
    >>> float(wave_shape(np.array([0.0]), Wave(0.0, 0.01, np.ones(12)))[0])
    1.0
    """
    if wave.plateau_end is None:
        return np.exp(-0.5 * ((t_rel - wave.centre) / wave.sigma) ** 2)
    return 0.5 * (np.tanh((t_rel - wave.centre) / wave.sigma)
                  - np.tanh((t_rel - wave.plateau_end) / (4.0 * wave.sigma)))


def _scaled(wave: Wave, factors: np.ndarray | float) -> Wave:
    return replace(wave, amplitudes=wave.amplitudes * factors)


def _lead_mask(names: tuple[str, ...]) -> np.ndarray:
    return np.array([lead in names for lead in TWELVE_LEADS])


def _chest(amplitudes: np.ndarray) -> np.ndarray:
    return amplitudes[[TWELVE_LEADS.index(name) for name in _PRECORDIAL]]


def _pick_variant(variants: tuple[str, ...], seed: int) -> str:
    return variants[seed % len(variants)]


def sinus_waves(rr: float, rng: np.random.Generator) -> dict[str, Wave]:
    """A normal sinus beat in twelve leads: normal axis, R progression V1->V6, negative complexes in aVR.

    Parameters
    ----------
    rr : float
        Mean RR interval in seconds; the T wave comes later at slower rates (QT grows with RR).
    rng : numpy Generator
        Source of the beat-to-beat-record variation (axis, amplitudes).

    Returns
    -------
    waves : dict of str -> Wave
        Keys "P", "Q", "R", "S", "T".

    Examples
    --------
    >>> waves = sinus_waves(0.8, np.random.default_rng(0))
    >>> bool(waves["R"].amplitudes[TWELVE_LEADS.index("aVR")] < 0)
    True
    """
    axis = rng.uniform(30.0, 70.0)
    size = rng.uniform(0.85, 1.15)
    chest = lambda values, spread=0.08: np.asarray(values) * (1.0 + spread * rng.standard_normal(6))
    t_peak = 0.12 + 0.18 * np.sqrt(rr)  # Bazett-like: QT ~ sqrt(RR)
    return {
        "P": Wave(-0.16 + rng.uniform(-0.01, 0.01), 0.022, project(
            0.16 * size, axis + rng.uniform(-10, 10), chest([0.06, 0.08, 0.08, 0.1, 0.1, 0.1]))),
        # Septal depolarisation runs left to right: small q in I, aVL, V5, V6.
        "Q": Wave(-0.028, 0.009, project(0.10 * size, axis + 180.0, chest([0, 0, 0, -0.05, -0.08, -0.1]))),
        "R": Wave(0.0, 0.011, project(1.25 * size, axis,
                                      size * chest([0.25, 0.5, 0.8, 1.25, 1.35, 1.1]))),
        "S": Wave(0.028, 0.011, project(0.30 * size, axis + 190.0,
                                        size * chest([-1.0, -1.4, -0.9, -0.5, -0.25, -0.1]))),
        "T": Wave(t_peak, 0.055, project(0.38 * rng.uniform(0.85, 1.15), axis - rng.uniform(0, 15),
                                         chest([0.05, 0.4, 0.45, 0.4, 0.35, 0.3], 0.1))),
    }


def infarct_waves(waves: dict[str, Wave], territory: str, acute: bool, rng: np.random.Generator
                  ) -> list[Wave]:
    """Change a sinus beat into an acute or an old infarction of one territory.

    Parameters
    ----------
    waves : dict of str -> Wave
        A sinus beat (see ``sinus_waves``).
    territory : {"anterior", "inferior"}
        Which wall (see ``TERRITORIES``).
    acute : bool
        True: ST elevation in the territory with reciprocal depression and tall T waves (acute MI).
        False: pathological Q waves, lost R waves and inverted T waves, no ST elevation (old MI).
    rng : numpy Generator

    Returns
    -------
    waves : list of Wave

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> beat = infarct_waves(sinus_waves(0.8, rng), "inferior", acute=True, rng=rng)
    >>> st = [w for w in beat if w.plateau_end is not None][0]
    >>> bool(st.amplitudes[TWELVE_LEADS.index("III")] > 0.1 > st.amplitudes[TWELVE_LEADS.index("aVL")])
    True
    """
    if territory not in TERRITORIES:
        raise ValueError(f"Unknown territory {territory!r}: use one of {', '.join(TERRITORIES)}.")
    s = rng.uniform(0.85, 1.2)
    t_end = waves["T"].centre
    w = dict(waves)
    if acute:
        if territory == "anterior":
            # Anterolateral elevation; the inferior leads face away from it and show depression.
            st = project(0.12 * s, -60.0, np.array([0.18, 0.34, 0.34, 0.24, 0.08, 0.0]) * s)
            # Hyperacute T waves in the territory, upright even in V1.
            t = w["T"].amplitudes * np.where(_lead_mask(TERRITORIES["anterior"]), 1.6, 1.0)
            w["T"] = replace(w["T"], amplitudes=np.where(_lead_mask(("V1",)), 0.3 * s, t))
        else:
            # Elevation greatest in III (axis ~+105 deg): reciprocal depression in aVL and I.
            st = project(0.4 * s, 105.0, np.array([-0.08, -0.12, -0.08, 0.0, 0.03, 0.05]) * s)
            w["T+"] = Wave(t_end, 0.06, project(0.15 * s, 100.0))
        w["ST"] = Wave(0.035, 0.008, st, plateau_end=t_end)
        return list(w.values())
    if territory == "anterior":
        chest_idx = np.array([TWELVE_LEADS.index(name) for name in _PRECORDIAL])
        keep_r = np.ones(12)
        keep_r[chest_idx] = [0.0, 0.08, 0.2, 0.6, 0.9, 1.0]
        keep_s = np.ones(12)
        keep_s[chest_idx] = [0.3, 0.3, 0.4, 0.8, 1.0, 1.0]
        w["R"] = _scaled(w["R"], keep_r)
        w["S"] = _scaled(w["S"], keep_s)
        w["Q"] = Wave(-0.012, 0.018, project(0.0, 0.0, np.array([-0.35, -0.55, -0.5, -0.25, -0.05, 0.0]) * s))
        t = w["T"].amplitudes.copy()
        t[chest_idx] = np.array([-0.15, -0.3, -0.35, -0.25, 0.05, 0.2]) * s
        w["T"] = replace(w["T"], amplitudes=t)
    else:
        # Scar in the inferior wall: the remaining forces point up and left.
        w["Qi"] = Wave(-0.02, 0.018, project(0.38 * s, -90.0))
        w["R"] = replace(w["R"], amplitudes=project(0.9 * s, -5.0, _chest(w["R"].amplitudes)))
        w["T"] = replace(w["T"], amplitudes=project(0.28 * s, -55.0, _chest(w["T"].amplitudes)))
    return list(w.values())


def ectopic_waves(rng: np.random.Generator) -> list[Wave]:
    """A premature ventricular beat in twelve leads: no P, a wide QRS, a T wave opposite to it.

    Examples
    --------
    >>> waves = ectopic_waves(np.random.default_rng(1))
    >>> max(w.sigma for w in waves if abs(w.centre) < 0.05) > 0.02
    True
    """
    axis = rng.choice([-75.0, -45.0, 110.0, 140.0])
    if rng.random() < 0.5:  # left-ventricular origin: positive across the chest
        chest = np.array([0.9, 1.1, 1.2, 1.1, 0.9, 0.6])
    else:
        chest = np.array([-1.1, -1.4, -1.0, 0.2, 0.9, 1.0])
    size = rng.uniform(1.1, 1.5)
    main = project(size, axis, chest * size)
    return [
        Wave(0.0, 0.035, main),
        Wave(0.075, 0.03, -0.35 * main),
        Wave(0.34, 0.075, -0.3 * main),
    ]


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
    return _pick_variant(_TWELVE_LEAD_VARIANTS[ecg_class], seed)


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


# --- The 12-lead report page -----------------------------------------------------------------------
@dataclass(frozen=True)
class _PageScale:
    sx: float
    sy: float

    def x(self, ref_x: float) -> float:
        return ref_x * self.sx

    def y(self, ref_y: float) -> float:
        return ref_y * self.sy

    def pt(self, ref_x: float, ref_y: float) -> tuple[int, int]:
        return int(round(ref_x * self.sx)), int(round(ref_y * self.sy))

    @property
    def s(self) -> float:
        return min(self.sx, self.sy)

    def thickness(self, ref_px: float) -> int:
        return max(1, int(round(ref_px * self.s)))


def px_per_mm(width: int = REFERENCE_PAGE_SIZE[0]) -> float:
    """Horizontal pixels per millimetre of paper on a page ``width`` pixels wide.

    Examples
    --------
    >>> round(px_per_mm(), 2)
    7.86
    """
    px_per_second = (_TRACE_X[1] - _TRACE_X[0]) / RHYTHM_SECONDS
    return px_per_second / PAPER_SPEED_MM_PER_S * width / REFERENCE_PAGE_SIZE[0]


def _draw_grid(page: np.ndarray, scale: _PageScale) -> None:
    top, bottom, left, right = (scale.y(_GRID_BOX[0]), scale.y(_GRID_BOX[1]),
                                scale.x(_GRID_BOX[2]), scale.x(_GRID_BOX[3]))
    mm_x = px_per_mm() * scale.sx
    mm_y = px_per_mm() * scale.sy
    xs_mm = np.arange(left + mm_x, right - 1, mm_x)
    ys_mm = np.arange(top + mm_y, bottom - 1, mm_y)
    xi = np.round(xs_mm).astype(int)
    yi = np.round(ys_mm).astype(int)
    page[np.ix_(yi, xi)] = _MM_DOT_RGB
    # Like the reference printer's, the 5 mm lines are dotted, not solid: solid lines would be dark
    # enough to pass for ink once a page is downscaled.
    y_dense = np.arange(int(top) + 2, int(bottom) - 1, 2)
    x_dense = np.arange(int(left) + 2, int(right) - 1, 2)
    page[np.ix_(yi[4::5], x_dense)] = _FIVE_MM_DOT_RGB
    page[np.ix_(y_dense, xi[4::5])] = _FIVE_MM_DOT_RGB


def _polyline(page: np.ndarray, xs: np.ndarray, ys: np.ndarray, thickness: int) -> None:
    factor = 1 << _FIXED_POINT_BITS
    points = np.round(np.stack([xs, ys], axis=1) * factor).astype(np.int32)
    cv2.polylines(page, [points.reshape(-1, 1, 2)], isClosed=False, color=_INK_RGB, thickness=thickness,
                  lineType=cv2.LINE_AA, shift=_FIXED_POINT_BITS)


def _text(page: np.ndarray, text: str, ref_xy: tuple[float, float], scale: _PageScale, size: float,
          weight: float = 1.5, align: str = "left") -> None:
    font_scale = size * scale.s
    thickness = scale.thickness(weight)
    x, y = scale.pt(*ref_xy)
    if align != "left":
        (w, _), _ = cv2.getTextSize(text, _FONT, font_scale, thickness)
        x -= w // 2 if align == "centre" else w
    cv2.putText(page, text, (x, y), _FONT, font_scale, _INK_RGB, thickness, cv2.LINE_AA)


def _draw_header(page: np.ndarray, scale: _PageScale, rng: np.random.Generator) -> None:
    _text(page, "ECG REPORT", (REFERENCE_PAGE_SIZE[0] / 2, 58), scale, 1.45, 2.5, align="centre")
    fields = [(68, f"ID : {int(rng.integers(100000, 999999))}"), (320, f"{int(rng.integers(25, 85))} Years"),
              (450, str(rng.choice(["Male", "Female"]))), (620, "cm"), (760, "kg"), (900, "/    mmHg"),
              (1095, "Race:Unknown"), (1335, "Room No.:"), (1525, "Department:")]
    for x, text in fields:
        _text(page, text, (x, 92), scale, 0.75)
    _text(page, "Exam.Room:", (68, 125), scale, 0.75)
    _text(page, "Medication:", (278, 125), scale, 0.75)
    for y in (137.0, 144.0):
        cv2.line(page, scale.pt(68, y), scale.pt(2155, y), _INK_RGB, scale.thickness(2.5), cv2.LINE_AA)
    _text(page, "Diagnosis Information:", (68, 172), scale, 0.75)
    for y, text in ((202, "Technician :"), (235, "Ref-Phys. :"), (268, "Report Confirmed by:")):
        _text(page, text, (1555, y), scale, 0.75)


def _draw_footer(page: np.ndarray, scale: _PageScale, rng: np.random.Generator, heart_rate: float) -> None:
    settings = (f"0.67~25Hz  AC50  {PAPER_SPEED_MM_PER_S:g}mm/s  {GAIN_MM_PER_MV:g}mm/mV  "
                f"{N_LAYOUT_COLUMNS}*{LEAD_SECONDS:g}s+1r  HR {int(round(heart_rate))}  "
                "SE-3 V1.0  SEMIP V1.7")
    _text(page, settings, (68, 1552), scale, 0.62)
    hour, minute, second = int(rng.integers(1, 13)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    date = (f"{int(rng.integers(2019, 2022))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
            f"   {hour:02d}:{minute:02d}:{second:02d} {rng.choice(['AM', 'PM'])}")
    _text(page, date, (2176, 1552), scale, 0.62, align="right")


def _draw_traces(page: np.ndarray, scale: _PageScale, signals: dict[str, np.ndarray], fs: int) -> None:
    px_per_s = (_TRACE_X[1] - _TRACE_X[0]) / RHYTHM_SECONDS
    px_per_mv = GAIN_MM_PER_MV * px_per_mm()  # reference pixels; y is scaled below
    half_pitch = 0.47 * (_ROW_BASELINES[1] - _ROW_BASELINES[0])
    thickness = scale.thickness(2.4)
    rows = [*LAYOUT_ROWS, (RHYTHM_LEAD,)]
    for baseline, names in zip(_ROW_BASELINES, rows, strict=True):
        seconds = RHYTHM_SECONDS / len(names)
        # The 1 mV calibration pulse lets a reader check the gain of this very print.
        x0, x1 = _CAL_PULSE_X
        top = baseline - px_per_mv
        cal = np.array([(x0 - 8, baseline), (x0, baseline), (x0, top), (x1, top), (x1, baseline),
                        (x1 + 8, baseline)])
        _polyline(page, cal[:, 0] * scale.sx, cal[:, 1] * scale.sy, thickness)
        for c, name in enumerate(names):
            # A printer shows each lead during its own column's time window, not from 0 s.
            i0, i1 = int(round(c * seconds * fs)), int(round((c + 1) * seconds * fs))
            mv = signals[name][i0:i1]
            xs = _TRACE_X[0] + (np.arange(i0, i0 + len(mv)) / fs) * px_per_s
            ys = baseline - np.clip(mv * px_per_mv, -half_pitch, half_pitch)
            _polyline(page, xs * scale.sx, ys * scale.sy, thickness)
            label = RHYTHM_SOURCE_LEAD if name == RHYTHM_LEAD else name
            label_x = _TRACE_X[0] + c * seconds * px_per_s + 6.0
            _text(page, label, (label_x, baseline - 8.0), scale, 0.8, 1.6)
    column_px = LEAD_SECONDS * px_per_s
    for c in range(1, N_LAYOUT_COLUMNS):
        x = _TRACE_X[0] + c * column_px
        cv2.line(page, scale.pt(x, _SEPARATOR_Y[0]), scale.pt(x, _SEPARATOR_Y[1]), _INK_RGB,
                 scale.thickness(3.0))


def render_twelve_lead_page(ecg_class: str, seed: int = 0, width: int = REFERENCE_PAGE_SIZE[0],
                            height: int = REFERENCE_PAGE_SIZE[1], heart_rate: float | None = None,
                            extra_waves: tuple[Wave, ...] = ()) -> np.ndarray:
    """Draw a 12-lead report page (3 x 4 leads of 2.5 s and a 10 s rhythm strip) for one class.

    Parameters
    ----------
    ecg_class : str
        One of ``TASK_SPECS["twelve_lead"].classes``.
    seed : int
        Makes the page reproducible (signals, patient ID, date).
    width, height : int
        Size of the page in pixels; the layout scales with it.
    heart_rate : float, optional
        Mean rate in bpm; class-typical when omitted. The footer prints the rate of the drawn beats.
    extra_waves : tuple of Wave
        Waves added to every beat (see ``simulate_twelve_lead``).

    Returns
    -------
    page : ndarray of uint8, shape (height, width, 3)
        RGB.

    Examples
    --------
    >>> render_twelve_lead_page("normal", seed=0, width=1106, height=786).shape
    (786, 1106, 3)
    """
    if width < 200 or height < 150:
        raise ValueError(f"A page of {width} x {height} px is too small to draw.")
    fs = 500
    signals, rate = _simulate(ecg_class, RHYTHM_SECONDS, fs, seed, heart_rate, extra_waves)
    rng = np.random.default_rng([seed, 2])
    scale = _PageScale(width / REFERENCE_PAGE_SIZE[0], height / REFERENCE_PAGE_SIZE[1])
    page = np.full((height, width, 3), 255, dtype=np.uint8)
    _draw_grid(page, scale)
    top, bottom, left, right = _GRID_BOX
    cv2.rectangle(page, scale.pt(left, top), scale.pt(right, bottom), _BORDER_RGB, scale.thickness(3.0))
    _draw_traces(page, scale, signals, fs)
    _draw_header(page, scale, rng)
    _draw_footer(page, scale, rng, rate)
    return page


# --- Single-beat images ----------------------------------------------------------------------------
def describe_beat(beat_class: str, seed: int) -> str:
    """Which variant of a beat class a seed draws (e.g. "flutter" or "fibrillation").

    Examples
    --------
    >>> describe_beat("ventricular_fibrillation", 1)
    'fibrillation'
    """
    if beat_class not in _BEAT_VARIANTS:
        raise ValueError(f"Unknown beat class {beat_class!r}: use one of {', '.join(BEAT_CLASSES)}.")
    return _pick_variant(_BEAT_VARIANTS[beat_class], seed)


def _single_lead_beat(beat_class: str, variant: str, rng: np.random.Generator
                      ) -> list[tuple[float, float, float]]:
    """(centre s, sigma s, amplitude mV) of the waves of one beat, as seen in MIT-BIH's modified lead II."""
    j = lambda value, spread=0.12: value * (1.0 + spread * rng.uniform(-1, 1))
    p = (-0.16 + rng.uniform(-0.01, 0.01), 0.022, j(0.14))
    t = (0.28 + rng.uniform(-0.02, 0.02), 0.055, j(0.3))
    narrow = [(-0.028, 0.009, j(-0.08)), (0.0, 0.011, j(1.2)), (0.028, 0.011, j(-0.25))]
    if beat_class == "normal":
        return [p, *narrow, t]
    if beat_class == "left_bundle_branch_block":
        # Slow spread through the septum from the right: a broad R with a notch, discordant T.
        return [p, (-0.025, 0.022, j(0.85)), (0.04, 0.024, j(0.95)), (0.32, 0.07, j(-0.35))]
    if beat_class == "right_bundle_branch_block":
        return [p, (-0.035, 0.011, j(0.35)), (0.0, 0.012, j(-0.55)), (0.055, 0.02, j(0.85)),
                (0.3, 0.06, j(-0.18))]
    if beat_class == "premature_atrial_contraction":
        abnormal_p = [(-0.13, 0.02, j(-0.12))] if variant == "inverted_p" else \
            [(-0.15, 0.014, j(0.1)), (-0.115, 0.014, j(-0.1))]
        return [*abnormal_p, *narrow, t]
    if beat_class == "premature_ventricular_contraction":
        sign = -1.0 if variant == "negative" else 1.0
        return [(0.0, 0.04, sign * j(1.6)), (0.085, 0.03, -sign * j(0.5)), (0.33, 0.08, -sign * j(0.55))]
    raise ValueError(f"{beat_class!r} has no single-beat shape.")


def simulate_beat(beat_class: str, seed: int = 0, fs: int = BEAT_FS) -> tuple[np.ndarray, np.ndarray]:
    """One beat (with whatever of its neighbours falls in the window) in a single lead.

    Parameters
    ----------
    beat_class : str
        One of ``TASK_SPECS["beat"].classes``.
    seed : int
        Makes the beat reproducible; its parity picks the variant (``describe_beat``).
    fs : int
        Samples per second.

    Returns
    -------
    t, mv : ndarray of float
        Time relative to the beat's R peak (s), and the signal in mV.

    Examples
    --------
    >>> t, mv = simulate_beat("normal")
    >>> bool(abs(t[np.argmax(mv)]) < 0.02)
    True
    """
    variant = describe_beat(beat_class, seed)
    rng = np.random.default_rng(seed)
    t = np.arange(int(_BEAT_WINDOW_S[0] * fs), int(_BEAT_WINDOW_S[1] * fs)) / fs
    mv = np.zeros_like(t)
    if beat_class == "ventricular_fibrillation":
        if variant == "flutter":
            rate = rng.uniform(4.0, 5.0)
            mv = rng.uniform(0.7, 1.0) * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
        else:
            for _ in range(4):
                envelope = 1.0 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t + rng.uniform(0, 6.3))
                mv += (rng.uniform(0.15, 0.35) * envelope
                       * np.sin(2 * np.pi * rng.uniform(3.0, 8.0) * t + rng.uniform(0, 2 * np.pi)))
    else:
        rr = 60.0 / rng.uniform(65.0, 90.0)
        own = _single_lead_beat(beat_class, variant, rng)
        # A bundle branch block is there in every beat; a premature beat interrupts normal ones.
        neighbour_class = beat_class if "bundle" in beat_class else "normal"
        neighbour_variant = variant if "bundle" in beat_class else "sinus"
        neighbour = _single_lead_beat(neighbour_class, neighbour_variant, rng)
        before, after = rr, rr
        if beat_class.startswith("premature"):
            before = rng.uniform(0.5, 0.65) * rr
            after = (2.0 * rr - before) if "ventricular" in beat_class else rr
        for offset, waves in ((-before, neighbour), (0.0, own), (after, neighbour)):
            for centre, sigma, amplitude in waves:
                mv += amplitude * np.exp(-0.5 * ((t - offset - centre) / sigma) ** 2)
    mv += 0.04 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + rng.uniform(0, 6.3))
    mv += 0.005 * rng.standard_normal(len(t))
    return t, mv


def render_beat_image(beat_class: str, seed: int = 0) -> np.ndarray:
    """Draw one beat like the MIT-BIH beat image set: a thin dark line on white, 192 x 128 pixels.

    Parameters
    ----------
    beat_class : str
        One of ``TASK_SPECS["beat"].classes``.
    seed : int
        Makes the image reproducible.

    Returns
    -------
    image : ndarray of uint8, shape (128, 192, 3)
        RGB with equal channels (grayscale).

    Examples
    --------
    >>> render_beat_image("premature_ventricular_contraction", seed=3).shape
    (128, 192, 3)
    """
    t, mv = simulate_beat(beat_class, seed)
    width, height = BEAT_IMAGE_SIZE
    margin_x, margin_y = 4.0, 0.08 * height
    lo, hi = float(mv.min()), float(mv.max())
    span = max(hi - lo, 1e-6)
    xs = margin_x + (t - t[0]) / (t[-1] - t[0]) * (width - 1 - 2 * margin_x)
    ys = margin_y + (hi - mv) / span * (height - 1 - 2 * margin_y)
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    factor = 1 << _FIXED_POINT_BITS
    points = np.round(np.stack([xs, ys], axis=1) * factor).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(image, [points], isClosed=False, color=(40, 40, 40), thickness=1, lineType=cv2.LINE_AA,
                  shift=_FIXED_POINT_BITS)
    return image
