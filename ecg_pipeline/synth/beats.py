"""Single-beat images in the style of the MIT-BIH heartbeat image set."""

from __future__ import annotations

import cv2
import numpy as np

from ..constants import (
    BEAT,
    TASK_SPECS,
)
from .page import FIXED_POINT_BITS
from .waves import pick_variant

BEAT_CLASSES: tuple[str, ...] = TASK_SPECS[BEAT].classes
_BEAT_VARIANTS: dict[str, tuple[str, ...]] = {
    "normal": ("sinus",),
    "left_bundle_branch_block": ("notched",),
    "right_bundle_branch_block": ("rsr",),
    "premature_atrial_contraction": ("inverted_p", "biphasic_p"),
    "premature_ventricular_contraction": ("negative", "positive"),
    "ventricular_fibrillation": ("flutter", "fibrillation"),
}
assert set(_BEAT_VARIANTS) == set(BEAT_CLASSES), "synth: beat classes out of date"

BEAT_IMAGE_SIZE: tuple[int, int] = (192, 128)  # (width, height)
#: Sampling rate of the MIT-BIH Arrhythmia Database, which the beat images imitate.
BEAT_FS = 360
_BEAT_WINDOW_S = (-0.5, 0.6)  # around the R peak

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
    return pick_variant(_BEAT_VARIANTS[beat_class], seed)


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
    factor = 1 << FIXED_POINT_BITS
    points = np.round(np.stack([xs, ys], axis=1) * factor).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(image, [points], isClosed=False, color=(40, 40, 40), thickness=1, lineType=cv2.LINE_AA,
                  shift=FIXED_POINT_BITS)
    return image

