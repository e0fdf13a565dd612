"""De-identified exports: the page pictures, the stage images' ZIP, the CLI's stages and the Analyze page blank the
header and the footer's date unless the user keeps them; the analysis itself is unchanged."""

from __future__ import annotations

import io
import math
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from ecg_pipeline import run_pipeline
from ecg_pipeline.io.loading import load_image
from ecg_pipeline.io.privacy import BORDER_MARGIN_PX, deidentify
from ecg_pipeline.preprocess.distortions import perspective, rotate

from .conftest import SHARED_DATA
from .test_app import page, texts
from .test_app_trust import png, upload
from .test_cli import run_cli

#: A real printout whose header holds an ID, a sex and a date (the built-in samples' fields are blanked already).
PRINTOUT = SHARED_DATA / "ecg-images" / "history_of_mi" / "PMI(9).jpg"


@pytest.fixture(scope="module")
def printout() -> np.ndarray:
    if not PRINTOUT.exists():
        pytest.skip("the shared printouts are not beside the project")
    return load_image(PRINTOUT)


def header_band(result, image: np.ndarray) -> np.ndarray:
    """The rows of ``image`` surely above the grid, on the page as loaded: the grid's top on the levelled page,
    less how far a turn of the page can lift the grid's corners, less a little paper."""
    lift = math.ceil(image.shape[1] / 2 * abs(math.tan(math.radians(result.rotation_degrees))))
    return image[:max(0, result.layout.grid_box[0] - lift - 2 * BORDER_MARGIN_PX)]


def footer_date(result, image: np.ndarray) -> np.ndarray:
    """The right half of the footer, below the grid, on a level page."""
    return image[result.layout.grid_box[1] + 2 * BORDER_MARGIN_PX:, image.shape[1] // 2:]


def zipped(result) -> dict[str, np.ndarray]:
    from dashboard.tables import stages_zip

    archive = zipfile.ZipFile(io.BytesIO(stages_zip(result)))
    return {name: np.asarray(Image.open(io.BytesIO(archive.read(name)))) for name in archive.namelist()}


def above_the_grid(result, image: np.ndarray) -> np.ndarray:
    """The darkest pixel of each column above the grid's top edge on the page as loaded: the edge found on the
    levelled page and turned back by the rotation the pipeline undid, less a little paper."""
    height, width = image.shape[:2]
    turn = cv2.invertAffineTransform(cv2.getRotationMatrix2D((width / 2, height / 2), -result.rotation_degrees, 1.0))
    top, _, left, right = result.layout.grid_box
    (x0, y0), (x1, y1) = (turn @ np.array([x, top, 1.0]) for x in (left, right))
    columns = np.arange(int(x0) + 5, int(x1) - 5)
    edge = y0 + (columns - x0) * (y1 - y0) / (x1 - x0)
    return np.array([image[:int(y) - 2 * BORDER_MARGIN_PX, x].min() for x, y in zip(columns, edge, strict=True)])


@pytest.mark.parametrize("degrees", [0.0, 2.0, -2.0])
def test_the_default_export_keeps_no_header_or_date_pixel(printout, degrees):
    result = run_pipeline(rotate(printout, degrees) if degrees else printout)
    assert (abs(result.rotation_degrees) > 1) == bool(degrees)
    kept, blanked = zipped(result), zipped(deidentify(result))
    # A turned page is blanked along its tilted grid, not along the levelled page's rows: at -2 degrees the
    # header's last line dips below the grid's top row on one side.
    assert above_the_grid(result, kept["01_original.png"]).min() < 80
    assert above_the_grid(result, blanked["01_original.png"]).min() == 255
    for name in ("03_grayscale", "04_lead_boxes"):
        assert header_band(result, kept[f"{name}.png"]).min() < 80  # the header's text is there to blank
        assert header_band(result, blanked[f"{name}.png"]).min() == 255, name
    assert footer_date(result, kept["03_grayscale.png"]).min() < 80
    assert footer_date(result, blanked["03_grayscale.png"]).min() == 255
    # The leads, and so the models' inputs, are the same: only the pictures of the page change.
    assert np.array_equal(deidentify(result).model_inputs, result.model_inputs)
    lead = next(n for n in kept if n.endswith("_a_raw.png"))
    assert np.array_equal(kept[lead], blanked[lead])


def test_a_photographed_page_is_blanked_where_its_header_really_is(printout):
    result = run_pipeline(perspective(printout, 0.05, np.random.default_rng(0)))
    assert result.keystone_corners is not None
    top_of_grid = int(result.keystone_corners[:, 1].min())  # where the grid starts on the page as loaded
    original = deidentify(result).original
    assert result.original[:top_of_grid - 10].min() < 80
    assert original[:top_of_grid - 10].min() == 255
    # The trace under the header is kept: blanking stops at the grid.
    assert original[top_of_grid + 40:].min() < 80


def test_a_single_beat_has_no_patient_fields():
    beat = np.full((120, 200, 3), 255, np.uint8)
    beat[60, 20:180] = 0
    result = run_pipeline(beat, task="beat")
    assert deidentify(result) is result


def test_cli_stages_blank_the_header_unless_kept(tmp_path, printout):
    blanked, kept = tmp_path / "blanked", tmp_path / "kept"
    done = run_cli("stages", str(PRINTOUT), "--out", str(blanked))
    assert done.returncode == 0 and "patient fields blanked" in done.stdout, done.stderr
    assert run_cli("stages", str(PRINTOUT), "--out", str(kept), "--keep-patient-fields").returncode == 0
    result = run_pipeline(printout)
    original = {folder: np.asarray(Image.open(folder / "01_original.png")) for folder in (blanked, kept)}
    assert header_band(result, original[kept]).min() < 80
    assert header_band(result, original[blanked]).min() == 255


def test_analyze_says_which_applies_and_blanks_by_default(printout, monkeypatch):
    from dashboard import widgets

    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)
    shown = []
    overview = widgets.show_page_overview
    monkeypatch.setattr(widgets, "show_page_overview", lambda result: (shown.append(result), overview(result)))
    at = upload(page("analyze").run(), PRINTOUT.name, png(printout))
    assert not at.exception
    assert "are **blanked** in the page pictures and in every download" in texts(at.caption)
    assert header_band(shown[-1], shown[-1].original).min() == 255
    assert header_band(shown[-1], shown[-1].deskewed).min() == 255
    at.checkbox(key="analyze_patient_fields").check().run()
    assert "are **shown** in the page pictures and in the downloads" in texts(at.caption)
    assert header_band(shown[-1], shown[-1].original).min() < 80
