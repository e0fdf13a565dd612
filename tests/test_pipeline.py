"""run_pipeline as a whole: every stage kept, parameters honoured, beats, auto task, odd input."""

import numpy as np
import pytest

from ecg_pipeline import BEAT, TASK_SPECS, TWELVE_LEAD, run_pipeline
from ecg_pipeline.errors import InvalidImageError, LayoutError

from .conftest import sample_path


def test_every_stage_is_in_the_result(normal_page):
    result = run_pipeline(normal_page)
    assert result.task == TWELVE_LEAD
    assert result.original.shape == normal_page.shape
    assert result.grayscale.ndim == 2 and result.grayscale.shape == normal_page.shape[:2]
    for lead in result.leads:
        top, bottom, left, right = lead.box
        assert lead.raw.shape == (bottom - top, right - left)
        assert lead.smoothed.shape == lead.raw.shape and lead.binary.dtype == bool
        assert 0 < lead.threshold < 255
        counts, centres = lead.histogram
        assert counts.sum() == lead.raw.size and len(centres) == 256
        assert lead.model_input.shape == TASK_SPECS[TWELVE_LEAD].input_shape
        assert 0.002 < lead.ink_fraction < 0.2  # a thin trace, not noise
    assert result.model_inputs.shape == (13, *TASK_SPECS[TWELVE_LEAD].input_shape)


def test_sigma_changes_smoothing_and_manual_threshold_is_used(normal_page):
    sharp = run_pipeline(normal_page, sigma=0.0)
    soft = run_pipeline(normal_page, sigma=3.0)
    assert soft.leads[0].smoothed.std() < sharp.leads[0].smoothed.std()
    manual = run_pipeline(normal_page, threshold=60)
    assert manual.threshold_method == "manual" and all(lead.threshold == 60 for lead in manual.leads)
    assert manual.leads[0].binary.sum() < sharp.leads[0].binary.sum()


def test_beat_image_is_one_lead(sample_manifest):
    result = run_pipeline(sample_path(sample_manifest, BEAT), task=BEAT)
    assert result.task == BEAT and result.lead_names == ["beat"]
    assert result.leads[0].box == (0, 128, 0, 192)
    assert result.model_inputs.shape == (1, *TASK_SPECS[BEAT].input_shape)


def test_auto_task_tells_pages_from_beats(sample_manifest):
    assert run_pipeline(sample_path(sample_manifest, BEAT), task="auto").task == BEAT
    assert run_pipeline(sample_path(sample_manifest, TWELVE_LEAD), task="auto").task == TWELVE_LEAD


def test_small_image_as_twelve_lead_is_a_layout_error(sample_manifest):
    with pytest.raises(LayoutError, match="too small to split into 12 leads"):
        run_pipeline(sample_path(sample_manifest, BEAT), task=TWELVE_LEAD)


def test_blank_and_noise_pages_get_warnings():
    blank = np.full((900, 1300, 3), 255, np.uint8)
    assert any("blank" in w for w in run_pipeline(blank).warnings)
    noise = np.random.default_rng(0).integers(0, 256, (900, 1300, 3)).astype(np.uint8)
    assert any("does not look like" in w for w in run_pipeline(noise).warnings)


def test_not_an_image_is_a_typed_error():
    with pytest.raises(InvalidImageError):
        run_pipeline(b"GIF89a but not really")


def test_unknown_task_and_bad_sigma_are_refused(normal_page):
    with pytest.raises(ValueError, match="Unknown task"):
        run_pipeline(normal_page, task="holter")
    with pytest.raises(ValueError, match="sigma"):
        run_pipeline(normal_page, sigma=-1)


def test_lead_montage_places_every_lead_as_printed(normal_page):
    from ecg_pipeline.preprocess.render import PREVIEW_WIDTH, lead_montage, preview

    result = run_pipeline(normal_page)
    montage = lead_montage(result, "binary")
    assert montage.dtype == np.uint8 and montage.shape[1] == PREVIEW_WIDTH
    # four printed rows (3 x 4 leads, then the rhythm strip), separated by grey gaps
    gap_rows = np.flatnonzero((montage == 200).all(axis=1))
    assert len(np.split(gap_rows, np.flatnonzero(np.diff(gap_rows) > 1) + 1)) == 3
    # every cell of the first row carries ink of its lead's trace
    first_band = montage[30:gap_rows[0]]
    cell = PREVIEW_WIDTH // 4
    assert all((first_band[:, i * cell + 10:(i + 1) * cell - 10] < 128).mean() > 0.002 for i in range(4))
    assert not np.array_equal(montage, lead_montage(result, "raw"))
    with pytest.raises(ValueError, match="unknown view"):
        lead_montage(result, "sideways")
    assert preview(result.original).shape[1] == min(PREVIEW_WIDTH, result.original.shape[1])


