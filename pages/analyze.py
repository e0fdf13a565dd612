"""Analyze one ECG image: stages, per-lead and aggregated probabilities, verdict, Grad-CAM, downloads."""

import streamlit as st

from dashboard import state, widgets

THRESHOLD = "otsu"


def main() -> None:
    st.title("Analyze an ECG image")
    st.caption("Upload an ECG or pick a built-in synthetic sample. Uploads stay in memory and are never stored.")
    left, right = st.columns([3, 2])
    with left:
        name, data = state.image_input("analyze")
    with right:
        task = st.radio("What the image shows", list(state.TASK_CHOICES), format_func=state.TASK_CHOICES.get,
                        horizontal=True, key="analyze_task")
        sigma = st.slider("Gaussian smoothing sigma (pixels)", 0.0, 4.0, 1.0, 0.25, key="analyze_sigma")
    if data is None:
        state.warm_models()  # while the user picks a file, so that the first analysis does not wait for them
        return
    analysis = state.analyze_bytes(data, task, sigma, THRESHOLD)
    result = analysis.pipeline
    widgets.show_task(result, task)
    widgets.show_verdict(analysis)

    st.header("Preprocessing stages")
    widgets.show_page_overview(result)
    st.subheader("Each lead: raw, smoothed, binary")
    widgets.show_lead_stages(result)
    lead = st.selectbox("Lead for the Otsu histogram", result.lead_names, key="analyze_hist_lead")
    widgets.show_histogram(result.lead(lead))

    st.header("What the models think")
    widgets.show_model_errors(analysis)
    widgets.show_probabilities(analysis)
    widgets.show_lead_contributions(analysis)

    if analysis.models:
        st.header("Grad-CAM: which parts of a lead drove the prediction")
        default = result.lead_names.index("II") if "II" in result.lead_names else 0
        cam_lead = st.selectbox("Lead for Grad-CAM", result.lead_names, index=default, key="analyze_cam_lead")
        widgets.show_gradcam(data, analysis, cam_lead, sigma, THRESHOLD)
        st.caption("Warm colours mark the parts of the trace that raised the probability of each model's "
                   "predicted class (Grad-CAM, Selvaraju et al. 2017).")

    st.header("Digitized trace and heart rate")
    digitized = widgets.show_digitized(data, analysis, sigma, THRESHOLD)

    st.header("Downloads")
    widgets.show_downloads(name, analysis, sigma, THRESHOLD, digitized)
    st.caption(widgets.NOT_A_DEVICE)


widgets.run_page(main)
