"""Classes and models: what each class means, the model cards, the data sources, and what this is not."""

import streamlit as st

from dashboard import state, tables, widgets
from ecg_pipeline.constants import BEAT, DATA_SOURCES, TASK_SPECS, TASKS, TWELVE_LEAD
from ecg_pipeline.io.cards import training_command
from ecg_pipeline.models.inference import title


def show_cards(task: str) -> None:
    cards, problems = state.read_cards(task)
    for kind, problem in problems.items():
        st.error(f"{title(kind)}: its card was refused. {problem}", icon=":material/error:")
    if not cards and not problems:
        st.info(f"No trained models for this task yet. Train them with: `{training_command(task, 'cnn')}` "
                f"and `{training_command(task, 'crnn')}`")
        return
    if not cards:
        return
    st.table(tables.metrics_table(cards))  # sentences as row names: a data grid would cut them off
    for kind in TASK_SPECS[task].model_kinds:
        card = cards.get(kind)
        if card is None:
            if kind not in problems:
                st.caption(f"{title(kind)}: no card yet. Train it with: `{training_command(task, kind)}`")
            continue
        training = (card.training or {})
        images = training.get("images", {})
        fit_on = training.get("fit_on", ["train"])
        split = (f"{sum(images.values())} {' and '.join(fit_on)}" if len(fit_on) > 1 else
                 ", ".join(f"{n} {name}" for name, n in images.items())) or "not recorded"
        reads = (f"{len(card.features)} measurements of the digitized trace" if card.features else
                 f"input {' x '.join(map(str, card.input_shape or []))} pixels per lead")
        st.markdown(f"**{title(kind)}**: {reads}; split manifest `{training.get('split_manifest', 'n/a')}` "
                    f"({split} images); trained {card.trained_at}.")
        with st.expander(f"Full {title(kind)} card (JSON)"):
            st.json(card.to_dict(), expanded=1)


#: Widths the class examples are shown at, in pixels: a page needs room for its leads, a beat does not.
EXAMPLE_WIDTHS = {TWELVE_LEAD: 520, BEAT: 200}


def show_class(task: str, class_id: str) -> None:
    """A class's description beside one real example of it."""
    spec = TASK_SPECS[task]
    text, picture = st.columns([3, 2], vertical_alignment="center")
    text.markdown(f"**{spec.display_names[class_id]}** (`{class_id}`): {spec.descriptions[class_id]}")
    example = state.class_example(task, class_id)
    if example is None:
        picture.caption("No real example among the built-in samples.")
        return
    picture.image(state.thumbnail(example["file"], EXAMPLE_WIDTHS[task]),
                  caption=f"A real example ({example['original_file']}, test split)")


def main() -> None:
    st.title("Classes and models")
    st.warning("This is **not a medical device**; do not use it for diagnosis. It is a research and teaching "
             "prototype: its outputs are probabilities from models trained on public datasets, not clinical "
             "findings.", icon=":material/warning:")
    for task in TASKS:
        spec = TASK_SPECS[task]
        st.header(f"{spec.title[0].upper()}{spec.title[1:]}")
        st.subheader("Classes")
        for class_id in spec.classes:
            show_class(task, class_id)
        st.subheader("Models")
        show_cards(task)
        source = DATA_SOURCES[task]
        st.subheader("Training data")
        st.markdown(f"*{source['name']}*, {source['authors']}; {source['publisher']}, "
                    f"doi:[{source['doi']}](https://doi.org/{source['doi']}). Licence: {source['licence']}. "
                    "The real built-in samples are images of this set's test split, credited here and beside them.")
    st.header("Limitations")
    st.markdown(
        "- The built-in samples are of two kinds. **Real** ones come from the test split of the data sets above "
        "(the models never saw them; the printouts' patient fields are blanked). **Synthetic** ones are drawn by the "
        "project's own generator (scripts/make_samples.py) as the class in their name, unlike anything the models "
        "learnt from: the networks often misread them, which shows how narrow their training was.\n"
        "- An image that does not look like an ECG (no layout, no thin trace, no beat-like rhythm) gets no verdict; "
        "the Analyze page says why and offers to analyse it anyway, marked as such.\n"
        "- The models only know the classes above. An ECG with another condition still gets one of these labels.\n"
        "- Photos with strong shadows, folds or a layout other than 3 x 4 leads plus a rhythm strip are read less "
        "reliably; the Analyze page warns when the layout does not match.\n"
        "- Nothing you upload is stored: images stay in memory for your session only."
    )


widgets.run_page(main)
