"""Pipeline explorer (teaching): one stage at a time, with live settings and their effect."""

import streamlit as st

from dashboard import charts, explorer, state, widgets

METHODS = {"otsu": "Otsu (automatic)", "manual": "Manual"}
#: The settings that belong to one image, and their values for a new one.
DEFAULTS = {"explorer_sigma": 1.0, "explorer_method": "otsu", "explorer_manual": 128}
SETTING_NAMES = {"explorer_sigma": "the sigma", "explorer_method": "the threshold method",
                 "explorer_manual": "the manual threshold"}


def main() -> None:
    st.title("Pipeline explorer")
    st.caption("Step through the pipeline one stage at a time. Change the settings and watch the binary leads "
               "and the models' probabilities follow.")
    name, data = state.image_input("explorer")
    page = state.page_input("explorer", data)
    reset = state.settings_follow_image("explorer", f"{name}|{page}", DEFAULTS)
    if reset:
        settings = " and ".join(SETTING_NAMES[k] for k in reset)
        which = "its default: it was" if len(reset) == 1 else "their defaults: they were"
        st.info(f"New image: {settings} went back to {which} set for the last one.")
    cols = st.columns(3)
    sigma = cols[0].slider("Gaussian sigma (pixels)", 0.0, 4.0, 1.0, 0.1, key="explorer_sigma")
    method = cols[1].radio("Threshold method", list(METHODS), format_func=METHODS.get, horizontal=True,
                           key="explorer_method")
    manual = cols[2].slider("Manual threshold (0-255)", 0, 255, 128, key="explorer_manual",
                            disabled=method != "manual")
    lead_order = widgets.lead_order_input("explorer_lead_order")
    if data is None:
        return
    threshold = "otsu" if method == "otsu" else float(manual)
    analysis = state.analyze_bytes(data, "auto", sigma, threshold, page=page, lead_order=lead_order)
    result = analysis.pipeline
    widgets.show_task(result, "auto")
    pictures = widgets.page_pictures(result, "explorer")

    stage = explorer.stage_stepper(threshold)
    st.subheader(explorer.stage_title(stage, threshold))
    st.markdown(explorer.EXPLANATIONS[stage])
    if stage == "Otsu threshold" and threshold != "otsu":
        st.markdown(f"You chose a **manual** threshold: every lead is cut at {threshold:.0f}, the red line below. "
                    "Choose 'Otsu (automatic)' to let the histogram decide.")
    lead = None
    if stage in explorer.LEAD_STAGES:
        default = result.lead_names.index("II") if "II" in result.lead_names else 0
        lead = st.selectbox("Lead", result.lead_names, index=default, key="explorer_lead")
    explorer.show_stage(stage, analysis, lead, pictures)

    st.divider()
    st.subheader("All binary leads at these settings")
    ink, median_threshold = explorer.ink_summary(result)
    cols = st.columns(3)
    cols[0].metric("Ink share (median over leads)", f"{ink:.3%}",
                   help="Share of pixels counted as trace; an ECG trace is a thin line, a few percent.")
    cols[1].metric("Threshold (median over leads)", f"{median_threshold:.1f}")
    cols[2].metric("Sigma", f"{sigma:g}")
    widgets.lead_grid(result, "binary")
    before = explorer.settings_before(f"{name}|{page}", sigma, threshold)
    if before is not None:
        explorer.show_before_after(data, page, before, (sigma, threshold), lead, lead_order)

    st.subheader("Probabilities at these settings")
    if analysis.refused:
        st.warning(f"No probabilities: {analysis.gate.message} The models are run only on what looks like an "
                   "ECG; at other settings the trace may come back.")
    elif analysis.models:
        st.plotly_chart(charts.aggregate_bars(analysis.aggregate, analysis.task), width="stretch")
    else:
        widgets.show_model_errors(analysis)
    st.caption(widgets.NOT_A_DEVICE)


widgets.run_page(main)
