"""Streamlit blocks shared by the pages: stages, probabilities, verdict, Grad-CAM, downloads, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import charts, state, tables
from dashboard.clinical import NOT_A_DEVICE
from ecg_pipeline.constants import LEAD_ORDER_TITLES, LEAD_ORDERS, REFERENCE_PX_PER_MM, RHYTHM_LEAD, TASK_SPECS
from ecg_pipeline.errors import EcgError
from ecg_pipeline.io.export import MEMORY_FOLDER, record_name, signal_csv, signal_table, wfdb_zip
from ecg_pipeline.io.privacy import deidentify
from ecg_pipeline.models.inference import title
from ecg_pipeline.preprocess.layouts import layout_title
from ecg_pipeline.preprocess.render import COLUMN_PREVIEW_WIDTH, draw_lead_boxes, lead_montage, lead_picture, preview
from ecg_pipeline.preprocess.stages import STROKE_REFERENCE_HEIGHT, TYPICAL_STROKE_WIDTH

LOG = logging.getLogger(__name__)
__all__ = ["NOT_A_DEVICE"]
VIEW_LABELS: dict[str, str] = {"raw": "Raw crop", "smoothed": "Gaussian-smoothed", "binary": "Binary trace"}


def run_page(main: Callable[[], None]) -> None:
    """Run a page; errors become messages for a person, never a traceback."""
    try:
        main()
    except EcgError as exc:
        st.error(str(exc))
    except Exception as exc:  # the page shows a sentence; the log keeps the details
        LOG.exception("page failed")
        st.error("Something unexpected went wrong while preparing this page. Try another image or reload the "
                 f"page. (Details: {type(exc).__name__}: {exc})")


def lead_grid(result, view: str) -> None:
    """All leads of one stage as one picture, in the printed 3 x 4 layout with the rhythm strip below."""
    if len(result.leads) == 1:
        st.image(lead_picture(result.leads[0], view), caption=result.leads[0].name, width="stretch")
        return
    st.image(lead_montage(result, view), caption=f"{VIEW_LABELS[view]}: each lead as cut from the page",
             width="stretch")


def page_pictures(result, key: str):
    """The pipeline result whose page pictures this page shows and exports: patient fields blanked unless the user
    keeps them. Says which applies on a 12-lead page (a single beat has no patient fields)."""
    if result.layout is None:
        return result
    keep = st.checkbox("Show patient fields", key=f"{key}_patient_fields",
                       help="The header (ID, age, sex) and the footer's date and time, in the page pictures and the "
                            "downloads. The analysis reads the page as uploaded either way.")
    if keep:
        st.caption("Patient fields are **shown** in the page pictures and in the downloads.")
        return result
    st.caption("Patient fields (the header's ID, age and sex, the footer's date and time) are **blanked** in the page "
               "pictures and in every download. The analysis read the page as uploaded.")
    return deidentify(result)


def show_task(result, requested: str) -> None:
    task_title = TASK_SPECS[result.task].title
    if requested == "auto":
        st.info(f"Detected: **{task_title}**, because {result.task_reason}. Choose the task yourself if this is "
                "wrong.")
    else:
        st.caption(f"Task: {task_title} (chosen by you).")
    layout = result.layout
    if layout is not None:
        unread = [name for name in layout.boxes if name not in result.lead_names]
        st.caption(f"Layout found: {layout_title(layout.name, layout.lead_order)} (confidence {layout.confidence:.2f})"
                   + (f"; {', '.join(unread)} found but read by no model." if unread else "."))


def lead_order_input(key: str) -> str:
    """The order the user's printouts put the limb leads in (``LEAD_ORDERS``): the page's labels are not read."""
    return st.radio("Limb lead order of the printout", LEAD_ORDERS, format_func=LEAD_ORDER_TITLES.get,
                    horizontal=True, key=key,
                    help="Most printers put I, II, III, aVR, aVL, aVF in the first two columns; Cabrera printers "
                         "(common in Sweden) put the limb leads in their angular order, aVR printed upside down as "
                         "-aVR, which is read as aVR. The page's labels say which.")


def show_warnings(result) -> None:
    for warning in result.warnings:
        st.warning(warning)


def show_page_overview(result) -> None:
    """Key numbers, the page with its lead boxes, and the grayscale image."""
    cols = st.columns(4)
    cols[0].metric("Rotation corrected", f"{result.rotation_degrees:+.2f}°")
    cols[1].metric("Layout confidence", f"{result.layout_confidence:.2f}" if result.layout else "n/a",
                   help="How well the page matches the 12-lead layout (0-1).")
    cols[2].metric("Leads", len(result.leads))
    cols[3].metric("Pipeline time", f"{sum(result.timings_ms.values()):.0f} ms")
    left, right = st.columns(2)
    rectified = "; perspective undone from the grid's corners" if result.perspective_corrected else ""
    left.image(preview(draw_lead_boxes(result), COLUMN_PREVIEW_WIDTH), width="stretch",
               caption=f"Original with lead boxes (deskewed by {result.rotation_degrees:+.2f}°{rectified})")
    right.image(preview(result.grayscale, COLUMN_PREVIEW_WIDTH), caption="Grayscale", width="stretch")


def sigma_note(result) -> str | None:
    """Why the smoothing applied differs from the sigma chosen, on a page scanned at another scale (else None)."""
    if result.page_sigma is None or result.page_sigma == result.sigma:
        return None
    return (f"This page has {result.px_per_mm:.2f} pixels per millimetre; the printouts the models learnt from have "
            f"{REFERENCE_PX_PER_MM:g}. Sigma {result.sigma:g} was applied as {result.page_sigma:.2f} pixels, the "
            "same blur in millimetres of paper.")


def show_lead_stages(result) -> None:
    """Raw / smoothed / binary of every lead, one tab per stage."""
    if result.strokes_thinned:
        st.caption(f"The strokes came out {result.stroke_width:.2f} pixels wide on a lead scaled to "
                   f"{STROKE_REFERENCE_HEIGHT} rows (printouts are about {TYPICAL_STROKE_WIDTH:g}), as on a blurred "
                   "image or one drawn with a thick pen: every lead's threshold was lowered to keep the darker core "
                   "of the trace.")
    if sigma_note(result):
        st.caption(sigma_note(result))
    for tab, view in zip(st.tabs(list(VIEW_LABELS.values())), VIEW_LABELS, strict=True):
        with tab:
            lead_grid(result, view)


def show_histogram(lead) -> None:
    counts, centres = lead.histogram
    st.plotly_chart(charts.histogram_figure(counts, centres, lead.threshold,
                                            f"Lead {lead.name}: intensities and threshold"), width="stretch")
    st.caption(f"Pixels darker than {lead.threshold:.0f} count as ink: {lead.ink_fraction:.2%} of this lead.")


def show_model_errors(analysis) -> None:
    """Why a model did not run (its message says how to train it)."""
    for kind, message in analysis.model_errors.items():
        st.warning(f"**{title(kind)} unavailable.** {message}")


def show_probabilities(analysis, per_lead: bool = True) -> None:
    """Per-lead heatmap of each network, then every model's page probabilities in one chart."""
    if not analysis.models:
        return
    if per_lead and analysis.networks:
        for column, kind in zip(st.columns(len(analysis.networks)), analysis.networks, strict=True):
            with column:
                st.plotly_chart(charts.lead_heatmap(analysis.lead_probabilities(kind), analysis.task,
                                                    f"{title(kind)}: probability per lead"), width="stretch")
        st.caption(lead_agreement_note(analysis))
    st.plotly_chart(charts.aggregate_bars(analysis.aggregate, analysis.task, "Every model: page probabilities"),
                    width="stretch")
    st.caption(f"How each model reaches one probability per page: {analysis.aggregation}.")


