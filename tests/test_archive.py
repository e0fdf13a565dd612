"""Archive scoring on Ray (``predict --engine ray``): the same rows as in-process, error rows included."""

from __future__ import annotations

import shutil
import sys

import pandas as pd
import pytest

from ecg_pipeline.constants import MAX_FILE_BYTES

from .conftest import SAMPLES
from .test_cli import run_cli
from .test_pdf import two_pages


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Every built-in sample, a two-page PDF, and files that fail each in its own way."""
    folder = tmp_path_factory.mktemp("archive")
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in (".jpg", ".png"):
            shutil.copy(path, folder / path.name)
    (folder / "blank_pages.pdf").write_bytes(two_pages())
    page = (SAMPLES / "real_twelve_lead_normal_1.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(page[: len(page) // 3])
    (folder / "empty.png").write_bytes(b"")
    (folder / "a_letter.png").write_text("Dear colleague, the ECG is attached.")
    with open(folder / "huge.jpg", "wb") as huge:  # sparse: over the limit without writing 40 MB
        huge.truncate(MAX_FILE_BYTES + 1)
    return folder


@pytest.mark.slow
@pytest.mark.ray
def test_ray_scores_an_archive_with_the_same_rows_as_in_process(archive, tmp_path):
    pytest.importorskip("ray")
    local, ray = tmp_path / "local.csv", tmp_path / "ray.csv"
    again = str(archive / "real_beat_normal_1.png")  # asked for twice: once in its folder, once by name
    in_process = run_cli("predict", str(archive), again, "--out", str(local))
    on_ray = run_cli("predict", str(archive), again, "--engine", "ray", "--workers", "2", "--out", str(ray))
    assert on_ray.returncode == in_process.returncode == 1, on_ray.stderr  # the broken files are errors
    rows, expected = pd.read_csv(ray, dtype=str), pd.read_csv(local, dtype=str)
    pd.testing.assert_frame_equal(rows, expected)  # every value as written, to the 6 decimals of the table
    errors = rows.groupby("path")["error"].first().dropna()
    for name, message in [("truncated.jpg", "damaged or incomplete"), ("empty.png", "empty"),
                          ("a_letter.png", "not an image"), ("huge.jpg", "limit"),
                          ("blank_pages.pdf#page=1", "not an ECG")]:
        assert message in errors[str(archive / name)]
    assert rows.path.str.startswith(str(archive / "real_twelve_lead_")).sum() > 0
    assert (rows.path == again).sum() == 2 * 3  # both requests of the beat: CNN, CRNN and verdict rows each
    assert (rows.model == "measurements").any() and rows.predicted_class.notna().sum() > 40


def test_parquet_holds_the_rows_of_the_csv(tmp_path):
    files = [str(SAMPLES / "real_beat_normal_1.png"), str(tmp_path / "missing.png")]
    csv_run = run_cli("predict", *files, "--out", str(tmp_path / "rows.csv"))
    parquet_run = run_cli("predict", *files, "--format", "parquet", "--out", str(tmp_path / "rows.parquet"))
    assert csv_run.returncode == parquet_run.returncode == 1  # the missing file
    table = pd.read_parquet(tmp_path / "rows.parquet")
    expected = pd.read_csv(tmp_path / "rows.csv")
    text = [c for c in expected.columns if c != "confidence" and not c.startswith("p_")]
    expected[text] = expected[text].astype(object).fillna("").astype(str)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert table.loc[table.model == "cnn", "p_normal"].notna().any()  # numbers, not text


@pytest.mark.parametrize("options, message", [
    (["--format", "parquet"], "add --out"),
    (["--out", "/no/such/folder/rows.csv"], "does not exist"),
    (["--workers", "0"], "at least 1"),
    (["--address", "auto"], "add --engine ray"),
])
def test_options_that_cannot_work_are_refused_before_scoring(options, message):
    run = run_cli("predict", str(SAMPLES), *options)
    assert run.returncode == 2 and message in run.stderr and not run.stdout


def test_ray_not_installed_gets_a_sentence(monkeypatch):
    from ecg_pipeline import archive

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(archive.RayUnavailableError, match="pip install"):
        archive.start_ray(None, 2)
