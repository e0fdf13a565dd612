"""Analyze one ECG image: the clinical results first (the verdict, the measurements, the models' probabilities,
Grad-CAM, the digitized trace), then the preprocessing stages, folded, and the downloads."""

import streamlit as st

from dashboard import clinical, state, widgets
from ecg_pipeline.constants import BEAT, STANDARD_ORDER, TWELVE_LEAD

THRESHOLD = "otsu"
DEFAULT_SIGMA = 1.0


def main() -> None:
    st.title("Analyze an ECG image")
    st.caption("Upload an ECG (an image or a PDF) or pick a built-in sample. Uploads stay in memory and are never "
               "stored.")
    left, right = st.columns([3, 2])
    with left:
        name, data = state.image_input("analyze")
        page = state.page_input("analyze", data)
    with right:
        task = st.radio("What the image shows", list(state.TASK_CHOICES), format_func=state.TASK_CHOICES.get,
                        horizontal=True, key="analyze_task")
        reset = state.settings_follow_image("analyze", f"{name}|{page}|{task}", {"analyze_sigma": DEFAULT_SIGMA,
                                                                                  "analyze_anyway": False})
        sigma = st.slider("Gaussian smoothing sigma (pixels)", 0.0, 4.0, DEFAULT_SIGMA, 0.25, key="analyze_sigma")
        if "analyze_sigma" in reset:
            st.caption(f"Sigma was reset to {DEFAULT_SIGMA:g} for this image: the last one was set for another.")
        lead_order = STANDARD_ORDER if task == BEAT else widgets.lead_order_input("analyze_lead_order")
    if data is None:
        state.warm_models()  # while the user picks a file, so that the first analysis does not wait for them
        return
    analysis = state.analyze_bytes(data, task, sigma, THRESHOLD, page=page, lead_order=lead_order)
    result = analysis.pipeline
    widgets.show_task(result, task)
    if analysis.refused:
        clinical.gate_refusal(analysis)
        widgets.show_warnings(result)
        if st.checkbox("Analyze anyway", key="analyze_anyway",
                       help="Run the models although the image does not look like an ECG; the results are marked."):
            analysis = state.analyze_bytes(data, task, sigma, THRESHOLD, anyway=True, page=page,
                                           lead_order=lead_order)
    if analysis.forced:
        clinical.forced_banner(analysis)
    if not analysis.refused:
        clinical.show_verdict(analysis)
        clinical.show_domain_shift_lesson(analysis, state.sample_of(name))
        show_results(data, analysis, sigma, page)
    st.header("How the image was read")
    pictures = widgets.page_pictures(result, "analyze")
    # The technical details come after the clinical results, folded; open when the gate refused the image,
    # since the stages are then the only thing to look at.
    with st.expander("The page, its lead boxes and the grayscale image", expanded=analysis.refused):
        widgets.show_page_overview(pictures)
    with st.expander("Each lead: raw, smoothed, binary", expanded=analysis.refused):
        widgets.show_lead_stages(result)
    with st.expander("Threshold: one lead's intensities"):
        show_threshold(result)
    st.header("Downloads")
    widgets.show_downloads(name, analysis, sigma, THRESHOLD, pictures)
    st.caption(clinical.NOT_A_DEVICE)


def show_results(data: bytes, analysis, sigma: float, page: int) -> None:
    """What the models and the measurements say, clinical results first."""
    if analysis.task == TWELVE_LEAD:
        st.header("Measurements of the trace")
        clinical.show_measurements(analysis)
    st.header("What the models think")
    widgets.show_model_errors(analysis)
    widgets.show_probabilities(analysis)
    widgets.show_lead_contributions(analysis)
    if analysis.networks:
        st.header("Grad-CAM: which parts of a lead drove the networks")
        show_gradcam(data, analysis, sigma, page)
    if analysis.task == TWELVE_LEAD:
        st.header("Digitized trace")
        widgets.show_digitized(analysis)
        clinical.show_lead_quality(analysis)


# Fragments: choosing a lead redraws only its own section, not the page's charts (1.4 s in the browser). A
# fragment reruns on its own, outside the page's run_page, so each keeps its own.
@st.fragment
def show_gradcam(data: bytes, analysis, sigma: float, page: int) -> None:
    widgets.run_page(lambda: gradcam_section(data, analysis, sigma, page))


def gradcam_section(data: bytes, analysis, sigma: float, page: int) -> None:
    """The networks' Grad-CAM over one lead, chosen here."""
    names = analysis.pipeline.lead_names
    cam_lead = st.selectbox("Lead for Grad-CAM", names, index=names.index("II") if "II" in names else 0,
                            key="analyze_cam_lead")
    widgets.show_gradcam(data, analysis, cam_lead, sigma, THRESHOLD, page)
    st.caption("Warm colours mark the parts of the trace that raised the probability of each network's "
               "predicted class (Grad-CAM, Selvaraju et al. 2017).")


@st.fragment
def show_threshold(result) -> None:
    widgets.run_page(lambda: threshold_section(result))


def threshold_section(result) -> None:
    """One lead's intensity histogram and threshold, the lead chosen here."""
    lead = st.selectbox("Lead", result.lead_names, key="analyze_hist_lead")
    widgets.show_histogram(result.lead(lead))


widgets.run_page(main)
