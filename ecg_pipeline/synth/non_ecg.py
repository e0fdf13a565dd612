"""Images that are not ECGs, for the evidence gate's tests and ``scripts/check_gate.py``: blank pages, noise,
gradients, text, shapes, a page of tables and charts, the grid with no trace, a photo-like scene."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .page import REFERENCE_PAGE_SIZE, render_twelve_lead_page

_WIDTH, _HEIGHT = REFERENCE_PAGE_SIZE


def blank(width: int = _WIDTH, height: int = _HEIGHT, tint: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """A page of one colour."""
    return np.full((height, width, 3), tint, np.uint8)


def noise(seed: int, width: int = _WIDTH, height: int = _HEIGHT, grain: int = 1) -> np.ndarray:
    """Random pixels, in blocks of ``grain`` pixels."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // grain + 1, width // grain + 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(np.repeat(small, grain, 0), grain, 1)[:height, :width])


def gradient(angle_deg: float, width: int = _WIDTH, height: int = _HEIGHT) -> np.ndarray:
    """A colour gradient across the page."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = np.deg2rad(angle_deg)
    ramp = np.cos(theta) * x / width + np.sin(theta) * y / height
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return np.stack([255 * ramp, 255 * (1 - ramp), 128 + 127 * np.sin(6 * ramp)], axis=2).astype(np.uint8)


def text_page(seed: int, width: int = _WIDTH, height: int = _HEIGHT) -> np.ndarray:
    """Lines of printed text."""
    rng = np.random.default_rng(seed)
    page = blank(width, height)
    words = ("patient", "report", "the", "heart", "rate", "normal", "summary", "date", "2024", "of", "and")
    for y in range(80, height - 40, 48):
        line = " ".join(rng.choice(words, int(rng.integers(6, 14))))
        cv2.putText(page, line, (60, y), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 2, cv2.LINE_AA)
    return page


def shapes(seed: int, width: int = _WIDTH, height: int = _HEIGHT) -> np.ndarray:
    """Filled and outlined circles and rectangles."""
    rng = np.random.default_rng(seed)
    page = blank(width, height)
    for _ in range(30):
        colour = tuple(int(c) for c in rng.integers(0, 220, 3))
        thickness = int(rng.choice([-1, 3, 8]))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(30, 300))
        if rng.random() < 0.5:
            cv2.circle(page, (x, y), size, colour, thickness)
        else:
            cv2.rectangle(page, (x, y), (x + size, y + size // 2), colour, thickness)
    return page


def tables_and_charts(seed: int, width: int = _WIDTH, height: int = _HEIGHT) -> np.ndarray:
    """A report page of ruled tables, bar charts and a line chart."""
    rng = np.random.default_rng(seed)
    page = blank(width, height)
    for row in range(12):  # a ruled table
        y = 80 + row * 40
        cv2.line(page, (60, y), (width // 2, y), (0, 0, 0), 2)
        cv2.putText(page, f"{rng.integers(0, 999)}   {rng.integers(0, 99)}.{rng.integers(0, 9)}", (70, y + 30),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2, cv2.LINE_AA)
    for column in range(4):
        x = 60 + column * (width // 8)
        cv2.line(page, (x, 80), (x, 520), (0, 0, 0), 2)
    base = height - 120
    for bar in range(14):  # a bar chart
        x = width // 2 + 60 + bar * 60
        cv2.rectangle(page, (x, base - int(rng.integers(50, 500))), (x + 40, base), (40, 90, 200), -1)
    xs = np.linspace(80, width // 2 - 40, 200)
    ys = 1000 + 200 * np.sin(xs / 90.0) + rng.normal(0, 8, xs.size)  # a line chart
    cv2.polylines(page, [np.stack([xs, ys], 1).astype(np.int32).reshape(-1, 1, 2)], False, (0, 0, 0), 3)
    return page


def grid_without_trace(seed: int = 0, width: int = _WIDTH, height: int = _HEIGHT) -> np.ndarray:
    """A report page's pink grid with everything dark (traces, labels, text, bars) removed."""
    page = render_twelve_lead_page("normal", seed=seed, width=width, height=height)
    dark = page.min(axis=2) < 150
    page[cv2.dilate(dark.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0] = 255
    return page


def scene(seed: int, width: int = _WIDTH, height: int = _HEIGHT) -> np.ndarray:
    """A photo-like scene: a sky gradient, soft blobs and sensor noise."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    page = (np.array([90, 150, 230]) * (1 - y) + np.array([60, 110, 50]) * y).repeat(width, axis=1)
    for _ in range(25):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(page, centre, int(rng.integers(40, 260)), tuple(float(c) for c in rng.integers(0, 255, 3)), -1)
    page = cv2.GaussianBlur(page.astype(np.float32), (0, 0), 12) + rng.normal(0, 6, page.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def non_ecg_corpus() -> dict[str, Callable[[], np.ndarray]]:
    """Named makers of 28 images that are not ECGs, of several sizes."""
    makers: dict[str, Callable[[], np.ndarray]] = {
        "blank white page": lambda: blank(),
        "blank small white": lambda: blank(640, 480),
        "blank cream page": lambda: blank(tint=(250, 244, 228)),
        "blank grey page": lambda: blank(1200, 900, (128, 128, 128)),
        "blank black page": lambda: blank(1024, 768, (0, 0, 0)),
        "blank pink page": lambda: blank(tint=(250, 220, 225)),
        "blank beat-sized": lambda: blank(192, 128),
    }
    for seed, grain in ((0, 1), (1, 4), (2, 16)):
        makers[f"noise grain {grain}"] = lambda seed=seed, grain=grain: noise(seed, grain=grain)
    makers["noise beat-sized"] = lambda: noise(3, 192, 128)
    for angle in (0, 35, 90, 160):
        makers[f"gradient {angle} deg"] = lambda angle=angle: gradient(angle)
    makers["gradient beat-sized"] = lambda: gradient(20, 192, 128)
    for seed in (0, 1):
        makers[f"text page {seed}"] = lambda seed=seed: text_page(seed)
        makers[f"shapes {seed}"] = lambda seed=seed: shapes(seed)
        makers[f"tables and charts {seed}"] = lambda seed=seed: tables_and_charts(seed)
        makers[f"scene {seed}"] = lambda seed=seed: scene(seed)
    makers["grid without trace"] = lambda: grid_without_trace(0)
    makers["grid without trace, small"] = lambda: grid_without_trace(1, 1106, 786)
    makers["text beat-sized"] = lambda: text_page(2, 192, 128)
    makers["shapes beat-sized"] = lambda: shapes(3, 192, 128)
    return makers
