"""The Batch page's per-file summary (headline verdict, agreement), its figures on files in class folders and its
progress bar, with the trained models in models/ and the shipped samples zipped into class folders."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from dashboard import batch
from ecg_pipeline.constants import TASK_SPECS

from .conftest import SAMPLES
from .test_app import page, texts

#: Where the shared data keeps each task's class folders; the zip copies that layout.
DATA_FOLDERS = {"twelve_lead": "ecg-images", "beat": "beat-images"}


def labelled_zip(manifest: pd.DataFrame) -> tuple[bytes, dict[str, str]]:
    """Every sample in its class folder, one more in a folder that names no class and one at the top; with the
    label each member should get, by member name (from the manifest, not from the path)."""
    labels = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for row in manifest.itertuples():
            member = f"{DATA_FOLDERS[row.task]}/{row[3]}/{row.file}"
            archive.writestr(member, (SAMPLES / row.file).read_bytes())
            labels[f"samples.zip/{member}"] = row[3]
        first = manifest["file"].iloc[0]
        archive.writestr(f"unsorted/{first}", (SAMPLES / first).read_bytes())
        archive.writestr(f"top_{first}", (SAMPLES / first).read_bytes())
    return buffer.getvalue(), labels


@pytest.fixture(scope="module")
def shipped():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ECG_MODELS_DIR", raising=False)
        yield


@pytest.fixture(scope="module")
def scored(shipped, sample_manifest):
    """The labelled zip scored as the page scores it: its bytes, the expected labels and the batch table."""
    from dashboard import state

    data, labels = labelled_zip(sample_manifest)
    items = batch.collect_items([("samples.zip", data)])
    rows = [row for item in items for row in batch.score_item(item, "auto", state.prediction_rows_bytes)]
    return data, labels, batch.rows_table(rows, "auto")


def test_a_class_folder_is_a_label_and_any_other_folder_is_not():
    assert batch.label_from_path("a.zip/myocardial_infarction/x.png", "twelve_lead") == "myocardial_infarction"
    assert batch.label_from_path("a.zip/ecg-images/history_of_mi/2024/x.jpg", "twelve_lead") == "history_of_mi"
    assert batch.label_from_path("a.zip/normal/scan.pdf#page=2", "twelve_lead") == "normal"
    assert batch.label_from_path("a.zip/beat-images/normal/x.png", "beat") == "normal"
    assert batch.label_from_path("a.zip/unsorted/x.png", "twelve_lead") is None
    assert batch.label_from_path("x.png", "twelve_lead") is None
    assert batch.label_from_path("a.zip/myocardial infarction/x.png", "twelve_lead") is None
    # a beat class is no label of a 12-lead page, and a file of no known task has none
    assert batch.label_from_path("a.zip/left_bundle_branch_block/x.png", "twelve_lead") is None
    assert batch.label_from_path("a.zip/normal/x.png", "") is None


def model_rows(file: str, classes: dict[str, str | None], verdict: tuple[str, float] | None) -> list[dict]:
    rows = [{"file": file, "task": "twelve_lead", "model": kind, "predicted_class": c, "error": ""}
            for kind, c in classes.items()]
    rows.append({"file": file, "task": "twelve_lead", "model": "verdict", "error": "",
                 "predicted_class": verdict[0] if verdict else None, "confidence": verdict[1] if verdict else None})
    return rows


def test_the_summary_has_one_row_per_file_with_the_verdict_and_whether_the_models_agree():
    agree = model_rows("zip/normal/a.png", dict.fromkeys(("cnn", "crnn", "measurements"), "normal"), ("normal", 0.9))
    split = model_rows("b.png", {"cnn": "normal", "crnn": "history_of_mi", "measurements": "history_of_mi"}, None)
    failed = [{"file": "c.png", "task": "twelve_lead", "model": kind, "error": "not an ECG: blank"}
              for kind in ("cnn", "crnn", "measurements")]
    table = pd.DataFrame(agree + split + failed + agree)  # a.png uploaded twice keeps two rows
    summary = batch.summary_table(table)
    assert list(summary["file"]) == ["zip/normal/a.png", "b.png", "c.png", "zip/normal/a.png"]
    assert {"verdict", "verdict_probability", "agreement", "cnn", "crnn", "measurements", "label"} <= set(summary)
    a, b, c = (summary.iloc[i] for i in range(3))
    assert (a["verdict"], a["verdict_probability"], a["agreement"], a["label"]) == ("normal", 0.9, "all agree",
                                                                                    "normal")
    assert pd.isna(b["verdict"]) and pd.isna(b["label"])
    assert b["agreement"].startswith("disagree")
    assert "the CNN says Normal" in b["agreement"] and "History of MI" in b["agreement"]
    assert (b["cnn"], b["crnn"]) == ("normal", "history_of_mi")
    assert c["error"] == "not an ECG: blank" and c["agreement"] == "" and pd.isna(c["verdict"])


def test_figures_count_only_labelled_files_and_no_prediction_as_wrong():
    summary = pd.DataFrame({
        "file": ["z/normal/1.png", "z/normal/2.png", "z/history_of_mi/3.png", "z/history_of_mi/4.png", "5.png"],
        "task": "twelve_lead", "label": ["normal", "normal", "history_of_mi", "history_of_mi", None],
        "cnn": ["normal", "normal", "history_of_mi", "history_of_mi", "normal"],
        "crnn": ["normal", "history_of_mi", None, "history_of_mi", "normal"],
        "measurements": None,  # a model that classed nothing did not run, and is left out
        "verdict": ["normal", None, None, "history_of_mi", "normal"]})
    figures = {f.model: f for f in batch.labelled_figures(summary)}
    assert set(figures) == {"cnn", "crnn", "verdict"}
    assert [f.model for f in batch.labelled_figures(summary.assign(crnn=None))] == ["cnn"]  # no verdict of one
    assert all(f.labelled == 4 for f in figures.values())
    assert figures["cnn"].accuracy == 1.0 and figures["cnn"].macro_f1 == 1.0
    assert figures["crnn"].accuracy == 0.5 and figures["crnn"].unscored == 1
    assert figures["crnn"].confusion.loc["History of MI", batch.NO_PREDICTION] == 1
    assert figures["crnn"].confusion.loc["Normal", "History of MI"] == 1
    assert figures["verdict"].accuracy == 0.5 and figures["verdict"].unscored == 2


def test_figures_on_the_labelled_samples_zip(scored, sample_manifest):
    _, labels, table = scored
    summary = batch.summary_table(table)
    assert summary["label"].notna().sum() == len(labels)
    assert summary.set_index("file")["label"].dropna().to_dict() == labels  # the unsorted and top files have none
    figures = batch.labelled_figures(summary)
    assert {(f.task, f.model) for f in figures} == {(t, k) for t in DATA_FOLDERS
                                                    for k in (*TASK_SPECS[t].model_kinds, "verdict")}
    for figure in figures:
        rows = table[(table["model"] == figure.model) & table["file"].isin(labels)
                     & (table["task"] == figure.task)]
        files = [f for f in labels if sample_manifest.set_index("file").loc[f.rsplit("/", 1)[1], "task"] == figure.task]
        # every labelled file of the task counts, also when a model gave it no class (the verdict, on a disagreement)
        correct = sum(rows.set_index("file")["predicted_class"].get(f) == labels[f] for f in files)
        assert figure.labelled == len(files)
        assert figure.accuracy == pytest.approx(correct / len(files))
        assert figure.confusion.to_numpy().sum() == len(files)
        assert np.trace(figure.confusion.to_numpy()) == correct
        assert 0.0 <= figure.macro_f1 <= 1.0


def test_batch_page_shows_the_summary_first_the_figures_and_names_each_file_in_the_progress_bar(
        scored, progress_lines):
    data, labels, table = scored
    shown = progress_lines
    at = page("batch").run()
    at.file_uploader(key="batch_files").set_value(("samples.zip", data, "application/zip")).run()
    assert not at.exception and not at.error
    names = list(table["file"].unique())
    for number, name in enumerate(names, start=1):
        assert f"Scoring {number} of {len(names)}: {name}" in shown
    frames = [frame.value for frame in at.dataframe]
    summary_at = next(i for i, frame in enumerate(frames) if "agreement" in frame)
    assert summary_at < next(i for i, frame in enumerate(frames) if "predicted_class" in frame)  # summary first
    summary = frames[summary_at]
    assert {"verdict", "verdict_probability", "agreement"} <= set(summary.columns)
    assert list(summary["file"]) == names
    for file, rows in table[table["model"] != "verdict"].groupby("file"):
        agreed = rows["predicted_class"].nunique() == 1
        assert (summary.set_index("file").loc[file, "agreement"] == "all agree") == agreed
    assert f"{len(labels)} of {len(names)} files carry a label" in texts(at.caption)
    figures = next(frame for frame in frames if "accuracy" in frame)
    assert set(figures["model"]) >= {"CNN", "CRNN", "Measurement model", "Headline verdict"}
    assert (figures["labelled files"].groupby(figures["task"]).nunique() == 1).all()
    rows = next(frame for frame in frames if "predicted_class" in frame)
    kinds = {"CNN": "cnn", "CRNN": "crnn", "Measurement model": "measurements", "Headline verdict": "verdict"}
    for figure in figures.itertuples():
        predicted = rows[(rows["model"] == kinds[figure.model]) & (rows["task"] == figure.task)]
        predicted = predicted.set_index("file")["predicted_class"]
        files = [f for f in labels if f in predicted.index]
        assert figure.accuracy == round(np.mean([predicted[f] == labels[f] for f in files]), 3)
    assert {"Download the summary (CSV)", "Download the table (CSV)"} <= {b.label for b in at.get("download_button")}
