"""Layouts other than the shared printouts': found and named on synthetic pages at several scales and small
rotations, on a real sample printout cut or extended to another number of rhythm strips, and refused clearly when
the rows of traces fit no known layout."""

import cv2
import numpy as np
import pytest

from ecg_pipeline.constants import LEAD_GRIDS, LEAD_SECONDS, RHYTHM_LEADS, STANDARD_LAYOUT, layout_name
from ecg_pipeline.io.loading import load_image
from ecg_pipeline.preprocess.distortions import rotate
from ecg_pipeline.preprocess.layout import detect_layout
from ecg_pipeline.preprocess.layouts import (
    UNRECOGNISED,
    UnknownLayoutError,
    network_binary,
    require_known_layout,
)
from ecg_pipeline.preprocess.pipeline import level_page, run_pipeline
from ecg_pipeline.preprocess.stages import model_input
from ecg_pipeline.synth import render_twelve_lead_page
from ecg_pipeline.synth.page import PagePlan

from .conftest import SAMPLES

LAYOUTS = [("3x4", ()), ("3x4", ("II",)), ("3x4", ("II", "V1")), ("3x4", ("II", "V1", "V5")), ("6x2", ()),
           ("6x2", ("II",)), ("6x2", ("II", "V1", "V5")), ("12x1", ()), ("12x1", ("II",)), ("12x1", ("II", "V1"))]
VIEWS = [(0.6, 0.0), (1.0, 0.0), (1.4, 0.0), (1.0, 2.0), (1.0, -2.0)]


def layout_of(image: np.ndarray):
    page = level_page(image)
    return detect_layout(page.gray, page.image)


