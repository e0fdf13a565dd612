"""The command line: predict (CSV and JSON, folders, bad files, exit status) and stages."""

import csv
import io
import json
import subprocess
import sys

from ecg_pipeline.constants import TASK_SPECS

from .conftest import ROOT, SAMPLES, sample_path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecg_pipeline", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_predict_csv_columns_and_rows(sample_manifest):
    page = sample_path(sample_manifest, "twelve_lead")
    done = run_cli("predict", str(page), "--task", "twelve_lead")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no TensorFlow start-up chatter reaches the terminal
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    classes = TASK_SPECS["twelve_lead"].classes
    assert list(rows[0]) == ["path", "task", "model", "predicted_class", "confidence", "verdict", "warnings", "error",
                             *[f"p_{c}" for c in classes]]
    assert [r["model"] for r in rows] == ["cnn", "crnn", "measurements", "verdict"]
    for row in rows:
        assert row["error"] == "" and row["predicted_class"] == "normal"  # a real normal page
        assert abs(sum(float(row[f"p_{c}"]) for c in classes) - 1.0) < 1e-4
        assert float(row["confidence"]) == max(float(row[f"p_{c}"]) for c in classes)
    assert rows[-1]["verdict"].startswith("agree (rule: mean of the CNN and the measurement model)")


def test_predict_a_mixed_folder_with_auto_task_and_a_bad_file(tmp_path, sample_manifest):
    for row in sample_manifest.groupby("task").head(1).itertuples():
        (tmp_path / row.file).write_bytes((SAMPLES / row.file).read_bytes())
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "broken.png").write_bytes(b"this is not a png")
    done = run_cli("predict", str(tmp_path), "--task", "auto", "--model", "both")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    by_file = {}
    for row in rows:
        by_file.setdefault(row["path"].rsplit("/", 1)[-1], []).append(row)
    # both networks and their verdict row per image; the broken file's rows carry its error
    assert len(by_file) == 3 and all(len(v) == 3 for k, v in by_file.items() if k != "broken.png")
    assert [r["model"] for r in by_file["broken.png"]] == ["cnn", "crnn"]
    assert all("not an image" in r["error"] for r in by_file["broken.png"])
    for row in sample_manifest.groupby("task").head(1).itertuples():
        assert {r["task"] for r in by_file[row.file]} == {row.task}
        assert all(r["error"] == "" for r in by_file[row.file])


def test_predict_json_and_one_model(sample_manifest):
    done = run_cli("predict", str(sample_path(sample_manifest, "beat")), "--model", "crnn", "--format", "json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert len(records) == 1 and records[0]["model"] == "crnn" and records[0]["task"] == "beat"


def test_missing_path_is_an_error_row_not_a_traceback():
    done = run_cli("predict", "no/such/file.png")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "No such file" in done.stdout


def test_stages_writes_every_stage_as_png(tmp_path, sample_manifest):
    done = run_cli("stages", str(sample_path(sample_manifest, "twelve_lead")), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    names = {p.name for p in tmp_path.glob("*.png")}
    assert {"01_original.png", "03_grayscale.png", "04_lead_boxes.png"} <= names
    assert sum(n.endswith("_d_binary.png") for n in names) == 13
    assert sum(n.endswith("_c_histogram.png") for n in names) == 13


def test_stages_on_a_bad_file_says_why(tmp_path):
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"")
    done = run_cli("stages", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "empty" in done.stderr and "Traceback" not in done.stderr


def test_predict_files_over_threads_matches_one_at_a_time(sample_manifest):
    from pathlib import Path

    from ecg_pipeline.cli import predict_files

    files = [SAMPLES / f for f in sample_manifest["file"]] + [Path("no/such/file.png")]
    serial = list(predict_files(files, "auto", ("cnn", "crnn"), workers=1))
    threaded = list(predict_files(files, "auto", ("cnn", "crnn"), workers=3))
    assert [rows[0]["path"] for rows in threaded] == [str(f) for f in files]  # order kept
    assert threaded == serial
    assert threaded[-1][0]["error"]
