"""Batch: score many images, PDFs or zip archives with every model; one row per file and model, and one for the
headline verdict; CSV download."""

import streamlit as st

from dashboard import batch, state, widgets


def main() -> None:
    st.title("Batch scoring")
    st.caption("Files and archives are read in memory and never stored. A file that cannot be scored gets a row "
               "with the reason; the batch goes on.")
    uploads = st.file_uploader("Images, PDFs or .zip archives of them", type=[*state.UPLOAD_TYPES, "zip"],
                               accept_multiple_files=True, key="batch_files")
    use_samples = st.checkbox("Score the built-in samples (real and synthetic)", key="batch_samples")
    task = st.selectbox("Task", list(state.TASK_CHOICES), format_func=state.TASK_CHOICES.get, key="batch_task")
    files = [(f.name, f.getvalue()) for f in uploads or []]
    if use_samples:
        files += [(s["file"], state.sample_bytes(s["file"])) for s in state.builtin_samples()]
    items = batch.collect_items(files)
    if not items:
        st.info("Upload images or zip archives, or tick the box to score the built-in samples.")
        return
    progress = st.progress(0.0, text="Scoring...")
    rows = []
    for number, item in enumerate(items, start=1):
        rows.extend(batch.score_item(item, task, state.prediction_rows_bytes))
        progress.progress(number / len(items), text=f"Scored {number} of {len(items)}: {item.name}")
    table = batch.rows_table(rows, task)
    failed = table.loc[table["error"].fillna("") != "", "file"].nunique()
    cols = st.columns(3)
    cols[0].metric("Files", len(items))
    cols[1].metric("Rows", len(table))
    cols[2].metric("Files with an error", failed)
    st.dataframe(table.fillna(""), hide_index=True, width="stretch",
                 column_config={"confidence": st.column_config.ProgressColumn("confidence", min_value=0.0,
                                                                              max_value=1.0, format="%.2f")})
    st.download_button("Download the table (CSV)", table.to_csv(index=False), "ecg_batch_predictions.csv",
                       "text/csv", on_click="ignore", icon=":material/download:", key="batch_download")
    st.caption(widgets.NOT_A_DEVICE)


widgets.run_page(main)
