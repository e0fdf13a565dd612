"""The pipeline explorer's stages: one plain-language paragraph and one picture per stage."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import charts, state, widgets
from ecg_pipeline.constants import STANDARD_ORDER, TASK_SPECS
from ecg_pipeline.measure.names import describe
from ecg_pipeline.preprocess.render import COLUMN_PREVIEW_WIDTH, draw_lead_boxes, lead_picture, preview
from ecg_pipeline.preprocess.stages import MAX_STROKE_WIDTH, MAX_TRACE_INK_FRACTION, STROKE_REFERENCE_HEIGHT

STAGES: tuple[str, ...] = ("Original", "Grayscale", "Lead split", "Gaussian smoothing", "Otsu threshold",
                           "Binary trace", "Model input", "Digitized trace", "Measurements", "Probabilities")
#: Stages that show one lead at a time.
LEAD_STAGES = {"Gaussian smoothing", "Otsu threshold", "Binary trace", "Model input", "Digitized trace",
               "Measurements"}

EXPLANATIONS: dict[str, str] = {
    "Original": "The picture as it was loaded. The file is decoded safely (size limits, EXIF orientation, "
    "transparency laid on white). A page photographed at a slight angle is straightened before anything else, "
    "so that rows of leads are horizontal; one photographed off-axis, whose grid is a trapezoid rather than a "
    "rectangle, is pulled back into a rectangle from the grid's four corners.",
    "Grayscale": "Colour tells us nothing about the heart here: the grid is usually pink or red and the trace "
    "dark. Each pixel becomes one brightness value, from 0 (black) to 255 (white), with the standard luma "
    "weights of red, green and blue.",
    "Lead split": "The program looks for the grid area, its rows of traces and the separator bars between "
    "columns in the image itself, then cuts out the 12 leads (2.5 seconds each, 3 rows of 4) and the 10-second "
    "rhythm strip. The confidence says how well the page matches the standard layout; below 0.5 the page "
    "probably is not a 12-lead report. A single-beat image is used whole, as one lead.",
    "Gaussian smoothing": "Each lead is blurred slightly with a Gaussian filter. Sigma is the width of the "
    "blur in pixels: a small sigma removes speckle and the thinnest grid lines, a large one also smears the "
    "trace. Sigma is given for pages at the scale of the printouts the models learnt from; a 12-lead page "
    "scanned at another resolution gets the same blur in millimetres. Move the sigma slider and watch the "
    "binary leads and the probabilities below change.",
    "Otsu threshold": "To tell ink from paper, Otsu's method (1979) looks at the histogram of brightness and "
    "picks the value that splits the pixels into two groups, each as uniform as possible. Pixels darker than "
    f"the red line count as trace. When that would make more than {MAX_TRACE_INK_FRACTION:.0%} of the lead "
    "'trace', the grid has "
    "come out as dark as the ink (thick pens, dark scans), so the split is made again among the darker pixels. "
    f"On a 12-lead page whose strokes come out wider than {MAX_STROKE_WIDTH:g} pixels on a lead scaled to "
    f"{STROKE_REFERENCE_HEIGHT} rows (blur, a thick pen), every lead's line moves darker until the trace is as "
    "thin as on a sharp printout. "
    "Choose 'Manual' to place the line yourself.",
    "Binary trace": "After thresholding every pixel is either trace (black) or paper (white). A good binary lead "
    "shows one thin, continuous line; leftover grid lines, blobs or gaps mean the settings do not suit the image.",
    "Model input": "The binary trace is shrunk to the small fixed size the neural networks read (height x width "
    "below). The models are also told which lead it is, because the same shape can be normal in one lead and "
    "abnormal in another.",
    "Digitized trace": "The binary trace becomes a signal again: in every column of pixels the program follows the "
    "line (past the printed lead name and the separator bars), and the paper gives the units. The grid is "
    "25 mm per second and 10 mm per millivolt, so a 2.5 s column of 62.5 mm tells how many pixels make a "
    "millimetre. Each lead is placed in time by where its column starts, so that all leads share the rhythm "
    "strip's clock.",
    "Measurements": "The trace becomes numbers a cardiologist reads. NeuroKit2 finds the beats on the rhythm strip; "
    "each lead's beats are averaged into a median beat (noise and odd beats cancel out); the QRS onset, the J "
    "point and the T end are placed where the leads' slope starts, stops and the T wave returns to baseline. "
    "Then come the ST level 60 ms after J, the Q, R, S and T waves, the QRS duration and the rhythm's rate and "
    "regularity. The measurement model classifies the page from these numbers alone.",
    "Probabilities": "The CNN and the CRNN each give a probability for every class, lead by lead (the heatmaps). "
    "On a 12-lead page each network combines its leads with a weighting learnt from the training images "
    "(some leads count more for some classes; see Model comparison); a network without one takes the mean. "
    "The CNN looks at local shapes; the CRNN also reads the trace from left to right as a sequence, the way "
    "time runs. The measurement model gives one probability per class for the whole page.",
}


def stage_title(stage: str, threshold: str | float) -> str:
    """A stage's heading, naming the method actually used."""
    return "Manual threshold" if stage == "Otsu threshold" and threshold != "otsu" else stage


