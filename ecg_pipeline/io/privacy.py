"""Patient fields off a report page: the header (ID, age, sex, room) and the footer's date and time."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..preprocess.layout import MIN_ROTATION_DEGREES, unlevel

if TYPE_CHECKING:
    from ..preprocess.pipeline import PipelineResult

#: Pixels added around the blanked areas on the page as loaded, where they were moved back from the levelled page
#: (interpolation softens their edges; a field's last pixel must not survive).
UNLEVEL_MARGIN_PX = 3
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


def patient_mask(shape: tuple[int, ...], grid_box: tuple[int, int, int, int]) -> np.ndarray:
    """``uint8`` mask of ``patient_areas``: 255 on a patient field, 0 elsewhere.

    Examples
    --------
    >>> mask = patient_mask((100, 140), (20, 90, 5, 135))
    >>> int(mask[10, 10]), int(mask[50, 50]), int(mask[95, 100]), int(mask[95, 10])
    (255, 0, 255, 0)
    """
    mask = np.zeros(shape[:2], np.uint8)
    for top, bottom, left, right in patient_areas(shape, grid_box):
        mask[top:bottom, left:right] = 255
    return mask


def deidentify(result: PipelineResult) -> PipelineResult:
    """The same analysis with the patient fields blanked on its page pictures (original, levelled, grayscale).

    The leads are cut from inside the grid and are left as they are; so are every number and probability. The
    fields are found from the grid on the levelled page and moved back onto the page as loaded, so a turned or
    photographed page is blanked where its fields really are. A single beat, or a page whose grid was not found,
    is returned unchanged.

    Examples
    --------
    >>> from ecg_pipeline import run_pipeline
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> result = run_pipeline(render_twelve_lead_page("normal", seed=0))
    >>> top = result.layout.grid_box[0]
    >>> int(result.original[:top - 5].min()) < 255, int(deidentify(result).original[:top - 5].min())
    (True, 255)
    """
    if result.layout is None:
        return result
    grid_box = result.layout.grid_box
    if abs(result.rotation_degrees) < MIN_ROTATION_DEGREES and result.keystone_corners is None:
        original = blank_patient_fields(result.original, grid_box)
    else:
        moved = unlevel(patient_mask(result.deskewed.shape, grid_box), result.rotation_degrees,
                        result.keystone_corners)
        kernel = np.ones((2 * UNLEVEL_MARGIN_PX + 1,) * 2, np.uint8)
        moved = cv2.dilate(np.where(moved > 0, 255, 0).astype(np.uint8), kernel)
        original = np.maximum(result.original, moved[..., None] if result.original.ndim == 3 else moved)
    return replace(result, original=original, deskewed=blank_patient_fields(result.deskewed, grid_box),
                   grayscale=blank_patient_fields(result.grayscale, grid_box))