def truth_centres(grid: str, strips: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Where each lead's trace is on the reference page: (baseline y, middle x of its printed time)."""
    plan = PagePlan(grid, strips)
    left, right = 152.0, 2117.0
    centres = {}
    for baseline, (names, _) in zip(plan.baselines(), plan.rows(), strict=True):
        width = (right - left) / len(names)
        for c, name in enumerate(names):
            centres[name] = (baseline, left + (c + 0.5) * width)
    return centres


@pytest.mark.parametrize("grid,strips", LAYOUTS, ids=[layout_name(g, len(s)) for g, s in LAYOUTS])
def test_each_layout_is_found_and_named_at_any_scale_and_small_rotation(grid, strips):
    page = render_twelve_lead_page("history_of_mi", seed=4, grid=grid, rhythm_strips=strips)
    truth = truth_centres(grid, strips)
    pitch = PagePlan(grid, strips).pitch()
    for scale, degrees in VIEWS:
        image = page if scale == 1.0 else cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        image = rotate(image, degrees) if degrees else image
        layout = layout_of(image)
        view = (scale, degrees)
        assert layout.name == layout_name(grid, len(strips)), view
        assert layout.confidence >= 0.9 and not layout.warnings, (view, layout.warnings)
        assert set(layout.boxes) == set(truth), view
        assert layout.lead_seconds == LEAD_GRIDS[grid].lead_seconds
        # 2.5 s of trace is 491 px on the reference page, whatever the layout: the page's scale is right.
        assert layout.column_width / scale == pytest.approx(491.25, rel=0.01), view
        for name, (y, x) in truth.items():
            top, bottom, left, right = layout.boxes[name]
            assert top / scale < y < bottom / scale and bottom - top < 1.05 * pitch * scale, (view, name)
            assert abs((left + right) / 2 / scale - x) < 0.01 * page.shape[1], (view, name)


@pytest.fixture(scope="module")
def real_page() -> np.ndarray:
    return load_image(SAMPLES / "real_twelve_lead_normal_1.jpg")


#: The real printouts' rhythm strip band (one row pitch above the grid's bottom border, at y = 1517).
STRIP_BAND = (1217, 1515)


def test_a_real_printout_without_its_rhythm_strip_is_split_into_its_twelve_leads(real_page):
    standard = layout_of(real_page)
    assert standard.name == STANDARD_LAYOUT
    cut = np.vstack([real_page[:STRIP_BAND[0]], real_page[STRIP_BAND[1]:]])
    layout = layout_of(cut)
    assert layout.name == layout_name("3x4", 0) and layout.confidence == 1.0
    assert set(layout.boxes) == set(standard.boxes) - {RHYTHM_LEADS[0]}
    for name, box in layout.boxes.items():  # the 12 leads did not move
        assert np.abs(np.subtract(box, standard.boxes[name])).max() <= 6, name
    result = run_pipeline(cut)
    assert len(result.leads) == 12 and RHYTHM_LEADS[0] not in result.lead_names and not result.warnings


def test_a_real_printout_with_a_second_rhythm_strip_pasted_in_gets_both(real_page):
    standard = layout_of(real_page)
    strip = real_page[STRIP_BAND[0]:STRIP_BAND[1]]
    extended = np.vstack([real_page[:STRIP_BAND[1]], strip, real_page[STRIP_BAND[1]:]])
    layout = layout_of(extended)
    assert layout.name == layout_name("3x4", 2)
    for name, box in standard.boxes.items():
        assert np.abs(np.subtract(layout.boxes[name], box)).max() <= 6, name
    shifted = np.add(standard.boxes[RHYTHM_LEADS[0]], (len(strip), len(strip), 0, 0))
    assert np.abs(np.subtract(layout.boxes[RHYTHM_LEADS[1]], shifted)).max() <= 6


def random_two_column_page(seed: int = 0) -> np.ndarray:
    """A page with a pink grid border and 5 rows x 2 columns of random traces, a bar between the columns."""
    rng = np.random.default_rng(seed)
    page = np.full((1572, 2213, 3), 255, np.uint8)
    cv2.rectangle(page, (68, 283), (2176, 1517), (240, 150, 150), 3)
    for row in range(5):
        baseline = 420 + row * 250
        for column in range(2):
            xs = np.arange(160 + column * 990, 1130 + column * 990)
            ys = baseline + rng.normal(0, 6, len(xs)) + 40 * (rng.random(len(xs)) < 0.01)  # noise, random spikes
            points = np.stack([xs, ys], axis=1).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(page, [points], False, (0, 0, 0), 3)
    cv2.line(page, (1140, 300), (1140, 1500), (0, 0, 0), 4)
    return page


def test_an_unknown_layout_gets_a_clear_message_not_a_split():
    page = random_two_column_page()
    layout = layout_of(page)
    assert layout.name == UNRECOGNISED and not layout.recognised and layout.confidence < 0.5
    assert "5 rows in 2 columns" in layout.warnings[0] and "not a layout this tool knows" in layout.warnings[0]
    with pytest.raises(UnknownLayoutError, match="layout is not recognised"):
        require_known_layout(layout)
    result = run_pipeline(page)
    assert result.warnings[0].startswith("This page's layout is not recognised: the traces form 5 rows")


def test_long_leads_reach_the_networks_as_their_first_2_5_s_at_the_standard_shape():
    page = render_twelve_lead_page("normal", seed=1, grid="12x1", rhythm_strips=())
    result = run_pipeline(page)
    lead = result.lead("II")
    assert result.layout.lead_seconds == 10.0 and len(result.leads) == 12
    view = network_binary(lead.binary, result.layout.column_width, strip=False)
    standard = run_pipeline(render_twelve_lead_page("normal", seed=1)).lead("II")
    assert abs(view.shape[1] - standard.binary.shape[1]) <= 3 and abs(view.shape[0] - standard.binary.shape[0]) <= 3
    # The 10 s lead's model input holds only its first 2.5 s: the same beats as the standard page's lead II.
    assert np.array_equal(lead.model_input, model_input(view, lead.model_input.shape))
    assert view.shape[1] == pytest.approx(0.94 * result.layout.column_width, abs=1)
    assert LEAD_SECONDS * 4 == result.layout.lead_seconds


def test_without_a_rhythm_strip_the_networks_average_their_leads_and_say_so():
    from ecg_pipeline.models.aggregation import WEIGHTED_AGGREGATION_METHOD, LeadWeighting
    from ecg_pipeline.models.inference import LoadedModel

    model = object.__new__(LoadedModel)  # the combination only, without a network
    rng = np.random.default_rng(0)
    model.weighting = LeadWeighting(coef=rng.normal(size=(4, 13 * 4)), intercept=np.zeros(4))
    model._n_leads, model.aggregation = 13, WEIGHTED_AGGREGATION_METHOD
    probs = rng.dirichlet(np.ones(4), 13)
    assert np.allclose(model.aggregate(probs), model.weighting.probabilities(probs))
    assert np.allclose(model.aggregate(probs[:12]), probs[:12].mean(axis=0))
    assert "12 of the 13 leads" in model.aggregation_for(12) and model.aggregation_for(13) == model.aggregation


def test_the_measurements_need_a_rhythm_strip_or_long_leads():
    from ecg_pipeline.measure import measure_page
    from ecg_pipeline.measure.page import NO_RHYTHM_STRIP

    short = measure_page(run_pipeline(render_twelve_lead_page("normal", seed=2, heart_rate=72, rhythm_strips=())))
    assert not short.measurable and short.missing["page"] == NO_RHYTHM_STRIP
    for grid in ("6x2", "12x1"):  # lead II's 5 s or 10 s give the beats
        long = measure_page(run_pipeline(render_twelve_lead_page("normal", seed=2, heart_rate=72, grid=grid,
                                                                 rhythm_strips=())))
        assert long.measurable and abs(long.page["heart_rate_bpm"] - 72) < 3, grid


def test_a_page_printed_without_a_rhythm_strip_passes_the_gate_on_its_layout_and_traces(real_page):
    from ecg_pipeline.gate import check_evidence
    from ecg_pipeline.measure import measure_page

    result = run_pipeline(np.vstack([real_page[:STRIP_BAND[0]], real_page[STRIP_BAND[1]:]]))
    gate = check_evidence(result, measure_page(result))
    rhythm = next(check for check in gate.checks if check.name == "rhythm")
    assert gate.passed and rhythm.detail == "the page prints no rhythm strip, so its beats were not checked"