def test_a_grid_printed_dark_is_not_taken_for_the_trace():
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.distortions import line_thickness
    from ecg_pipeline.preprocess.stages import MAX_TRACE_INK_FRACTION, otsu_threshold

    from .conftest import SHARED_DATA

    path = SHARED_DATA / "ecg-images" / "normal" / "Normal(1).jpg"
    if not path.exists():
        pytest.skip("the shared printouts are not beside the project")
    clean = load_image(path)
    thick = run_pipeline(line_thickness(clean, 2))
    lead = thick.lead("II")
    assert (lead.smoothed < otsu_threshold(lead.smoothed)).mean() > MAX_TRACE_INK_FRACTION  # plain Otsu takes the grid
    clean_ink = np.median([lead.ink_fraction for lead in run_pipeline(clean).leads])
    thick_ink = np.median([lead.ink_fraction for lead in thick.leads])
    assert clean_ink < thick_ink < 2 * clean_ink


@pytest.mark.parametrize("kind", ["blur", "line_thickness"])
def test_strokes_widened_by_blur_or_a_thick_pen_are_thinned_back(kind):
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.distortions import distort
    from ecg_pipeline.preprocess.pipeline import page_stroke_width
    from ecg_pipeline.preprocess.stages import MAX_STROKE_WIDTH, TYPICAL_STROKE_WIDTH, trace_threshold

    from .conftest import SHARED_DATA

    path = SHARED_DATA / "ecg-images" / "normal" / "Normal(1).jpg"
    if not path.exists():
        pytest.skip("the shared printouts are not beside the project")
    clean = load_image(path)
    untouched = run_pipeline(clean)
    assert not untouched.strokes_thinned and untouched.stroke_width < MAX_STROKE_WIDTH
    assert all(lead.threshold == trace_threshold(lead.histogram) for lead in untouched.leads)

    widened = run_pipeline(distort(clean, kind, "moderate"))
    assert widened.strokes_thinned and widened.stroke_width > MAX_STROKE_WIDTH
    assert abs(page_stroke_width(widened.leads) - TYPICAL_STROKE_WIDTH) < 0.1
    assert all(lead.threshold < trace_threshold(lead.histogram) for lead in widened.leads)
    # A manual threshold is the user's choice and stays as given.
    manual = run_pipeline(distort(clean, kind, "moderate"), threshold=200.0)
    assert not manual.strokes_thinned and {lead.threshold for lead in manual.leads} == {200.0}


def test_a_low_resolution_scan_is_smoothed_at_the_models_scale():
    from ecg_pipeline.constants import REFERENCE_PX_PER_MM
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.distortions import rescale, uneven_lighting

    from .conftest import SHARED_DATA

    path = SHARED_DATA / "ecg-images" / "normal" / "Normal(1).jpg"
    if not path.exists():
        pytest.skip("the shared printouts are not beside the project")
    clean = run_pipeline(load_image(path), sigma=1.0)
    assert clean.px_per_mm == pytest.approx(REFERENCE_PX_PER_MM, rel=0.005)
    assert clean.page_sigma == 1.0

    coarse = run_pipeline(rescale(load_image(path), 0.6), sigma=1.0)
    assert coarse.px_per_mm == pytest.approx(0.6 * REFERENCE_PX_PER_MM, rel=0.02)
    assert coarse.page_sigma == pytest.approx(0.6, rel=0.02)
    # The same millimetres of blur leave the strokes as wide as on the original: nothing to thin.
    assert not coarse.strokes_thinned
    assert abs(coarse.stroke_width - clean.stroke_width) < 0.15
    # A strong shadow once put the separator bars out of place (8.5 px/mm here); with the shading flattened
    # the bars, and so the scale, are found as on the clean page.
    shadowed = run_pipeline(uneven_lighting(load_image(path), 0.5, np.random.default_rng(4)), sigma=1.0)
    assert shadowed.px_per_mm == pytest.approx(clean.px_per_mm, rel=0.005)
    assert shadowed.page_sigma == 1.0


def test_a_page_photographed_off_axis_is_rectified_from_its_grid_corners():
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.distortions import perspective, uneven_lighting
    from ecg_pipeline.preprocess.layout import MAX_KEYSTONE, MAX_RECTIFIABLE_KEYSTONE, grid_corners, keystone

    from .conftest import SHARED_DATA

    path = SHARED_DATA / "ecg-images" / "history_of_mi" / "PMI(31).jpg"
    if not path.exists():
        pytest.skip("the shared printouts are not beside the project")
    clean = load_image(path)
    assert keystone(grid_corners(clean)) < MAX_KEYSTONE
    assert not run_pipeline(clean).perspective_corrected

    skewed = perspective(clean, 0.05, np.random.default_rng(0))
    assert keystone(grid_corners(skewed)) > 5 * MAX_KEYSTONE
    result = run_pipeline(skewed)
    assert result.perspective_corrected and result.warnings == [] and result.layout_confidence == 1.0
    assert keystone(grid_corners(result.deskewed)) < MAX_KEYSTONE
    # A grid partly lost in a deep shadow has no trustworthy corners: the page is left as it is.
    shadowed = uneven_lighting(clean, 0.5, np.random.default_rng(7))
    assert keystone(grid_corners(shadowed)) > MAX_RECTIFIABLE_KEYSTONE
    assert not run_pipeline(shadowed).perspective_corrected