def _step(offset: int) -> None:
    index = STAGES.index(st.session_state.get("explorer_stage", STAGES[0]))
    st.session_state["explorer_stage"] = STAGES[min(max(index + offset, 0), len(STAGES) - 1)]


def stage_stepper(threshold: str | float) -> str:
    """Back and Next buttons around the stage slider, and where the lesson is ("stage 3 of 10"); the stage."""
    index = STAGES.index(st.session_state.get("explorer_stage", STAGES[0]))
    back, slider, forward = st.columns([1, 8, 1], vertical_alignment="bottom")
    back.button("Back", key="explorer_back", on_click=_step, args=(-1,), disabled=index == 0,
                icon=":material/arrow_back:", width="stretch")
    forward.button("Next", key="explorer_next", on_click=_step, args=(1,), disabled=index == len(STAGES) - 1,
                   icon=":material/arrow_forward:", width="stretch")
    stage = slider.select_slider("Stage", STAGES, key="explorer_stage",
                                 format_func=lambda s: stage_title(s, threshold))
    st.caption(f"Stage {STAGES.index(stage) + 1} of {len(STAGES)}")
    return stage


def settings_before(image_key: str, sigma: float, threshold: str | float) -> tuple[float, str | float] | None:
    """The settings in use before the last change on this image (``None`` until sigma or the threshold changes)."""
    now = (image_key, sigma, threshold)
    last = st.session_state.get("explorer_settings_now")
    if last != now:
        st.session_state["explorer_settings_before"] = last if last is not None and last[0] == image_key else None
        st.session_state["explorer_settings_now"] = now
    before = st.session_state.get("explorer_settings_before")
    return None if before is None else (before[1], before[2])


def settings_label(sigma: float, threshold: str | float) -> str:
    return f"sigma {sigma:g}, " + ("Otsu threshold" if threshold == "otsu" else f"manual threshold {threshold:.0f}")


def show_before_after(data: bytes, page: int, before: tuple[float, str | float], now: tuple[float, str | float],
                      lead_name: str | None, lead_order: str = STANDARD_ORDER) -> None:
    """One lead's binary trace at the last settings and at these, side by side, with the ink share and the top
    class of each."""
    st.subheader("Before and after the last change")
    columns = st.columns(2)
    for column, (label, settings) in zip(columns, (("Before", before), ("Now", now)), strict=True):
        analysis = state.analyze_bytes(data, "auto", *settings, page=page, lead_order=lead_order)
        result = analysis.pipeline
        lead = result.lead(lead_name) if lead_name in result.lead_names else (
            result.lead("II") if "II" in result.lead_names else result.leads[0])
        column.image(column_picture(lead, "binary"), width="stretch",
                     caption=f"{label} ({settings_label(*settings)}): lead {lead.name}, threshold "
                             f"{lead.threshold:.0f}, ink {lead.ink_fraction:.2%}{_verdict_text(analysis)}")


def column_picture(lead, view: str):
    """One stage of a lead at the width of one of two columns (a rhythm strip is cut 1900 px wide)."""
    return preview(lead_picture(lead, view), COLUMN_PREVIEW_WIDTH)


