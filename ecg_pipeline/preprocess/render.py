"""Pictures of the stages (numpy RGB arrays), shared by the dashboard, the CLI and the tests."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from ..constants import INVERTED_LEADS, LAYOUT_ROWS, STANDARD_ORDER, read_lead
from .pipeline import LeadStages, PipelineResult
from .stages import shrink

BOX_COLOUR = (0, 102, 204)
#: Widest picture the dashboard sends to a browser: the page's width on a 1600 px screen (about 900 px in a
#: 1400 px window, 1500 px in a 1920 px one); wider only costs encoding and transfer time.
PREVIEW_WIDTH = 1200
#: A picture in one of two columns is sent at half that.
COLUMN_PREVIEW_WIDTH = PREVIEW_WIDTH // 2
LEAD_VIEWS: tuple[str, ...] = ("raw", "smoothed", "binary")


def _as_printed(result: PipelineResult) -> dict[str, str]:
    """Each lead's name as the page prints it: Cabrera's aVR is printed, upside down, as -aVR."""
    inverted = result.layout.inverted if result.layout is not None else ()
    printed_as = {read: printed for printed, read in INVERTED_LEADS.items()}
    return {name: printed_as[name] if name in inverted else name for name in result.lead_names}


def draw_lead_boxes(result: PipelineResult) -> np.ndarray:
    """The (deskewed) page with each lead's box and name, as printed, drawn over it."""
    canvas = result.deskewed.copy()
    scale = max(1.0, canvas.shape[1] / 1100.0)
    thickness = max(1, int(round(2 * scale)))
    printed = _as_printed(result)
    for lead in result.leads:
        top, bottom, left, right = lead.box
        cv2.rectangle(canvas, (left, top), (right - 1, bottom - 1), BOX_COLOUR, thickness)
        cv2.putText(canvas, printed[lead.name], (left + 4 * thickness, top + int(22 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.7 * scale, BOX_COLOUR, thickness, cv2.LINE_AA)
    return canvas


def binary_image(lead: LeadStages) -> np.ndarray:
    """A lead's binary trace as black ink on white, ``uint8``."""
    return np.where(lead.binary, 0, 255).astype(np.uint8)


def lead_picture(lead: LeadStages, view: str) -> np.ndarray:
    """One stage of a lead as a ``uint8`` picture: ``raw``, ``smoothed`` or ``binary``."""
    if view == "raw":
        return lead.raw
    if view == "smoothed":
        return np.clip(lead.smoothed, 0, 255).astype(np.uint8)
    if view == "binary":
        return binary_image(lead)
    raise ValueError(f"unknown view {view!r}; expected one of {LEAD_VIEWS}")


def preview(image: np.ndarray, max_width: int = PREVIEW_WIDTH) -> np.ndarray:
    """``image`` shrunk (area-averaged) to at most ``max_width`` pixels wide; smaller images are unchanged."""
    return shrink(image, max_width / image.shape[1])


def lead_montage(result: PipelineResult, view: str, width: int = PREVIEW_WIDTH, gap: int = 6) -> np.ndarray:
    """All leads of one stage in one picture, laid out as a 3 x 4 page prints them in its lead order (then the
    rhythm strip), each labelled with its name (an inverted lead is shown turned back, under the name it is read
    as). One picture instead of thirteen keeps the dashboard quick to draw.

    Examples
    --------
    >>> from ecg_pipeline import run_pipeline
    >>> from ecg_pipeline.synth import render_twelve_lead_page
    >>> lead_montage(run_pipeline(render_twelve_lead_page("normal", seed=0)), "binary").shape[1]
    1200
    """
    names = result.lead_names
    order = result.layout.lead_order if result.layout is not None else STANDARD_ORDER
    rows = [[read_lead(place, order) for place in row] for row in LAYOUT_ROWS]
    rows = [[n for n in row if n in names] for row in rows]
    rows = [row for row in rows if row]
    placed = {n for row in rows for n in row}
    rows += [[lead.name] for lead in result.leads if lead.name not in placed]
    bands = []
    for row in rows:
        cell_width = (width - gap * (len(row) - 1)) // len(row)
        pictures = [lead_picture(result.lead(name), view) for name in row]
        height = max(1, round(max(p.shape[0] * cell_width / p.shape[1] for p in pictures)))
        band = np.full((height, width), 255, np.uint8)
        for i, (name, picture) in enumerate(zip(row, pictures, strict=True)):
            cell = cv2.resize(picture, (cell_width, height), interpolation=cv2.INTER_AREA)
            left = i * (cell_width + gap)
            band[:, left:left + cell_width] = cell
            (text_width, _), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
            cv2.rectangle(band, (left, 0), (left + text_width + 12, 30), 225, -1)
            cv2.putText(band, name, (left + 6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2, cv2.LINE_AA)
        bands += [band, np.full((gap, width), 200, np.uint8)]
    return np.vstack(bands[:-1])


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
        images[f"{prefix}_a_raw"] = lead_picture(lead, "raw")
        images[f"{prefix}_b_smoothed"] = lead_picture(lead, "smoothed")
        images[f"{prefix}_c_histogram"] = histogram_image(lead)
        images[f"{prefix}_d_binary"] = lead_picture(lead, "binary")
        images[f"{prefix}_e_model_input"] = (255 - lead.model_input * 255).astype(np.uint8)
    return images


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an RGB or grayscale ``uint8`` array as PNG, in memory."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
