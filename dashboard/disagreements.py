"""The Model comparison page's disagreement explorer: the user's own images (files, PDFs or a zip whose folders are
class names) or the built-in samples, scored by every model; those where the models disagree, or where a label is
known and a model misses it, each with a small thumbnail and a way into the full Analyze view.

Uploads stay in memory: the explorer keeps their bytes only in the session, and the thumbnails are shrunk copies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from dashboard import batch, state
from ecg_pipeline.constants import MODEL_KINDS, MODEL_TITLES, TASK_SPECS
from ecg_pipeline.rows import VERDICT_MODEL

SOURCES = {"samples": "Built-in samples", "upload": "Upload files or a zip"}
#: Width in pixels of a listed image's thumbnail: the browser gets this much of the image and no more.
THUMBNAIL_WIDTH = 240
#: Most listed images drawn with a thumbnail and a button; the table above them lists every one.
CARDS = 30
#: The Analyze page, as app.py's st.navigation declares it (relative to app.py).
ANALYZE_PAGE = "pages/analyze.py"
#: Where this page's results live in the session, with the inputs they were computed from.
RESULTS_KEY = "disagreements"


def page_of(path: str) -> int:
    """The page number of a row's path: ``N`` for ``name#page=N`` (a PDF page), 1 for an image.

    Examples
    --------
    >>> page_of("scans.zip/normal/two.pdf#page=2"), page_of("a.png")
    (2, 1)
    """
    head, _, number = path.rpartition("#page=")
    return int(number) if head and number.isdigit() else 1


def reasons(predictions: dict[str, str], label: str | None, task: str) -> list[str]:
    """Why an image is listed: the models disagree, and/or a label is known and a model gives another class.

    Examples
    --------
    >>> reasons({"cnn": "normal", "crnn": "normal"}, "left_bundle_branch_block", "beat")
    ['labelled Left bundle branch block, the CNN and the CRNN say Normal beat']
    >>> reasons({"cnn": "normal", "crnn": "normal"}, None, "beat")
    []
    """
    found = []
    if len(set(predictions.values())) > 1:
        found.append(f"the models disagree: {batch.who_says(predictions, task)}")
    wrong = {kind: class_id for kind, class_id in predictions.items() if label and class_id != label}
    if wrong:
        found.append(f"labelled {TASK_SPECS[task].display_names[label]}, {batch.who_says(wrong, task)}")
    return found


def file_row(path: str, item: int, rows: list[dict], known: str | None) -> dict:
    """One image (or PDF page) of the explorer from its prediction rows: each model's class and probability, its
    label (``known``, else its class folder), why it is listed, and its error when no model classed it."""
    first = rows[0]
    task = first.get("task") or ""
    models = {r["model"]: r for r in rows if r["model"] != VERDICT_MODEL and isinstance(r.get("predicted_class"), str)}
    predictions = {kind: r["predicted_class"] for kind, r in models.items()}
    label = (known or batch.label_from_path(path, task)) if task in TASK_SPECS else None
    errors = dict.fromkeys(r["error"] for r in rows if r.get("error"))
    row = {"name": path, "item": item, "page": page_of(path), "task": task, "label": label,
           "why": "; ".join(reasons(predictions, label, task)) if task in TASK_SPECS else "",
           "error": "" if predictions else " ".join(errors) or "No model could classify this image."}
    for kind, r in models.items():
        row[kind] = r["predicted_class"]
        row[f"{kind} p"] = float(r["confidence"])
    return row


def explorer_rows(items: list[batch.BatchItem], rows_by_item: list[list[dict]],
                  labels: dict[str, str]) -> list[dict]:
    """One row per image or PDF page of every item, from each item's prediction rows (``rows_by_item``, in the
    items' order); ``labels`` gives the class of items known without a class folder (the built-in samples)."""
    found = []
    for index, (item, rows) in enumerate(zip(items, rows_by_item, strict=True)):
        by_path: dict[str, list[dict]] = {}
        for row in rows:
            by_path.setdefault(row["path"], []).append(row)
        found.extend(file_row(path, index, group, labels.get(item.name)) for path, group in by_path.items())
    return found


def scan(items: list[batch.BatchItem], labels: dict[str, str]) -> list[dict]:
    """Every model's prediction for each item, with a progress bar that names the file it is scoring."""
    progress = st.progress(0.0, text="Scoring...")
    rows_by_item = []
    for number, item in enumerate(items, start=1):
        progress.progress((number - 1) / len(items), text=batch.progress_text(number, len(items), item.name))
        rows_by_item.append(batch.score_item(item, "auto", state.prediction_rows_bytes))
    progress.empty()
    return explorer_rows(items, rows_by_item, labels)


@st.cache_data(show_spinner=False, max_entries=256)
def _thumbnail(key: str, page: int, width: int, _data: bytes) -> np.ndarray:
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.io.privacy import blank_patient_fields
    from ecg_pipeline.preprocess.layout import grid_area
    from ecg_pipeline.preprocess.render import preview

    image = load_image(state.image_of(_data, page))
    grid = grid_area(image) if image.ndim == 3 else None
    # a report page's patient fields are blanked here too, as in every picture of a page that leaves the program
    return preview(blank_patient_fields(image, grid) if grid else image, width)


def thumbnail_bytes(data: bytes, page: int = 1, width: int = THUMBNAIL_WIDTH) -> np.ndarray | None:
    """An image (or PDF page) shrunk to ``width`` pixels in memory, cached by its SHA-256; ``None`` when it cannot
    be read (its error is listed elsewhere)."""
    try:
        return _thumbnail(state.digest(data), page, width, data)
    except Exception:  # the scan already gave this file's reason a sentence
        return None