def _verdict_text(analysis) -> str:
    if analysis.refused or not analysis.models:
        return ""
    verdict = analysis.verdict()
    if not verdict.predicted_class:
        return "; the models disagree"
    return f"; verdict {TASK_SPECS[analysis.task].display_names[verdict.predicted_class]}"


def show_stage(stage: str, analysis, lead_name: str | None, pictures=None) -> None:
    """The picture (or chart) of one stage; ``pictures``: the result whose page pictures are shown (patient fields
    blanked or not, see ``widgets.page_pictures``)."""
    result = analysis.pipeline if pictures is None else pictures
    lead = result.lead(lead_name) if lead_name else result.leads[0]
    if stage == "Original":
        rectified = "; perspective undone" if result.perspective_corrected else ""
        st.image(preview(result.original), width="stretch", caption=f"As loaded ({result.original.shape[1]} x "
                 f"{result.original.shape[0]} px); straightened by {result.rotation_degrees:+.2f}°{rectified}")
    elif stage == "Grayscale":
        st.image(preview(result.grayscale), width="stretch", caption="Grayscale: 0 = black, 255 = white")
    elif stage == "Lead split":
        if result.layout is not None:
            st.metric("Layout confidence", f"{result.layout_confidence:.2f}")
        st.image(preview(draw_lead_boxes(result)), width="stretch", caption="Lead boxes found on the page")
    elif stage == "Gaussian smoothing":
        if widgets.sigma_note(result):
            st.info(widgets.sigma_note(result))
        left, right = st.columns(2)
        left.image(column_picture(lead, "raw"), width="stretch", caption=f"{lead.name}: raw crop")
        right.image(column_picture(lead, "smoothed"), width="stretch",
                    caption=f"{lead.name}: smoothed, sigma {result.page_sigma:.2g} px")
    elif stage == "Otsu threshold":
        widgets.show_histogram(lead)
    elif stage == "Binary trace":
        left, right = st.columns(2)
        left.image(column_picture(lead, "smoothed"), width="stretch", caption=f"{lead.name}: smoothed")
        right.image(column_picture(lead, "binary"), width="stretch", caption=f"{lead.name}: binary")
    elif stage == "Model input":
        height, width = TASK_SPECS[result.task].input_shape
        picture = (255 - np.clip(lead.model_input, 0, 1) * 255).astype(np.uint8)
        st.image(picture, width="stretch", caption=f"{lead.name}: model input, {height} x {width} pixels (enlarged)")
    elif stage == "Digitized trace":
        show_digitized_stage(analysis, lead)
    elif stage == "Measurements":
        show_measurement_stage(analysis, lead)
    elif stage == "Probabilities":
        widgets.show_model_errors(analysis)
        widgets.show_probabilities(analysis, per_lead=True)


def show_digitized_stage(analysis, lead) -> None:
    measurements = analysis.measurements
    if measurements is None:
        st.info("A single-beat image has no grid to give it units, so it is not digitized.")
        return
    left, right = st.columns(2)
    left.image(column_picture(lead, "binary"), width="stretch", caption=f"{lead.name}: binary")
    signal = measurements.signals.get(lead.name)
    if signal is not None:
        right.plotly_chart(charts.signal_figure(signal, f"{lead.name}: millivolts over seconds"), width="stretch")


def show_measurement_stage(analysis, lead) -> None:
    measurements = analysis.measurements
    if measurements is None:
        st.info("The measurements read a 12-lead page; a single beat has none.")
        return
    if not measurements.measurable:
        st.info(f"This page could not be measured: {measurements.missing['page']}.")
        return
    if lead.name not in measurements.median_beats:
        st.info(f"Lead {lead.name} could not be measured: {measurements.missing.get(lead.name, 'no beat in it')}.")
        return
    st.plotly_chart(charts.median_beats_figure(measurements, [lead.name],
                                               f"{lead.name}: median beat and its fiducial points"), width="stretch")
    values = measurements.leads.get(lead.name)
    if values:
        st.dataframe({describe(f"{lead.name}.{k}"): round(v, 3) for k, v in values.items() if np.isfinite(v)},
                     width="stretch")


def ink_summary(result) -> tuple[float, float]:
    """Median share of ink pixels and median threshold over the leads."""
    return (float(np.median([lead.ink_fraction for lead in result.leads])),
            float(np.median([lead.threshold for lead in result.leads])))
