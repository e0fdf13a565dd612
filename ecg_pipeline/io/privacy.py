"""Patient fields off a report page: the header (ID, age, sex, room) and the footer's date and time."""

from __future__ import annotations

import numpy as np

#: Pixels of paper kept between a blanked area and the grid's border, so the border stays whole.
BORDER_MARGIN_PX = 3


def patient_areas(shape: tuple[int, ...], grid_box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """The (top, bottom, left, right) areas of a page that hold patient fields: everything above the grid, and
    the right half of the footer below it (where the date and time are printed; the left half holds the
    recording settings and the device's heart rate, which are not about the patient).

    Examples
    --------
    >>> patient_areas((1000, 1400, 3), (200, 900, 50, 1350))
    [(0, 197, 0, 1400), (903, 1000, 700, 1400)]
    """
    height, width = shape[:2]
    top, bottom, _, _ = grid_box
    areas = [(0, max(0, top - BORDER_MARGIN_PX), 0, width)]
    if bottom + BORDER_MARGIN_PX < height:
        areas.append((bottom + BORDER_MARGIN_PX, height, width // 2, width))
    return areas


def blank_patient_fields(rgb: np.ndarray, grid_box: tuple[int, int, int, int]) -> np.ndarray:
    """A copy of a report page with ``patient_areas`` painted white.

    Examples
    --------
    >>> page = np.zeros((100, 140, 3), np.uint8)
    >>> clean = blank_patient_fields(page, (20, 90, 5, 135))
    >>> int(clean[:17].min()), int(clean[30:80].max())
    (255, 0)
    """
    out = np.array(rgb, copy=True)
    for top, bottom, left, right in patient_areas(out.shape, grid_box):
        out[top:bottom, left:right] = 255
    return out
