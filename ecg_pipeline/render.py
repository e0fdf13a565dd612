"""Pictures of the stages (numpy RGB arrays), shared by the dashboard, the CLI and the tests."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from .pipeline import LeadStages, PipelineResult

BOX_COLOUR = (0, 102, 204)


def draw_lead_boxes(result: PipelineResult) -> np.ndarray:
    """The (deskewed) page with each lead's box and name drawn over it."""
    canvas = result.deskewed.copy()
    scale = max(1.0, canvas.shape[1] / 1100.0)
    thickness = max(1, int(round(2 * scale)))
    for lead in result.leads:
        top, bottom, left, right = lead.box
        cv2.rectangle(canvas, (left, top), (right - 1, bottom - 1), BOX_COLOUR, thickness)
        cv2.putText(canvas, lead.name, (left + 4 * thickness, top + int(22 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.7 * scale, BOX_COLOUR, thickness, cv2.LINE_AA)
    return canvas


def binary_image(lead: LeadStages) -> np.ndarray:
    """A lead's binary trace as black ink on white, ``uint8``."""
    return np.where(lead.binary, 0, 255).astype(np.uint8)


def histogram_image(lead: LeadStages, width: int = 512, height: int = 200) -> np.ndarray:
    """The lead's intensity histogram (log counts) with its threshold as a red line, RGB."""
    counts, centres = lead.histogram
    canvas = np.full((height, width, 3), 255, np.uint8)
    logc = np.log1p(counts.astype(np.float64))
    logc = logc / logc.max() if logc.max() > 0 else logc
    bar_w = width / len(counts)
    for i, value in enumerate(logc):
        x0 = int(i * bar_w)
        cv2.rectangle(canvas, (x0, height - 1 - int(value * (height - 10))), (int(x0 + bar_w), height - 1),
                      (90, 90, 90), -1)
    x = int(lead.threshold / 256.0 * width)
    cv2.line(canvas, (x, 0), (x, height - 1), (220, 0, 0), 2)
    return canvas


def stage_images(result: PipelineResult) -> dict[str, np.ndarray]:
    """Every stage as a picture, named like files: ``01_original``, ``02_deskewed``, ... per lead."""
    images = {"01_original": result.original}
    if result.rotation_degrees:
        images["02_deskewed"] = result.deskewed
    images["03_grayscale"] = result.grayscale
    images["04_lead_boxes"] = draw_lead_boxes(result)
    for index, lead in enumerate(result.leads, start=1):
        prefix = f"{10 + index:02d}_{lead.name}"
        images[f"{prefix}_a_raw"] = lead.raw
        images[f"{prefix}_b_smoothed"] = np.clip(lead.smoothed, 0, 255).astype(np.uint8)
        images[f"{prefix}_c_histogram"] = histogram_image(lead)
        images[f"{prefix}_d_binary"] = binary_image(lead)
        images[f"{prefix}_e_model_input"] = (255 - lead.model_input * 255).astype(np.uint8)
    return images


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an RGB or grayscale ``uint8`` array as PNG, in memory."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
