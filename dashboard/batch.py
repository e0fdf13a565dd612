"""Batch scoring: files and zip archives in memory, one row per file and model; failures become rows."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from ecg_pipeline.cli import probability_columns
from ecg_pipeline.constants import IMAGE_EXTENSIONS, MAX_FILE_BYTES, MODEL_KINDS, TASKS
from ecg_pipeline.errors import EcgError

BASE_COLUMNS = ["file", "task", "model", "predicted_class", "confidence", "error"]
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


def _error_rows(name: str, task: str, message: str) -> list[dict]:
    return [{"file": name, "task": "" if task == "auto" else task, "model": kind, "predicted_class": "",
             "confidence": None, "error": message} for kind in MODEL_KINDS]


def score_item(item: BatchItem, task: str, predict: Callable[[bytes, str], dict]) -> list[dict]:
    """One row per model for one item; a file that cannot be read gives rows carrying its message.

    ``predict(data, task)`` returns ``task``, ``classes``, ``aggregate`` and ``model_errors``
    (``dashboard.state.predict_bytes``).
    """
    if item.error or item.data is None:
        return _error_rows(item.name, task, item.error or "No data.")
    try:
        result = predict(item.data, task)
    except EcgError as exc:
        return _error_rows(item.name, task, str(exc))
    except Exception as exc:  # one bad file never stops the batch
        return _error_rows(item.name, task, f"Unexpected error: {type(exc).__name__}: {exc}")
    rows = []
    for kind in MODEL_KINDS:
        row = {"file": item.name, "task": result["task"], "model": kind, "predicted_class": "",
               "confidence": None, "error": result["model_errors"].get(kind, "")}
        if kind in result["aggregate"].index:
            aggregate = result["aggregate"].loc[kind]
            row["predicted_class"] = aggregate["predicted_class"]
            row["confidence"] = round(float(aggregate[aggregate["predicted_class"]]), 4)
            row.update({f"p_{c}": round(float(aggregate[c]), 4) for c in result["classes"]})
        rows.append(row)
    return rows


def rows_table(rows: list[dict], task: str) -> pd.DataFrame:
    """The batch table: base columns, then one ``p_<class>`` column per class of the tasks present."""
    tasks = list(TASKS) if task == "auto" else [task]
    used = [t for t in tasks if any(r.get("task") == t for r in rows)] or tasks
    columns = BASE_COLUMNS + probability_columns(used)
    return pd.DataFrame(rows).reindex(columns=columns)
