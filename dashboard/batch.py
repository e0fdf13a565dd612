"""Batch scoring: files and zip archives in memory, one row per file (or PDF page) and model, and one for the
headline verdict; failures become rows. Then a row per file with the verdict and whether the models agree, and,
for files in class folders, each model's figures on them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from ecg_pipeline.constants import IMAGE_EXTENSIONS, MAX_FILE_BYTES, MODEL_KINDS, MODEL_TITLES, TASK_SPECS
from ecg_pipeline.rows import VERDICT_MODEL, error_rows, table_columns

#: Most files read from one zip archive; the rest become one error row.
MAX_ZIP_MEMBERS = 500


@dataclass
class BatchItem:
    """One file to score: its name and bytes, or the reason it cannot be scored."""

    name: str
    data: bytes | None = None
    error: str = ""


def _is_image_name(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS


def expand_zip(name: str, data: bytes) -> list[BatchItem]:
    """The members of a zip archive as items, read in memory; non-images and oversized members become
    error items."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return [BatchItem(name, error="This .zip file is damaged or is not a zip archive.")]
    items: list[BatchItem] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        for member in members[:MAX_ZIP_MEMBERS]:
            label = f"{name}/{member.filename}"
            if not _is_image_name(member.filename):
                items.append(BatchItem(label, error="Not an image file (expected JPEG, PNG, BMP, TIFF, WebP or GIF)."))
            elif member.file_size > MAX_FILE_BYTES:
                items.append(BatchItem(label, error=f"The file is {member.file_size / 1e6:.1f} MB; the limit is "
                                                    f"{MAX_FILE_BYTES / 1e6:.0f} MB."))
            else:
                try:
                    items.append(BatchItem(label, archive.read(member)))
                except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                    items.append(BatchItem(label, error=f"This member cannot be read from the archive ({exc})."))
        if len(members) > MAX_ZIP_MEMBERS:
            items.append(BatchItem(f"{name}/...", error=f"{len(members) - MAX_ZIP_MEMBERS} more files were "
                                                        f"skipped: at most {MAX_ZIP_MEMBERS} per archive."))
    return items


def collect_items(files: Iterable[tuple[str, bytes]]) -> list[BatchItem]:
    """Turn uploaded ``(name, bytes)`` pairs into items, opening zip archives in memory."""
    items: list[BatchItem] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            items.extend(expand_zip(name, data))
        else:
            items.append(BatchItem(name, data))
    return items


def score_item(item: BatchItem, task: str, rows_of: Callable[[str, bytes, str], list[dict]]) -> list[dict]:
    """The rows of one item, as the command line writes them; an item that cannot be read gives rows carrying
    its message.

    ``rows_of(name, data, task)`` is ``dashboard.state.prediction_rows_bytes``.
    """
    if item.error or item.data is None:
        return error_rows(item.name, task, MODEL_KINDS, item.error or "No data.")
    try:
        return rows_of(item.name, item.data, task)
    except Exception as exc:  # one bad file never stops the batch
        return error_rows(item.name, task, MODEL_KINDS, f"Unexpected error: {type(exc).__name__}: {exc}")


def rows_table(rows: list[dict], task: str) -> pd.DataFrame:
    """The batch table: the command line's columns, ``file`` first."""
    return pd.DataFrame(rows).reindex(columns=table_columns(rows, task)).rename(columns={"path": "file"})


# --- The per-file summary and the figures of a labelled batch -----------------------------------------

#: The prediction column of a row no model scored (refused, unreadable, or models that disagree for the verdict).
NO_PREDICTION = "no prediction"


def progress_text(number: int, total: int, name: str) -> str:
    """The progress bar's line while one file is scored.

    Examples
    --------
    >>> progress_text(3, 40, "scans.zip/normal/a.png")
    'Scoring 3 of 40: scans.zip/normal/a.png'
    """
    return f"Scoring {number} of {total}: {name}"


def label_from_path(path: str, task: str) -> str | None:
    """The class a file's folder names, as ``list_labelled_images`` reads a data set (``<class id>/file``).

    The nearest folder that is a class id of ``task`` wins; a file in no such folder (or of an unknown task)
    has no label. A PDF page (``name#page=N``) takes its file's folder.

    Examples
    --------
    >>> label_from_path("scans.zip/ecg-images/history_of_mi/a.jpg", "twelve_lead")
    'history_of_mi'
    >>> label_from_path("scans.zip/misc/a.jpg", "twelve_lead") is None
    True
    """
    spec = TASK_SPECS.get(task)
    if spec is None:
        return None
    return next((folder.name for folder in PurePosixPath(path).parents if folder.name in spec.classes), None)


def _model_phrase(kinds: list[str]) -> str:
    names = [MODEL_TITLES.get(kind, kind) for kind in kinds]
    return " and ".join(f"the {name if name.isupper() else name[0].lower() + name[1:]}" for name in names)


def who_says(predictions: dict[str, str], task: str) -> str:
    """Who says which class, grouped by class, in the models' order.

    Examples
    --------
    >>> who_says({"cnn": "normal", "crnn": "normal", "measurements": "history_of_mi"}, "twelve_lead")
    'the CNN and the CRNN say Normal, the measurement model says History of MI'
    """
    names = TASK_SPECS[task].display_names if task in TASK_SPECS else {}
    by_class: dict[str, list[str]] = {}
    for kind, class_id in predictions.items():
        by_class.setdefault(class_id, []).append(kind)
    return ", ".join(f"{_model_phrase(kinds)} {'say' if len(kinds) > 1 else 'says'} {names.get(class_id, class_id)}"
                     for class_id, kinds in by_class.items())


