"""Model comparison: held-out metrics from the model cards, CNN against CRNN, and where they disagree."""

import streamlit as st

from dashboard import comparison, disagreements, state, widgets
from ecg_pipeline.constants import TASK_SPECS, TASKS
from ecg_pipeline.io.cards import training_command
from ecg_pipeline.models.inference import title


def main() -> None:
    st.title("Model comparison")
    st.caption("Every figure below is read from the model cards written by scripts/train.py and "
               "scripts/evaluate.py; nothing is typed in by hand.")
    found = False
    for task in TASKS:
        cards, problems = state.read_cards(task)
        for kind, problem in problems.items():
            found = True
            st.error(f"{title(kind)} ({TASK_SPECS[task].title}): its card was refused. {problem}",
                     icon=":material/error:")
        if cards:
            found = True
            comparison.show_task_comparison(task, cards)
    if not found:
        st.info("No model cards yet. Train and evaluate the models, for example: "
                f"`{training_command('twelve_lead', 'cnn')}` then `{comparison.evaluate_command('twelve_lead')}`")
    disagreements.show_disagreement_explorer()


widgets.run_page(main)
