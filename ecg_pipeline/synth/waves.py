"""The wave model: a sum of Gaussians per beat (P, Q, R, S, T), with an amplitude per lead.

The six limb leads are projections of one frontal-plane vector per wave, so Einthoven's law (III = II - I)
holds by construction; the six chest leads take their amplitudes from a table with the usual R-wave
progression.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..constants import (
    LEAD_NAMES,
    RHYTHM_LEAD,
    TERRITORY_LEADS,
)

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

#: Leads facing each infarct territory the generator draws.
TERRITORIES: dict[str, tuple[str, ...]] = {name: TERRITORY_LEADS[name] for name in ("anterior", "inferior")}
assert set(_LIMB_ANGLES_DEG) | set(_PRECORDIAL) == set(TWELVE_LEADS) and len(_PRECORDIAL) == 6


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


def pick_variant(variants: tuple[str, ...], seed: int) -> str:
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

