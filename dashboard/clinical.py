"""Streamlit blocks of the clinical results: the gate's refusal, the headline verdict, the measurements, how well
each lead was read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, tables
from ecg_pipeline.constants import LONG_QTC_MS, MEASUREMENT_KIND, TASK_SPECS, WIDE_QRS_MS
from ecg_pipeline.measure import MEASURED_LEADS
from ecg_pipeline.measure.names import describe
from ecg_pipeline.measure.values import CRITERIA
from ecg_pipeline.models.inference import title
from ecg_pipeline.preprocess.trace_quality import LOW_CONFIDENCE, SHORT_GAP_MM, quality_advice, quality_summary

NOT_A_DEVICE = ("This is a research and teaching prototype, **not a medical device**: do not use it for "
                "diagnosis or treatment decisions.")
#: Cell colour of the measurement table by criterion, and its name for the legend (light enough for dark text in
#: both themes' tables).
CRITERION_COLOURS: dict[str, tuple[str, str]] = {
    "st_elevation": ("#f8b4b4", "red"), "st_depression": ("#b4d2f8", "blue"),
    "pathological_q": ("#f8dcb4", "orange"), "t_inversion": ("#d9c4f0", "purple"),
}


def gate_refusal(analysis) -> None:
    """Why the image got no verdict."""
    st.error(f"**No verdict.** {analysis.gate.message} The preprocessing stages are below, to show what was "
             "seen. If this is an ECG, tick **Analyze anyway**: the results will be marked as such.",
             icon=":material/block:")


def forced_banner(analysis) -> None:
    """The mark on everything an override produced."""
    st.warning(f"**Analyzed anyway.** The evidence gate found no ECG here: {analysis.gate.message} Nothing below "
               "is a reading of an ECG.", icon=":material/report:")


def rule_caption(analysis) -> str:
    """The rule the headline used, with its out-of-fold figure when it is the fitted rule's own combination."""
    verdict = analysis.verdict()
    rule = analysis.rule
    figure = ""
    if rule is not None and rule.out_of_fold and set(verdict.per_model) >= set(rule.models):
        figure = (f" (chosen by out-of-fold cross-validation on the training and validation images: macro-F1 "
                  f"{rule.out_of_fold['macro_f1']:.3f} over {rule.out_of_fold['images']} pages)")
    return f"Verdict rule: **{verdict.rule}**{figure}."


def show_verdict(analysis) -> None:
    """The headline: one class when the models agree, each model's class when they do not; with the warnings."""
    verdict = analysis.verdict()
    if verdict.agreement == "none":
        if not analysis.refused:
            st.info("No verdict: no trained model is available for this task (see the messages below).")
        return
    names = TASK_SPECS[analysis.task].display_names
    each = [f"{title(k)}**: {names[c]} ({analysis.aggregate.loc[k, c]:.0%})" for k, c in verdict.per_model.items()]
    with st.container(border=True):
        if verdict.agreement == "disagree":
            st.markdown("### The models disagree")
            st.markdown(" · ".join(f"**{item}" for item in each))
            st.caption(f"No single class is given when the models disagree. {rule_caption(analysis)} Its mean "
                       f"would lean to {names[verdict.rule_class]}.")
        else:
            cols = st.columns([2, 1, 1])
            cols[0].metric("Verdict", names[verdict.predicted_class])
            cols[1].metric("Confidence", f"{verdict.confidence:.0%}", help="The verdict rule's probability.")
            cols[2].metric("Models", "agree" if verdict.agreement == "agree" else f"only {title(*verdict.per_model)}")
            st.markdown(", ".join(f"**{item}" for item in each) + f". {rule_caption(analysis)}")
        for warning in analysis.pipeline.warnings:
            st.warning(warning)
        st.caption(NOT_A_DEVICE)


def show_domain_shift_lesson(analysis, sample: dict | None) -> None:
    """On a synthetic sample, say when the measurement model reads it right and the networks do not."""
    if not sample or sample["origin"] != "synthetic" or MEASUREMENT_KIND not in analysis.models:
        return
    predicted = analysis.aggregate["predicted_class"]
    networks = [k for k in analysis.networks if predicted[k] != sample["class"]]
    if predicted[MEASUREMENT_KIND] == sample["class"] and networks:
        st.info(f"**A lesson in domain shift.** This page was drawn by the project as "
                f"{TASK_SPECS[analysis.task].display_names[sample['class']]}. The measurement model reads it right "
                f"from its ST, Q, T and rhythm values; {' and '.join(map(title, networks))} "
                f"{'do' if len(networks) > 1 else 'does'} not: the networks learnt the pixels of one printer's "
                "pages, and a drawing that differs from them in small ways misleads them.",
                icon=":material/school:")


def style_measurements(values: pd.DataFrame, flags: pd.DataFrame):
    """The measurement table with the cells that meet a criterion coloured."""
    formats = {column: "{:.0f}" if column.endswith("(ms)") else "{:.2f}" for column in values.columns}
    return values.astype(float).style.format(formats, na_rep="—").apply(
        lambda column: [f"background-color: {CRITERION_COLOURS[f][0]}; color: #111" if f else "" for f in
                        flags[column.name]], axis=0)


