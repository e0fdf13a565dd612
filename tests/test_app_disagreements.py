"""The Model comparison page's disagreement explorer over the user's own images: a zip of class folders built from
the shipped samples (one image filed under the wrong class), a file that is no image, and the click-through to the
full Analyze view of a listed image. Runs the app through its navigation (app.py), with the trained models in
models/."""

from __future__ import annotations

import doctest
import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import disagreements

from .conftest import SAMPLES
from .test_app import ROOT, metric, texts

#: Filed under the wrong class: the trained beat models call this real beat Left bundle branch block.
MISFILED = "real_beat_left_bundle_branch_block_1.png"
MISFILED_MEMBER = f"scans.zip/normal/{MISFILED}"
#: Filed under their own class, where every trained beat model agrees with the folder.
WELL_FILED = {"normal": ["real_beat_normal_1.png", "real_beat_normal_2.png"],
              "left_bundle_branch_block": ["real_beat_left_bundle_branch_block_2.png"]}


def _trained_models_present() -> bool:
    from ecg_pipeline.constants import TASK_SPECS
    from ecg_pipeline.io.cards import file_matches_card

    return all(file_matches_card(task, kind) for task, spec in TASK_SPECS.items() for kind in spec.model_kinds)


def class_folders_zip() -> bytes:
    """Real beats in their class folders, one of them in the Normal folder by mistake, and a text file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, files in WELL_FILED.items():
            for file in files:
                archive.writestr(f"{folder}/{file}", (SAMPLES / file).read_bytes())
        archive.writestr(f"normal/{MISFILED}", (SAMPLES / MISFILED).read_bytes())
        archive.writestr("notes.txt", b"scanned on the ward printer")
    return buffer.getvalue()


@pytest.fixture
def shipped_models(monkeypatch):
    if not _trained_models_present():
        pytest.skip("needs every trained model in models/")
    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)


@pytest.fixture
def comparison_app(shipped_models, monkeypatch) -> AppTest:
    """The app, through its navigation, on Model comparison with the explorer set to uploads."""
    from streamlit.runtime.scriptrunner import script_runner

    # put back whatever app.py replaces, when the test ends
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/comparison.py").run()
    at.radio(key="disagreements_source").set_value("upload").run()
    return at


@pytest.fixture
def explored(comparison_app, progress_lines):
    """The zip and a damaged PNG uploaded and scored; with every line the progress bar showed."""
    shown = progress_lines
    at = comparison_app
    at.file_uploader(key="disagreements_files").set_value([("scans.zip", class_folders_zip(), "application/zip"),
                                                          ("damaged.png", b"not a picture", "image/png")]).run()
    at.button(key="disagreements_run").click().run()
    assert not at.exception and not at.error
    return at, shown


def frame_with(at: AppTest, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_the_examples_in_the_docstrings():
    assert doctest.testmod(disagreements).failed == 0


def test_a_file_in_the_wrong_class_folder_is_listed_with_its_label_and_what_the_models_say(explored):
    at, shown = explored
    listed = frame_with(at, "why it is listed")
    # the well-filed beats, on which the models agree with their folder, are not listed
    assert list(listed["image"]) == [MISFILED_MEMBER]
    row = listed.iloc[0]
    assert row["why it is listed"] == "labelled Normal beat, the CNN and the CRNN say Left bundle branch block"
    assert row["label"] == "Normal beat"
    assert row["CNN"] == row["CRNN"] == "Left bundle branch block"
    assert row["CNN p"] > 0.5 and row["CRNN p"] > 0.5  # each model's probability of its class
    assert metric(at, "Images scored") == str(len(sum(WELL_FILED.values(), [])) + 3)
    assert metric(at, "With a label") == "4"
    # the card: a thumbnail shrunk in memory (not the full image), the reason and each model's class
    assert at.get("image"), "the listed image has no thumbnail"
    assert "Labelled Normal beat, the CNN and the CRNN say Left bundle branch block." in texts(at.caption)
    assert "CNN: Left bundle branch block" in texts(at.markdown)
    assert at.button(key="disagreements_open_0").label == "Open in Analyze"
    # the progress bar names each file it scores
    for name in (MISFILED_MEMBER, "scans.zip/notes.txt", "damaged.png"):
        assert any(line and line.endswith(f": {name}") for line in shown), name


def test_the_thumbnail_is_shrunk_in_memory():
    data = (SAMPLES / "real_twelve_lead_normal_1.jpg").read_bytes()
    picture = disagreements.thumbnail_bytes(data, width=120)
    assert picture.shape[1] == 120 and picture.shape[2] == 3
    assert disagreements.thumbnail_bytes(b"not a picture") is None


def test_files_that_cannot_be_compared_are_listed_with_a_sentence(explored):
    at, _ = explored
    errors = frame_with(at, "error").set_index("name")["error"]
    assert errors["scans.zip/notes.txt"].startswith("Not an image file")
    assert "damaged.png" in errors.index
    assert all(message.endswith(".") and "Traceback" not in message for message in errors)
    assert metric(at, "Errors") == "2"
    assert any(expander.label == "2 images could not be compared" for expander in at.expander)


def test_open_in_analyze_shows_the_listed_image_there_until_cleared(explored):
    at, _ = explored
    at.button(key="disagreements_open_0").click().run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Analyze an ECG image"
    assert f"From the model comparison: {MISFILED_MEMBER}" in texts(at.caption)
    # the analysis is of the handed-off beat (the default sample is a 12-lead Normal page)
    assert metric(at, "Verdict") == "Left bundle branch block"
    # AppTest reruns the page it was last told to switch to (a browser follows st.switch_page's new address)
    at.switch_page("pages/analyze.py")
    at.slider(key="analyze_sigma").set_value(1.5).run()  # a setting changed: still the handed-off image
    assert f"From the model comparison: {MISFILED_MEMBER}" in texts(at.caption)
    assert metric(at, "Verdict") == "Left bundle branch block"
    at.button(key="analyze_handoff_clear").click().run()
    assert not at.exception
    assert "From the model comparison" not in texts(at.caption)
    assert at.radio(key="analyze_source").value == "sample"


def test_a_listed_pdf_page_opens_in_analyze_at_that_page(comparison_app):
    from PIL import Image

    from ecg_pipeline.constants import REFERENCE_PX_PER_MM

    at = comparison_app
    # a page the models agree on, then a synthetic one on which the networks and the measurement model part ways
    files = ("real_twelve_lead_normal_1.jpg", "twelve_lead_normal_1.jpg")
    pages = [Image.open(SAMPLES / f).convert("RGB") for f in files]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=REFERENCE_PX_PER_MM * 25.4)
    at.file_uploader(key="disagreements_files").set_value([("two.pdf", buffer.getvalue(), "application/pdf")]).run()
    at.button(key="disagreements_run").click().run()
    listed = frame_with(at, "why it is listed")
    assert list(listed["image"]) == ["two.pdf#page=2"]
    assert listed.iloc[0]["why it is listed"].startswith("the models disagree: ")
    at.button(key="disagreements_open_0").click().run()
    assert not at.exception and not at.error
    assert "From the model comparison: two.pdf" in texts(at.caption)
    assert at.selectbox(key="analyze_pdf_page").value == 2


def test_a_printouts_thumbnail_has_its_patient_fields_blanked():
    import io

    from PIL import Image

    from ecg_pipeline.preprocess.layout import grid_area
    from ecg_pipeline.synth import render_twelve_lead_page

    page = render_twelve_lead_page("normal", seed=3)  # its header carries an ID, age, sex and date
    top = grid_area(page)[0]
    assert (page[: top - 3] < 200).any()
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, "PNG")
    picture = disagreements.thumbnail_bytes(buffer.getvalue(), width=page.shape[1])
    assert picture.shape == page.shape and (picture[: top - 3] == 255).all()