def agreement_text(predictions: dict[str, str], task: str) -> str:
    """One short line on whether the models that scored a file name the same class.

    Examples
    --------
    >>> agreement_text({"cnn": "normal", "crnn": "normal"}, "beat")
    'all agree'
    >>> agreement_text({"cnn": "normal", "crnn": "normal", "measurements": "history_of_mi"}, "twelve_lead")
    'disagree: the CNN and the CRNN say Normal, the measurement model says History of MI'
    """
    if not predictions:
        return "no model scored this file"
    if len(predictions) == 1:
        return f"only {_model_phrase(list(predictions))} scored this file"
    if len(set(predictions.values())) == 1:
        return "all agree"
    return "disagree: " + who_says(predictions, task)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _summary_row(group: pd.DataFrame, kinds: list[str]) -> dict:
    first = group.iloc[0]
    task = _text(first["task"])
    models = group[group["model"] != VERDICT_MODEL]
    predictions = {kind: c for kind, c in zip(models["model"], models["predicted_class"], strict=True) if _text(c)}
    verdict = group[group["model"] == VERDICT_MODEL]
    verdict_class = _text(verdict["predicted_class"].iloc[0]) if len(verdict) else ""
    errors = dict.fromkeys(e for e in group["error"] if _text(e))  # one message per file, in order
    return {"file": first["file"], "task": task, "label": label_from_path(first["file"], task),
            "verdict": verdict_class or None,
            "verdict_probability": verdict["confidence"].iloc[0] if verdict_class else None,
            "agreement": "" if errors and not predictions else agreement_text(predictions, task),
            **{kind: predictions.get(kind) for kind in kinds}, "error": "; ".join(errors)}


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per file (or PDF page) of the batch table: its label (from a class folder), the headline
    verdict and its probability, the agreement line, each model's class and the file's error.

    A file uploaded twice keeps two rows: the n-th row of a file and model belongs to its n-th copy.
    """
    kinds = [kind for kind in MODEL_KINDS if kind in set(table["model"])]
    columns = ["file", "task", "label", "verdict", "verdict_probability", "agreement", *kinds, "error"]
    copy = table.groupby(["file", "model"], sort=False).cumcount()
    rows = [_summary_row(group, kinds) for _, group in table.groupby([table["file"], copy], sort=False)]
    return pd.DataFrame(rows, columns=columns)


@dataclass
class LabelledFigures:
    """One model's figures over the labelled files of one task in a batch."""

    task: str
    model: str
    labelled: int
    accuracy: float
    macro_f1: float
    #: Labelled files the model gave no class (an error, a refusal; for the verdict also models that disagree).
    unscored: int
    #: Counts by label (rows) and prediction (columns, ``NO_PREDICTION`` last), display names.
    confusion: pd.DataFrame

    @property
    def title(self) -> str:
        return MODEL_TITLES.get(self.model, "Headline verdict")


def _figures(task: str, model: str, labels: pd.Series, predicted: pd.Series) -> LabelledFigures:
    classes = list(TASK_SPECS[task].classes)
    # Macro-F1 over the classes this batch holds or predicts: a class absent from both says nothing here.
    present = [c for c in classes if c in set(labels) | set(predicted)]
    matrix = confusion_matrix(labels, predicted, labels=[*classes, NO_PREDICTION])[:-1]
    names = [TASK_SPECS[task].display_names[c] for c in classes]
    confusion = pd.DataFrame(matrix, index=pd.Index(names, name="label"), columns=[*names, NO_PREDICTION])
    return LabelledFigures(task, model, len(labels), float(accuracy_score(labels, predicted)),
                           float(f1_score(labels, predicted, labels=present, average="macro", zero_division=0)),
                           int((predicted == NO_PREDICTION).sum()), confusion)


def labelled_figures(summary: pd.DataFrame) -> list[LabelledFigures]:
    """Accuracy, macro-F1 and confusion matrix of each model and of the headline verdict over the labelled files
    of a batch, per task (``summary`` is ``summary_table``'s). Files without a label are left out; a labelled
    file a model gave no class counts as wrong for that model, so every model is judged on the same files.
    Models that classed no file of the task at all are left out.
    """
    figures = []
    for task, files in summary[summary["label"].notna()].groupby("task", sort=True):
        # A model that classed no file of the task did not run (not installed); the verdict needs two that did.
        ran = summary[summary["task"] == task]
        kinds = [kind for kind in TASK_SPECS[task].model_kinds if kind in ran and ran[kind].notna().any()]
        columns = {kind: kind for kind in kinds} | ({VERDICT_MODEL: "verdict"} if len(kinds) > 1 else {})
        for model, column in columns.items():
            predicted = files[column].map(lambda c: _text(c) or NO_PREDICTION)
            figures.append(_figures(task, model, files["label"], predicted))
    return figures


def figures_table(figures: list[LabelledFigures]) -> pd.DataFrame:
    """The figures as a table, one row per task and model."""
    return pd.DataFrame([{"task": f.task, "model": f.title,
                          "labelled files": f.labelled, "accuracy": round(f.accuracy, 3),
                          "macro-F1": round(f.macro_f1, 3), "no prediction": f.unscored} for f in figures],
                        columns=["task", "model", "labelled files", "accuracy", "macro-F1", "no prediction"])


def blanks_for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing text shown as blank, numbers left numeric (a progress column needs floats)."""
    text = [column for column in frame.columns if not pd.api.types.is_numeric_dtype(frame[column])]
    return frame.fillna(dict.fromkeys(text, ""))