def lead_agreement_note(analysis) -> str:
    """How each network's leads became one page probability, and which leads lean elsewhere, and why they may."""
    names = TASK_SPECS[analysis.task].display_names
    if len(analysis.pipeline.leads) == 1:
        return "A single-beat image is one lead: its row is the network's answer."
    dissent = []
    for kind in analysis.networks:
        for class_id, leads in tables.dissenting_leads(analysis, kind).items():
            dissent.append(f"the {title(kind)}'s lead{'s' if len(leads) > 1 else ''} {', '.join(leads)} lean"
                           f"{'' if len(leads) > 1 else 's'} to {names[class_id]}")
    combined = (f"Each row is one lead read alone; a network's page probability combines its leads "
                f"({analysis.aggregation}). ")
    if not dissent:
        return combined + "Here every lead leans to its network's page class."
    return (combined + "Here " + "; ".join(dissent) + ", against the page's class. One lead sees the heart from one "
            "direction only, and some leads (III, aVR, V1) often look abnormal on a healthy heart, so a lead can "
            "disagree with the verdict: the page's probability weighs every lead, and the headline verdict follows "
            f"its rule ({analysis.verdict().rule}).")


def show_lead_contributions(analysis) -> None:
    """Which leads pushed each model towards its verdict, for models that weigh their leads."""
    if analysis.lead_contributions.empty:
        return
    names = TASK_SPECS[analysis.task].display_names
    contributions = {}
    for kind, table in analysis.lead_contributions.groupby("model", sort=False):
        verdict = analysis.aggregate.loc[kind, "predicted_class"]
        contributions[kind] = (names[verdict], table.set_index("lead")[verdict])
    st.plotly_chart(charts.lead_contribution_bars(contributions, "Which leads drove each model's verdict"),
                    width="stretch")
    st.caption("Each model combines its leads with weights learnt from the training images (see Model "
               "comparison). A bar is what that lead added to the verdict's score beyond the other classes': "
               "tall bars are the leads the verdict rests on, bars below zero are leads that argued against it.")


