"""Image distortions of real-world uploads, for training augmentation and robustness evaluation.

Each function takes an RGB ``uint8`` image and returns a new one of the same kind. None of them flips
the image: a horizontal flip reverses time and a vertical one inverts polarity, which changes the ECG.
"""

from __future__ import annotations

import cv2
import numpy as np

LEVELS: tuple[str, ...] = ("mild", "moderate", "strong")


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre by ``degrees`` (counter-clockwise), same size, white fill."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Out-of-focus blur with standard deviation ``sigma`` pixels."""
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0 else image.copy()


def gaussian_noise(image: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise: additive Gaussian noise of ``std`` grey levels."""
    noisy = image.astype(np.float32) + rng.normal(0.0, std, image.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def jpeg_compress(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG at ``quality`` (1-100)."""
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def rescale(image: np.ndarray, factor: float) -> np.ndarray:
    """Resample to ``factor`` times the size (a lower-resolution scan or export)."""
    return cv2.resize(image, None, fx=factor, fy=factor,
                      interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)


def line_thickness(image: np.ndarray, pixels: int) -> np.ndarray:
    """Thicken (``pixels`` > 0) or thin (< 0) dark lines, as different printers and pens do."""
    if pixels == 0:
        return image.copy()
    kernel = np.ones((abs(pixels) + 1, abs(pixels) + 1), np.uint8)
    return cv2.erode(image, kernel) if pixels > 0 else cv2.dilate(image, kernel)


def uneven_lighting(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth shadow across the page, darkening up to ``strength`` (0-1)."""
    height, width = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (np.cos(angle) * x / width + np.sin(angle) * y / height)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    shade = 1.0 - strength * ramp
    return np.clip(image.astype(np.float32) * shade[:, :, None], 0, 255).astype(np.uint8)


def perspective(image: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """A phone held off-axis: move each corner inward by up to ``amount`` of the page size."""
    height, width = image.shape[:2]
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    jitter = rng.uniform(0, amount, (4, 2)) * np.float32([width, height])
    signs = np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    dst = src + jitter * signs
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    return cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_CONSTANT,
                               borderValue=(255, 255, 255))


def grid_colour(image: np.ndarray, hue_shift: int) -> np.ndarray:
    """Change the colour of the (non-grey) grid, as other paper does; grey ink is unaffected."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    hsv[:, :, 0] = ((hsv[:, :, 0].astype(int) + hue_shift) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def margin_change(image: np.ndarray, fraction: float) -> np.ndarray:
    """Crop (``fraction`` > 0) or pad with white (< 0) every side by ``|fraction|`` of the size."""
    height, width = image.shape[:2]
    dy, dx = int(abs(fraction) * height), int(abs(fraction) * width)
    if fraction >= 0:
        return image[dy:height - dy, dx:width - dx].copy()
    return cv2.copyMakeBorder(image, dy, dy, dx, dx, cv2.BORDER_CONSTANT, value=(255, 255, 255))


#: Parameters of each distortion at each level, for ``distort``.
DISTORTION_LEVELS: dict[str, dict[str, float]] = {
    "rotation": {"mild": 0.5, "moderate": 1.5, "strong": 3.0},
    "perspective": {"mild": 0.01, "moderate": 0.025, "strong": 0.05},
    "blur": {"mild": 0.8, "moderate": 1.5, "strong": 3.0},
    "noise": {"mild": 5.0, "moderate": 12.0, "strong": 25.0},
    "jpeg": {"mild": 70, "moderate": 40, "strong": 15},
    "lighting": {"mild": 0.15, "moderate": 0.3, "strong": 0.5},
    "grid_colour": {"mild": 20, "moderate": 60, "strong": 100},
    "margins": {"mild": 0.01, "moderate": -0.05, "strong": 0.03},
    "resolution": {"mild": 0.8, "moderate": 0.6, "strong": 0.42},
    "line_thickness": {"mild": 1, "moderate": 2, "strong": -1},
}


def distort(image: np.ndarray, kind: str, level: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """Apply one named distortion at a named level (see ``DISTORTION_LEVELS``)."""
    rng = np.random.default_rng(0) if rng is None else rng
    value = DISTORTION_LEVELS[kind][level]
    if kind == "rotation":
        return rotate(image, value * rng.choice([-1.0, 1.0]))
    if kind == "perspective":
        return perspective(image, value, rng)
    if kind == "blur":
        return gaussian_blur(image, value)
    if kind == "noise":
        return gaussian_noise(image, value, rng)
    if kind == "jpeg":
        return jpeg_compress(image, int(value))
    if kind == "lighting":
        return uneven_lighting(image, value, rng)
    if kind == "grid_colour":
        return grid_colour(image, int(value))
    if kind == "margins":
        return margin_change(image, value)
    if kind == "resolution":
        return rescale(image, value)
    if kind == "line_thickness":
        return line_thickness(image, int(value))
    raise ValueError(f"Unknown distortion {kind!r}")


def random_distortion(image: np.ndarray, rng: np.random.Generator, max_level: str = "moderate") -> np.ndarray:
    """A random mix of two or three distortions up to ``max_level``, for training augmentation."""
    levels = LEVELS[: LEVELS.index(max_level) + 1]
    kinds = rng.choice(list(DISTORTION_LEVELS), size=int(rng.integers(2, 4)), replace=False)
    for kind in kinds:
        image = distort(image, str(kind), str(rng.choice(levels)), rng)
    return image