def show_measurements(analysis) -> None:
    """The clinician's view: the page's values, the leads' table with criteria marked, the median beats and the
    measurements that moved the measurement model's verdict."""
    measurements = analysis.measurements
    if measurements is None:
        return
    page = measurements.page
    if not measurements.measurable:
        st.info(f"The trace could not be measured: {measurements.missing['page']}.")
        return
    if analysis.forced:
        st.warning("Analyzed anyway: these are the measurements of an image the gate found no ECG in.")
    cols = st.columns(5)
    cols[0].metric("Heart rate", _value(page["heart_rate_bpm"], "{:.0f} bpm"),
                   help="60 / the median RR interval of the rhythm strip's whole beats.")
    cols[1].metric("QRS duration", _value(page["qrs_duration_ms"], "{:.0f} ms"),
                   delta="wide" if page["qrs_duration_ms"] >= WIDE_QRS_MS else None, delta_color="off")
    cols[2].metric("QTc (Bazett)", _value(page["qtc_ms"], "{:.0f} ms"),
                   delta="long" if page["qtc_ms"] >= LONG_QTC_MS else None, delta_color="off")
    cols[3].metric("RR variation", _value(page["rr_cv"], "{:.1%}"), help="Standard deviation over mean of the "
                   "RR intervals between whole beats (a beat cut off at the strip's edge is left out).")
    cols[4].metric("Ectopic beats", _value(page["ectopic_beats"], "{:.0f}"), help="Premature, or of another QRS "
                   "shape than the strip's median beat.")
    values, flags = tables.measurement_table(measurements)
    st.dataframe(style_measurements(values, flags), width="stretch")
    met = {f for f in flags.to_numpy().ravel() if f}
    legend = "; ".join(f"{tables.criterion_name(c)} in {CRITERION_COLOURS[c][1]}" for c in CRITERIA if c in met)
    st.caption("Amplitudes against each lead's PR baseline, read off its median beat. "
               + (f"Marked: {legend}." if legend else "No lead meets a standard criterion of infarction.")
               + (f" Not measured: {', '.join(f'{k} ({v})' for k, v in measurements.missing.items())}."
                  if measurements.missing else ""))
    st.plotly_chart(charts.median_beats_figure(measurements, list(MEASURED_LEADS)), width="stretch",
                    key="median_beats")
    show_reasons(analysis)


def show_reasons(analysis) -> None:
    contributions = analysis.measurement_contributions
    if contributions.empty:
        return
    names = TASK_SPECS[analysis.task].display_names
    verdict = names[analysis.aggregate.loc[MEASUREMENT_KIND, "predicted_class"]]
    top = contributions.head(8).assign(label=[describe(f) for f in contributions.head(8)["feature"]])
    st.plotly_chart(charts.contribution_bars(top, verdict, "What moved the measurement model's verdict"),
                    width="stretch", key="measurement_reasons")
    st.caption("Each bar is how much the measurement model's probability of its verdict drops (red) or rises "
               "(blue) when that one measurement is replaced by the typical value of the training pages.")


def show_lead_quality(analysis) -> None:
    """Each lead's digitization confidence and the three figures it is the product of, with the advice to retake
    the picture when a lead's is under ``LOW_CONFIDENCE``."""
    quality = analysis.lead_quality
    if not quality:
        return
    st.subheader("How well each lead was read")
    advice = quality_advice(quality)
    if advice is not None:
        st.warning(f"{advice} The Explorer page shows each lead's threshold and lets you set one by hand.",
                   icon=":material/warning:")
    rows = pd.DataFrame([{"lead": name, **q.to_dict()} for name, q in quality.items()])
    left, right = st.columns([3, 2])
    number = st.column_config.NumberColumn
    left.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3, column_config={
        "lead": st.column_config.TextColumn("Lead"),
        "confidence": st.column_config.ProgressColumn("Confidence", format="%.2f", min_value=0.0, max_value=1.0),
        "coverage": number("Coverage", format="%.2f", help="Share of the lead's columns, after its printed name, "
                                                            "where the trace was found."),
        "continuity": number("Continuity", format="%.2f", help="Share of the trace found that lies in its longest "
                                                                f"stretch (gaps under {SHORT_GAP_MM:g} mm bridged)."),
        "overlap": number("Overlap", format="%.2f", help="Share of the box's columns where ink touches its top or "
                                                          "bottom edge: a neighbour's trace crossing in, or this "
                                                          "lead's own clipped."),
    })
    right.caption(("" if advice is not None else quality_summary(quality) + " ")
                  + "Confidence is coverage × continuity × (1 − overlap), read off each lead's binary trace. Under "
                  f"{LOW_CONFIDENCE:.2f}, that lead's measurements and probabilities rest on a partial or mixed "
                  "trace.")


def _value(value: float, fmt: str) -> str:
    return "n/a" if value is None or not np.isfinite(value) else fmt.format(value)