def show_gradcam(data: bytes, analysis, lead_name: str, sigma: float, threshold: str | float, page: int = 1) -> None:
    """Each network's Grad-CAM for its predicted class, over the selected lead's raw crop."""
    from ecg_pipeline.models.gradcam import overlay_heatmap

    index = analysis.pipeline.lead_names.index(lead_name)
    lead = analysis.pipeline.leads[index]
    names = TASK_SPECS[analysis.task].display_names
    for column, kind in zip(st.columns(len(analysis.networks)), analysis.networks, strict=True):
        class_id = analysis.aggregate.loc[kind, "predicted_class"]
        try:
            heat = state.gradcam_bytes(data, analysis, kind, class_id, sigma, threshold, page)[index]
        except Exception as exc:  # an explanation that fails must not hide the results around it
            LOG.exception("Grad-CAM failed")
            column.warning(f"Grad-CAM is not available for the {title(kind)} ({type(exc).__name__}: {exc}).")
            continue
        column.image(preview(overlay_heatmap(lead.raw, heat), COLUMN_PREVIEW_WIDTH), width="stretch",
                     caption=f"{title(kind)}: parts of lead {lead_name} that raised '{names[class_id]}'")


def show_downloads(name: str, analysis, sigma: float, threshold: str | float, pictures=None) -> None:
    """The page's downloads; ``pictures`` is the result whose page pictures go into the stage images' ZIP (see
    ``page_pictures``)."""
    pictures = analysis.pipeline if pictures is None else pictures
    stem = Path(name).stem
    cols = st.columns(5)
    cols[0].download_button("Probabilities (CSV)", tables.probabilities_frame(analysis).to_csv(index=False),
                            f"{stem}_probabilities.csv", "text/csv", on_click="ignore", icon=":material/download:")
    cols[1].download_button("Everything (JSON)", lambda: tables.probabilities_json(analysis, name, sigma, threshold),
                            f"{stem}_analysis.json", "application/json", on_click="ignore", icon=":material/download:",
                            help="The gate, the verdict, every model's probabilities, the measurements and the "
                                 "digitized signal.")
    if analysis.measurements is not None and analysis.measurements.measurable:
        values, _ = tables.measurement_table(analysis.measurements)
        cols[2].download_button("Measurements (CSV)", values.to_csv(), f"{stem}_measurements.csv", "text/csv",
                                on_click="ignore", icon=":material/download:")
    cols[3].download_button("Stage images (ZIP of PNG)", lambda: tables.stages_zip(pictures),
                            f"{stem}_stages.zip", "application/zip", on_click="ignore", icon=":material/download:")
    if analysis.measurements is not None and analysis.measurements.signals:
        cols[4].download_button("Digitized signal (CSV)",
                                lambda: signal_csv(signal_table(analysis.measurements.signals)),
                                f"{stem}_signal.csv", "text/csv", on_click="ignore", icon=":material/download:",
                                help="Time in s and each lead in mV, 10 s at 500 Hz, empty where a lead was not "
                                     "printed.")
        record = record_name(name)
        if MEMORY_FOLDER.is_dir():  # built when asked for: the ZIP is written in memory, see export.wfdb_zip
            cols[4].download_button("Digitized signal (WFDB, ZIP)",
                                    lambda: wfdb_zip(signal_table(analysis.measurements.signals), record),
                                    f"{record}_wfdb.zip",
                                    "application/zip", on_click="ignore", icon=":material/download:",
                                    help="A WFDB record (.hea and 16-bit .dat, 10 s at 500 Hz, NaN where a lead was "
                                         "not printed), as the PhysioNet Challenge 2024 lays its signals out.")


def show_digitized(analysis) -> None:
    """Each lead as the measurements read it, in mV over the page's seconds, with the rhythm strip's RR intervals."""
    measurements = analysis.measurements
    if measurements is None:
        st.info("A single-beat image has no grid to calibrate against, so it is not digitized.")
        return
    rr = measurements.rr_s
    cols = st.columns(3)
    cols[0].metric("RR interval, median", "n/a" if len(rr) == 0 else f"{np.median(rr) * 1000:.0f} ms")
    cols[1].metric("RR variability (SD)", "n/a" if len(rr) < 2 else f"{np.std(rr) * 1000:.0f} ms",
                   help="Between whole beats: a beat cut off at the strip's edge is left out.")
    cols[2].metric("RMSSD", "n/a" if len(rr) < 2 else f"{measurements.page['rmssd_ms']:.0f} ms")
    # the page's own leads: a page printed without a rhythm strip has none to show by default
    shown = [lead for lead in ("II", RHYTHM_LEAD) if lead in measurements.signals] or list(measurements.signals)[:1]
    leads = st.multiselect("Leads to draw", list(measurements.signals), default=shown, key="digitized_leads")
    if leads:
        st.plotly_chart(charts.trace_figure(measurements.signals, leads), width="stretch")
    px_per_mm = analysis.pipeline.px_per_mm
    st.caption(f"Calibrated from the page: {px_per_mm:.2f} px per mm (a 2.5 s column is 62.5 mm at 25 mm/s) and "
               "10 mm per mV; each lead placed on the rhythm strip's clock by where its column starts. The first "
               "0.2 s of each lead, under its printed name, is left out. Baseline (median height) at 0 mV.")
