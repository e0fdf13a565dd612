"""Model comparison: figures read from the model cards and the verdict rule (the disagreement explorer is in
``dashboard.disagreements``)."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state, tables
from ecg_pipeline.constants import TASK_SPECS
from ecg_pipeline.io.cards import ModelCard, training_command
from ecg_pipeline.models.aggregation import LeadWeighting
from ecg_pipeline.models.inference import title
from ecg_pipeline.results import interval_text, why_cross_validations_differ


def evaluate_command(task: str) -> str:
    return training_command(task, "cnn").replace("scripts/train.py", "scripts/evaluate.py").replace(
        " --model cnn", "")


def show_task_comparison(task: str, cards: dict[str, ModelCard]) -> None:
    """Everything the cards of one task say, CNN and CRNN side by side."""
    spec = TASK_SPECS[task]
    st.header(f"{spec.title[0].upper()}{spec.title[1:]} models")
    for kind in spec.model_kinds:
        if kind not in cards:
            st.info(f"No {title(kind)} card yet. Train it with: `{training_command(task, kind)}`")
    evaluated = {kind: card for kind, card in cards.items() if card.evaluation}
    if len(evaluated) < len(cards):
        st.info(f"Some models have no test-set evaluation yet. Run: `{evaluate_command(task)}`")
    st.subheader("Headline figures")
    # st.table, not st.dataframe: its row names are sentences, and a data grid cuts them off
    st.table(tables.metrics_table(cards))
    if evaluated:
        split = next(iter(evaluated.values())).evaluation.get("split", "test")
        st.caption(f"Computed by scripts/evaluate.py on the {split} split and stored in the model cards; the 95 % "
                   "intervals (CI) are a bootstrap of those images, resampled within each class, and show how far a "
                   "figure moves with which images happen to be in a split this small. The cross-validated rows "
                   "are over the training and validation images instead: the networks' whole recipe by "
                   "scripts/cross_validate.py, their lead weighting by scripts/fit_lead_weighting.py, the "
                   "measurement model by scripts/train.py.")
        for kind, card in cards.items():
            why = why_cross_validations_differ(card)
            if why:
                st.caption(f"{title(kind)}: {why}")
        st.subheader("Per class")
        st.dataframe(tables.per_class_table(evaluated, task), hide_index=True, width="stretch",
                     key=f"{task}_per_class")
        st.subheader("Confusion matrices")
        for column, (kind, card) in zip(st.columns(len(evaluated)), evaluated.items(), strict=True):
            with column:
                matrix = card.evaluation.get("confusion_matrix")
                if matrix:
                    st.plotly_chart(charts.confusion_matrix_figure(matrix, task, title(kind)), width="stretch",
                                    key=f"{task}_confusion_{kind}")
        st.subheader("ROC curves (one class against the rest)")
        for column, (kind, card) in zip(st.columns(len(evaluated)), evaluated.items(), strict=True):
            with column:
                st.plotly_chart(charts.roc_figure(card.evaluation, task, title(kind)), width="stretch",
                                key=f"{task}_roc_{kind}")
        st.subheader("Calibration")
        reliability = {k: c.evaluation["reliability"] for k, c in evaluated.items()
                       if c.evaluation.get("reliability")}
        if reliability:
            st.plotly_chart(charts.reliability_figure(reliability), width="stretch", key=f"{task}_reliability")
            st.caption("A calibrated model is right 80% of the time when it says 80%: its line follows the diagonal.")
    show_lead_weights(task, cards)
    histories = {k: c.training["history"] for k, c in cards.items() if (c.training or {}).get("history")}
    if histories:
        st.subheader("Training")
        st.plotly_chart(charts.training_figure(histories), width="stretch", key=f"{task}_training")
        final_fits = [title(kind) for kind, card in cards.items()
                      if "validation" in (card.training or {}).get("fit_on", [])]
        if final_fits:
            st.caption(f"{' and '.join(final_fits)}: the final fit, on the training and validation images together, "
                       "for the epochs and learning-rate steps chosen earlier on the validation split; it has "
                       "no validation curve.")
    show_verdict_rule(task)
    robustness = tables.robustness_table(cards)
    if robustness is not None:
        st.subheader("Robustness: macro-F1 on distorted test images, and verdicts the distortion left unchanged")
        st.dataframe(robustness, hide_index=True, width="stretch")


def show_lead_weights(task: str, cards: dict[str, ModelCard]) -> None:
    """Each network's learnt lead weighting, with its cross-validated figures."""
    weighted = {kind: card.lead_weighting for kind, card in cards.items() if card.lead_weighting}
    if not weighted:
        return
    st.subheader("How each model weighs the leads")
    for column, (kind, fitted) in zip(st.columns(len(weighted)), weighted.items(), strict=True):
        with column:
            weights = LeadWeighting.from_dict(fitted).lead_weights()
            st.plotly_chart(charts.lead_weights_figure(weights, task, title(kind)), width="stretch",
                            key=f"{task}_lead_weights_{kind}")
            cv = fitted["cross_validation"]
            out_of_fold = fitted["fitted_on"].get("lead_probabilities") == "out-of-fold"
            st.caption(f"{title(kind)}: cross-validated macro-F1 {cv['macro_f1']:.3f} with the weighting, "
                       f"{cv['mean_of_leads_macro_f1']:.3f} with the plain mean of the leads "
                       f"({cv['folds']} folds x {cv['repeats']} over {fitted['fitted_on']['images']} "
                       "training and validation images; "
                       + ("each scored by a network retrained without it, by scripts/cross_validate.py)."
                          if out_of_fold else
                          "the network learnt from these images, so the test split's figure above is the "
                          "fairer one)."))
    st.caption("Each model's lead probabilities are combined by a logistic regression fitted on the training "
               "and validation images (scripts/fit_lead_weighting.py). A cell is the weight of one lead's own "
               "probability of a class in that class's score: red leads count more, blue ones count against.")


def show_verdict_rule(task: str) -> None:
    """How the headline verdict combines the models, and how every candidate rule scored out of fold."""
    card = state.verdict_card(task)
    if card is None:
        if len(TASK_SPECS[task].model_kinds) > 2:
            st.info("No verdict rule fitted yet: the headline is the mean of the models that ran. Run "
                    "`python scripts/fit_verdict_rule.py`.")
        return
    st.subheader("The headline verdict")
    rule = card["rule"]
    st.markdown(f"The headline verdict is the **{rule['name']}**: of every way to average the models, it scored best "
                f"out of fold (macro-F1 {rule['out_of_fold']['macro_f1']:.3f} over {rule['out_of_fold']['images']} "
                "training and validation pages, each page scored by models that never saw it).")
    tested = card.get("evaluation")
    if tested:
        intervals = tested.get("intervals", {})
        st.markdown(f"On the {tested['split']} split the verdict scores accuracy "
                    f"{interval_text(tested['accuracy'], intervals.get('accuracy'))} and macro-F1 "
                    f"{interval_text(tested['macro_f1'], intervals.get('macro_f1'))} ({tested['n_images']} pages, "
                    "scripts/evaluate.py).")
    st.dataframe(tables.rules_table(card, task), hide_index=True, width="stretch", key=f"{task}_rules")
    st.caption("scripts/fit_verdict_rule.py, from the out-of-fold probabilities of the measurement model's "
               "cross-validation and of the networks' whole-recipe cross-validation (mean of their leads).")