def chosen_files(source: str) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """The ``(name, bytes)`` to score, and the labels known without a class folder, from the chosen source."""
    if source == "samples":
        samples = state.builtin_samples()
        return ([(s["file"], state.sample_bytes(s["file"])) for s in samples],
                {s["file"]: s["class"] for s in samples})
    uploads = st.file_uploader("Images, PDFs or .zip archives of them (class folders in a zip give labels, e.g. "
                               "`normal/a.png`)", type=[*state.UPLOAD_TYPES, "zip"], accept_multiple_files=True,
                               key="disagreements_files",
                               help="The files stay in memory for this session; they are never stored.")
    return [(f.name, f.getvalue()) for f in uploads or []], {}


def signature(items: list[batch.BatchItem]) -> tuple:
    """What the results were computed from: each item's name and SHA-256 (or its error)."""
    return tuple((item.name, state.digest(item.data) if item.data is not None else item.error) for item in items)


def show_disagreement_explorer() -> None:
    """Choose images, score them with every model, list where the models disagree or miss a label."""
    st.header("Where the models disagree, or miss the label")
    source = st.radio("Images", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="disagreements_source")
    files, labels = chosen_files(source)
    items = batch.collect_items(files)
    if not items:
        st.info("Upload ECG images, PDFs or a zip archive. Put images in folders named after a class (for example "
                "`normal/`, `myocardial_infarction/`) to also see where a model misses the label.")
        return
    current = signature(items)
    if st.button("Find disagreements", type="primary", key="disagreements_run"):
        st.session_state[RESULTS_KEY] = {"signature": current, "rows": scan(items, labels)}
    found = st.session_state.get(RESULTS_KEY)
    if found is None or found["signature"] != current:
        st.caption(f"Scores the {len(items)} images with every model and lists those where the models predict "
                   "different classes, or where a label is known and a model predicts another.")
        return
    show_found(pd.DataFrame(found["rows"]), items)


def show_found(table: pd.DataFrame, items: list[batch.BatchItem]) -> None:
    """The figures, the table of listed images, a card for each of the first ones and the errors."""
    listed = table[table["why"] != ""]
    errors = table[table["error"] != ""]
    cols = st.columns(4)
    cols[0].metric("Images scored", len(table))
    cols[1].metric("With a label", int(table["label"].notna().sum()))
    cols[2].metric("Listed", len(listed), help="The models disagree, or a model misses the label.")
    cols[3].metric("Errors", len(errors))
    if listed.empty:
        st.success("Every model predicts the same class for every image scored"
                   + (", and the label where there is one." if table["label"].notna().any() else "."))
    else:
        st.dataframe(display_table(listed), hide_index=True, width="stretch", key="disagreements_table",
                     column_config={"why it is listed": st.column_config.TextColumn(width="large")})
        if len(listed) > CARDS:
            st.caption(f"The first {CARDS} of the {len(listed)} listed images are shown below; the table lists all.")
        columns = st.columns(3)
        for number, row in enumerate(listed.head(CARDS).to_dict("records")):
            with columns[number % 3].container(border=True):
                show_card(number, row, items[row["item"]])
    if not errors.empty:
        with st.expander(f"{len(errors)} {'image' if len(errors) == 1 else 'images'} could not be compared"):
            st.dataframe(errors[["name", "error"]], hide_index=True, width="stretch", key="disagreements_errors")


def display_table(listed: pd.DataFrame) -> pd.DataFrame:
    """The listed images as shown: name, why, label, then each model's class and probability, display names."""
    shown = pd.DataFrame({"image": listed["name"], "why it is listed": listed["why"],
                          "label": [_name(t, c) for t, c in zip(listed["task"], listed["label"], strict=True)]})
    for kind in MODEL_KINDS:
        if kind in listed:
            shown[MODEL_TITLES[kind]] = [_name(t, c) for t, c in zip(listed["task"], listed[kind], strict=True)]
            shown[f"{MODEL_TITLES[kind]} p"] = listed[f"{kind} p"].round(3)
    return shown


def _name(task: str, class_id) -> str:
    return TASK_SPECS[task].display_names.get(class_id, class_id) if isinstance(class_id, str) else ""


def show_card(number: int, row: dict, item: batch.BatchItem) -> None:
    """One listed image: its thumbnail, name, why it is listed, each model's class and probability, and a button
    that opens it in Analyze."""
    picture = thumbnail_bytes(item.data, row["page"])
    if picture is not None:
        st.image(picture, width=THUMBNAIL_WIDTH)
    st.markdown(f"**{row['name']}**")
    st.caption(row["why"][0].upper() + row["why"][1:] + ".")
    lines = [f"{MODEL_TITLES[kind]}: {_name(row['task'], row[kind])} ({row[f'{kind} p']:.0%})"
             for kind in MODEL_KINDS if isinstance(row.get(kind), str)]
    if isinstance(row.get("label"), str):
        lines.append(f"Label: {_name(row['task'], row['label'])}")
    st.markdown("  \n".join(lines))
    if st.button("Open in Analyze", key=f"disagreements_open_{number}", icon=":material/monitor_heart:"):
        open_in_analyze(item.name, item.data, row["page"])


def open_in_analyze(name: str, data: bytes, page: int) -> None:
    """Hand the image to the Analyze page (in the session, in memory) and go there."""
    st.session_state[state.handoff_key("analyze")] = (name, data)
    if page > 1:
        st.session_state["analyze_pdf_page"] = page  # Analyze's page choice starts at the listed page
    try:
        st.switch_page(ANALYZE_PAGE)
    except StreamlitPageNotFoundError:
        st.error("The Analyze page opens from the full dashboard: start it with `streamlit run app.py`.")
