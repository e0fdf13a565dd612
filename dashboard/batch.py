"""Batch scoring: files and zip archives in memory, one row per file (or PDF page) and model, and one for the
headline verdict; failures become rows."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from ecg_pipeline.constants import IMAGE_EXTENSIONS, MAX_FILE_BYTES, MODEL_KINDS
from ecg_pipeline.rows import error_rows, table_columns

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
