"""The Analyze page's order and reading aids: clinical results first and the technical stages folded after
them, heatmaps whose class names stay clear of their titles, and a line on how the leads were combined."""

from __future__ import annotations

import json

import pytest

from .conftest import ROOT
from .test_app import page, texts


@pytest.fixture
def analysed(monkeypatch):
    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)
    at = page("analyze").run()
    assert not at.exception
    return at


def test_clinical_results_come_before_the_folded_technical_stages(analysed):
    headers = [h.value for h in analysed.header]
    order = ["Measurements of the trace", "What the models think", "Grad-CAM", "Digitized trace",
             "How the image was read", "Downloads"]
    positions = [next(i for i, h in enumerate(headers) if h.startswith(name)) for name in order]
    assert positions == sorted(positions)
    folded = {e.label: e for e in analysed.expander}
    for label in ("The page, its lead boxes and the grayscale image", "Each lead: raw, smoothed, binary",
                  "Threshold: one lead's intensities"):
        assert label in folded and not folded[label].proto.expanded
    assert any(chart.proto.spec and "intensities and threshold" in chart.proto.spec
               for chart in folded["Threshold: one lead's intensities"].get("plotly_chart"))


def test_heatmap_class_names_sit_below_the_chart(analysed):
    heatmaps = [json.loads(c.proto.spec) for c in analysed.get("plotly_chart")
                if "probability per lead" in c.proto.spec]
    assert heatmaps
    for spec in heatmaps:
        assert spec["layout"]["xaxis"]["side"] == "bottom"  # on top they ran into the title


def test_the_heatmaps_say_how_leads_were_combined_and_which_lean_elsewhere(analysed):
    from dashboard import state, tables
    from ecg_pipeline.constants import TASK_SPECS

    note = next(c.value for c in analysed.caption if c.value.startswith("Each row is one lead read alone"))
    shown = analysed.selectbox(key="analyze_sample").value
    analysis = state.analyze_bytes((ROOT / "data" / "samples" / shown).read_bytes())
    assert analysis.aggregation in note
    names = TASK_SPECS[analysis.task].display_names
    dissent = {kind: tables.dissenting_leads(analysis, kind) for kind in analysis.networks}
    if not any(dissent.values()):
        assert "every lead leans to its network's page class" in note
    for leads_by_class in dissent.values():
        for class_id, leads in leads_by_class.items():
            assert f"{', '.join(leads)} lean" in note and names[class_id] in note
    assert "headline verdict follows its rule" in texts(analysed.caption) or not any(dissent.values())


def test_the_page_says_which_layout_it_found(analysed):
    assert "Layout found: 3 x 4 leads of 2.5 s and 1 rhythm strip (confidence 1.00)." in texts(analysed.caption)


@pytest.mark.parametrize("grid, strips", [("3x4", ()), ("12x1", ()), ("3x4", ("II", "V1", "V5"))])
def test_pages_of_other_layouts_are_analysed_and_named(monkeypatch, grid, strips):
    import io

    from PIL import Image

    from ecg_pipeline.constants import layout_name
    from ecg_pipeline.preprocess.layouts import layout_title
    from ecg_pipeline.synth import render_twelve_lead_page

    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)
    buffer = io.BytesIO()
    Image.fromarray(render_twelve_lead_page("normal", seed=1, grid=grid, rhythm_strips=strips)).save(buffer, "PNG")
    at = page("analyze")
    at.session_state[state_handoff_key()] = ("other_layout.png", buffer.getvalue())
    at.run()
    assert not at.exception and not at.error
    assert f"Layout found: {layout_title(layout_name(grid, len(strips)))}" in texts(at.caption)
    assert any(chart.proto.spec and "Digitized trace" in chart.proto.spec for chart in at.get("plotly_chart"))


def state_handoff_key() -> str:
    from dashboard.state import handoff_key

    return handoff_key("analyze")
