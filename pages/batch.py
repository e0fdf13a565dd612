"""Batch: score many images, PDFs or zip archives with every model; a row per file with the headline verdict and
whether the models agree, the figures on files in class folders, then one row per file and model; CSV downloads."""

from functools import partial

import streamlit as st

from dashboard import batch, state, widgets
from ecg_pipeline.constants import TASK_SPECS

CONFIDENCE = {name: st.column_config.ProgressColumn(name, min_value=0.0, max_value=1.0, format="%.2f")
              for name in ("confidence", "verdict_probability")}


def score(items: list[batch.BatchItem], task: str, lead_order: str) -> list[dict]:
    progress = st.progress(0.0, text="Scoring...")
    rows = []
    for number, item in enumerate(items, start=1):
        progress.progress((number - 1) / len(items), text=batch.progress_text(number, len(items), item.name))
        rows.extend(batch.score_item(item, task, partial(state.prediction_rows_bytes, lead_order=lead_order)))
    progress.progress(1.0, text=f"Scored {len(items)} of {len(items)}.")
    return rows


def labelled_section(summary) -> None:
    labelled = int(summary["label"].notna().sum())
    st.subheader("On the labelled files")
    if not labelled:
        st.caption("No file carries a label. Put images in class folders inside a zip (for example "
                   "`normal/a.png`, `myocardial_infarction/b.jpg`) to see each model's accuracy on them.")
        return
    st.caption(f"{labelled} of {len(summary)} files carry a label (a class folder in a zip); the figures are over "
               "those alone. Macro-F1 averages the classes these files hold or are given. A labelled file a model "
               "gave no class counts as wrong; for the headline verdict that includes files where the models "
               "disagree.")
    figures = batch.labelled_figures(summary)
    if not figures:
        st.info("No model gave a class to any file of these tasks, so there is nothing to compare the labels with.")
        return
    st.dataframe(batch.figures_table(figures), hide_index=True, width="stretch")
    for task in dict.fromkeys(f.task for f in figures):
        shown = [f for f in figures if f.task == task]
        st.markdown(f"**Confusion matrices, {TASK_SPECS[task].title}** (rows: label, columns: prediction)")
        for tab, figure in zip(st.tabs([f.title for f in shown]), shown, strict=True):
            tab.dataframe(figure.confusion, width="stretch")


def main() -> None:
    st.title("Batch scoring")
    st.caption("Files and archives are read in memory and never stored. A file that cannot be scored gets a row "
               "with the reason; the batch goes on.")
    uploads = st.file_uploader("Images, PDFs or .zip archives of them (class folders in a zip give labels)",
                               type=[*state.UPLOAD_TYPES, "zip"], accept_multiple_files=True, key="batch_files")
    use_samples = st.checkbox("Score the built-in samples (real and synthetic)", key="batch_samples")
    task = st.selectbox("Task", list(state.TASK_CHOICES), format_func=state.TASK_CHOICES.get, key="batch_task")
    lead_order = widgets.lead_order_input("batch_lead_order")
    files = [(f.name, f.getvalue()) for f in uploads or []]
    if use_samples:
        files += [(s["file"], state.sample_bytes(s["file"])) for s in state.builtin_samples()]
    items = batch.collect_items(files)
    if not items:
        st.info("Upload images or zip archives, or tick the box to score the built-in samples.")
        return
    table = batch.rows_table(score(items, task, lead_order), task)
    summary = batch.summary_table(table)
    cols = st.columns(3)
    cols[0].metric("Files", len(items))
    cols[1].metric("Models agree", f"{(summary['agreement'] == 'all agree').sum()} of {len(summary)}")
    cols[2].metric("Files with an error", table.loc[table["error"].fillna("") != "", "file"].nunique())
    st.subheader("One row per file")
    shown = summary if summary["label"].notna().any() else summary.drop(columns="label")
    st.dataframe(batch.blanks_for_display(shown), hide_index=True, width="stretch", column_config=CONFIDENCE)
    st.download_button("Download the summary (CSV)", summary.to_csv(index=False), "ecg_batch_summary.csv",
                       "text/csv", on_click="ignore", icon=":material/download:", key="batch_summary_download")
    labelled_section(summary)
    st.subheader("One row per file and model")
    st.dataframe(batch.blanks_for_display(table), hide_index=True, width="stretch", column_config=CONFIDENCE)
    st.download_button("Download the table (CSV)", table.to_csv(index=False), "ecg_batch_predictions.csv",
                       "text/csv", on_click="ignore", icon=":material/download:", key="batch_download")
    st.caption(widgets.NOT_A_DEVICE)


widgets.run_page(main)
