"""The pipeline explorer as a lesson: Back and Next with "stage k of n", a before/after pair when a setting
changes, headings that name the method used, and a sentence where sigma is rescaled to the page."""

from __future__ import annotations

import re

import pytest

from dashboard.explorer import STAGES

from .conftest import SAMPLES
from .test_app import empty_models, no_models, page, texts  # noqa: F401  (fixtures)


def stage_of(at) -> str:
    return at.select_slider(key="explorer_stage").value


def test_next_and_back_step_through_the_stages(no_models):  # noqa: F811
    at = page("explorer").run()
    assert stage_of(at) == STAGES[0] and f"Stage 1 of {len(STAGES)}" in texts(at.caption)
    assert at.button(key="explorer_back").disabled and not at.button(key="explorer_next").disabled
    at.button(key="explorer_next").click().run()
    at.button(key="explorer_next").click().run()
    assert not at.exception
    assert stage_of(at) == STAGES[2] and at.subheader[0].value == STAGES[2]
    assert f"Stage 3 of {len(STAGES)}" in texts(at.caption)
    at.button(key="explorer_back").click().run()
    assert stage_of(at) == STAGES[1]
    at.select_slider(key="explorer_stage").set_value(STAGES[-1]).run()
    assert at.button(key="explorer_next").disabled and not at.button(key="explorer_back").disabled


def test_the_threshold_heading_names_the_method_used(no_models):  # noqa: F811
    at = page("explorer").run()
    at.select_slider(key="explorer_stage").set_value("Otsu threshold").run()
    assert at.subheader[0].value == "Otsu threshold"
    at.radio(key="explorer_method").set_value("manual").run()
    at.slider(key="explorer_manual").set_value(90).run()
    assert not at.exception
    assert at.subheader[0].value == "Manual threshold"
    assert "every lead is cut at 90" in texts(at.markdown)


def image_captions(at) -> list[str]:
    """Every image caption on the page, inside columns too."""
    captions, nodes = [], [at.main]
    while nodes:
        node = nodes.pop()
        if getattr(node, "type", None) == "image":
            captions += [image.caption for image in node.proto.imgs]
        nodes += list(getattr(node, "children", {}).values())
    return captions


def ink_shares(at) -> dict[str, tuple[str, float]]:
    """The settings and the ink share in each caption of the before/after pair."""
    found = {}
    for caption in image_captions(at):
        match = re.match(r"(Before|Now) \(([^)]*)\): lead \w+, threshold \d+, ink ([\d.]+)%", caption)
        if match:
            found[match.group(1)] = (match.group(2), float(match.group(3)))
    return found


def test_a_sigma_change_shows_the_lead_before_and_after(no_models):  # noqa: F811
    at = page("explorer").run()
    assert "Before and after the last change" not in texts(at.subheader)
    at.slider(key="explorer_sigma").set_value(3.0).run()
    assert not at.exception
    assert "Before and after the last change" in texts(at.subheader)
    pair = ink_shares(at)
    assert pair["Before"][0] == "sigma 1, Otsu threshold" and pair["Now"][0] == "sigma 3, Otsu threshold"
    assert pair["Before"][1] != pair["Now"][1]
    at.select_slider(key="explorer_stage").set_value("Grayscale").run()  # moving on keeps the last change in view
    assert ink_shares(at)["Now"][0] == "sigma 3, Otsu threshold"


def test_a_rescaled_sigma_is_explained_in_the_smoothing_stage(no_models):  # noqa: F811
    import pandas as pd

    from ecg_pipeline import run_pipeline

    manifest = pd.read_csv(SAMPLES / "manifest.csv")
    files = [f for f in manifest[manifest.task == "twelve_lead"].file
             if (lambda r: r.page_sigma is not None and r.page_sigma != r.sigma)(run_pipeline(SAMPLES / f))]
    if not files:
        pytest.skip("every 12-lead sample is at the models' scale")
    at = page("explorer").run()
    at.selectbox(key="explorer_sample").select(files[0]).run()
    at.select_slider(key="explorer_stage").set_value("Gaussian smoothing").run()
    assert not at.exception
    assert re.search(r"Sigma 1 was applied as [\d.]+ pixels, the same blur in millimetres", texts(at.info))
