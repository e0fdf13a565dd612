"""The Streamlit dashboard, page by page, with ``streamlit.testing.v1.AppTest``.

Pages run against a models folder chosen with ``ECG_MODELS_DIR``: an empty one (no models: the pages must
say how to train) or a scratch one holding *untrained* CNN and CRNN models (random weights, built from the
project's architectures and never fitted) with small cards, so that every models-present code path runs
without a trained model. One test uses the real trained models and is skipped when they are absent.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ecg_pipeline.results import MEASURED_CV, RECIPE_CV, RESEEDED_CV, WEIGHTING_CV

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("analyze", "explorer", "comparison", "batch", "about")
TWELVE_LEAD_SAMPLE = "twelve_lead_history_of_mi_1.jpg"
BEAT_SAMPLE = "beat_normal_1.png"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def metric(at: AppTest, label_start: str) -> str:
    return next(str(m.value) for m in at.metric if m.label.startswith(label_start))


@pytest.fixture(scope="session")
def empty_models(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no_models")


def random_measurement_model(classes: list[str], rng: np.random.Generator):
    """A measurement model fitted to random numbers: it runs, and knows nothing."""
    from ecg_pipeline.measure import feature_names
    from ecg_pipeline.models.measurement_model import classifier

    features = rng.normal(size=(40, len(feature_names())))
    return classifier(C=1.0, max_leaf_nodes=3).fit(features, np.arange(40) % len(classes))


@pytest.fixture(scope="session")
def untrained_models(tmp_path_factory) -> Path:
    """CNN and CRNN for both tasks with random weights (no training), and cards in the evaluate.py format."""
    import ecg_pipeline.tf_settings  # noqa: F401
    from ecg_pipeline.constants import MEASUREMENT_KIND, TASK_SPECS, TWELVE_LEAD
    from ecg_pipeline.io.cards import SCHEMA_VERSION, ModelCard, model_path, save_trained_card
    from ecg_pipeline.io.data import sha256_of_file
    from ecg_pipeline.measure import feature_names
    from ecg_pipeline.models.architectures import BUILDERS
    from ecg_pipeline.models.evaluation import bootstrap_intervals, classification_metrics
    from ecg_pipeline.models.measurement_model import save_classifier

    folder = tmp_path_factory.mktemp("untrained_models")
    rng = np.random.default_rng(0)
    for task, spec in TASK_SPECS.items():
        classes = list(spec.classes)
        for kind in spec.model_kinds:
            path = model_path(task, kind, folder)
            if kind == MEASUREMENT_KIND:
                model = random_measurement_model(classes, rng)
                save_classifier(model, path)
                save_trained_card(ModelCard(
                    task=task, model=kind, classes=classes, features=feature_names(), preprocessing={"sigma": 1.0},
                    sha256="", file_size_bytes=0, versions={}, trained_at="2026-01-01T00:00:00+00:00",
                    cross_validation={"macro_f1": 0.5, "macro_f1_std": 0.01, "folds": 5, "repeats": 5,
                                      "per_class_f1": dict.fromkeys(classes, 0.5)},
                    training={"settings_grid": [{}], "training_seconds": 1.0}), folder)
                continue
            model = BUILDERS[kind](spec.input_shape, len(spec.leads), len(classes))
            model.save(path)
            labels = np.arange(30) % len(classes)
            probs = rng.dirichlet(np.ones(len(classes)), len(labels))
            probs[np.arange(len(labels)), labels] += 0.5
            evaluation = classification_metrics(probs / probs.sum(axis=1, keepdims=True), labels, classes)
            evaluation.update(split="test", median_latency_ms=10.0,
                              intervals=bootstrap_intervals(labels, probs.argmax(axis=1), classes, n_resamples=200))
            history = {"loss": [1.2, 0.9], "val_loss": [1.3, 1.0], "accuracy": [0.4, 0.6],
                       "val_accuracy": [0.4, 0.5], "val_image_macro_f1": [0.3, 0.4]}
            save_trained_card(ModelCard.from_dict({
                "schema_version": SCHEMA_VERSION, "preprocessing": {"sigma": 1.0}, "versions": {},
                "task": task, "model": kind, "classes": classes, "input_shape": list(spec.input_shape),
                "sha256": "", "file_size_bytes": 0,
                "parameters": int(model.count_params()), "evaluation": evaluation,
                "training": {"history": history, "training_seconds": 1.0, "epochs_run": 2,
                             "fit_on": ["train", "validation"] if (task, kind) == (TWELVE_LEAD, "cnn") else ["train"]},
                "robustness": {"results": {"clean": evaluation["macro_f1"], "blur": {"mild": 0.5, "strong": 0.3}},
                               "verdict_unchanged": {"blur": {"mild": 0.9, "strong": 0.7}}},
                "trained_at": "2026-01-01T00:00:00+00:00",
                **({"recipe_cross_validation": {"folds": 3, "macro_f1": 0.7},
                    "recipe_cross_validation_other_seeds": {"1": {"folds": 3, "macro_f1": 0.65}}}
                   if (task, kind) == (TWELVE_LEAD, "cnn") else {}),
                **({"lead_weighting": {
                    "model_sha256": sha256_of_file(path),
                    "fitted_on": {"images": 30, "lead_probabilities": "out-of-fold" if kind == "crnn" else "shipped"},
                    "cross_validation": {"folds": 5, "repeats": 3, "macro_f1": 0.61, "mean_of_leads_macro_f1": 0.52},
                    "coef": rng.normal(0, 0.3, (len(classes), len(spec.leads) * len(classes))).tolist(),
                    "intercept": [0.0] * len(classes)}} if len(spec.leads) > 1 else {}),
            }), folder)
    return folder


@pytest.fixture
def no_models(monkeypatch, empty_models):
    monkeypatch.setenv("ECG_MODELS_DIR", str(empty_models))


@pytest.fixture
def with_models(monkeypatch, untrained_models):
    monkeypatch.setenv("ECG_MODELS_DIR", str(untrained_models))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_models(no_models, name):
    at = page(name).run()
    assert not at.exception
    assert not at.error


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_with_models(with_models, name):
    at = page(name).run()
    assert not at.exception
    assert not at.error


def test_entry_point_runs_the_default_page(no_models, monkeypatch):
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    # put back whatever app.py replaces, when the test ends
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    clears = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: clears.append(1))
    script_runner._clean_problem_modules()  # what Streamlit runs after every script run
    assert clears == []  # the models' TensorFlow state survives between runs
    assert "Not a medical device" in texts(at.sidebar.caption)
    assert at.title[0].value == "Analyze an ECG image"
    at.switch_page("pages/about.py").run()
    assert not at.exception
    assert at.title[0].value == "Classes and models"


def chart_keys(at: AppTest) -> set[str]:
    return {chart.key for chart in at.get("plotly_chart") if chart.key}


def test_analyze_sample_shows_every_model_the_measurements_and_a_verdict(with_models):
    at = page("analyze").run()
    at.selectbox(key="analyze_sample").select(TWELVE_LEAD_SAMPLE).run()
    assert not at.exception and not at.error
    assert "12-lead layout was found" in texts(at.info)
    assert "tall bars are the leads the verdict rests on" in texts(at.caption)
    assert metric(at, "Heart rate").endswith("bpm")
    headline = texts(at.markdown)
    if "The models disagree" in headline:  # random models: either headline, each model named
        assert "**CNN**" in headline and "**Measurement model**" in headline
        assert not any(m.label == "Verdict" for m in at.metric)
    else:
        assert metric(at, "Confidence").endswith("%")
    assert "Verdict rule: **mean of" in headline + texts(at.caption)
    assert {"median_beats", "measurement_reasons"} <= chart_keys(at)
    table = next(frame.value for frame in at.dataframe if "ST at J+60 (mV)" in frame.value.columns)
    assert list(table.index) == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    captions = [c for image in at.get("image") for c in image.captions]
    assert any(c.startswith("CNN: parts of lead II") for c in captions)
    assert any(c.startswith("CRNN: parts of lead II") for c in captions)
    assert [d.label for d in at.get("download_button")] == [
        "Probabilities (CSV)", "Everything (JSON)", "Measurements (CSV)", "Stage images (ZIP of PNG)",
        "Digitized signal (CSV)", "Digitized signal (WFDB, ZIP)"]


def test_choosing_another_grad_cam_lead_redraws_its_pictures_and_keeps_the_page(with_models):
    at = page("analyze").run()
    at.selectbox(key="analyze_sample").select(TWELVE_LEAD_SAMPLE).run()
    charts_before = chart_keys(at)
    at.selectbox(key="analyze_cam_lead").select("V2").run()
    assert not at.exception and not at.error
    captions = [c for image in at.get("image") for c in image.captions]
    assert any(c.startswith("CNN: parts of lead V2 ") for c in captions)
    assert not any("parts of lead II " in c for c in captions)
    assert chart_keys(at) == charts_before  # the rest of the page is still there
    at.selectbox(key="analyze_hist_lead").select("V5").run()
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert "Lead V5: intensities and threshold" in titles and "Lead I: intensities and threshold" not in titles


def test_analyze_without_models_says_how_to_train(no_models):
    at = page("analyze").run()
    assert not at.exception and not at.error
    warnings = texts(at.warning)
    assert all(f"{name} unavailable" in warnings for name in ("CNN", "CRNN", "Measurement model"))
    assert "scripts/train.py" in warnings
    assert "No verdict" in texts(at.info)
    assert not any(m.label == "Verdict" for m in at.metric)
    assert "median_beats" in chart_keys(at)  # the measurements need no model
    assert metric(at, "Heart rate").endswith("bpm")


def test_analyze_shows_a_pipeline_error_as_a_message(no_models):
    at = page("analyze").run()
    at.selectbox(key="analyze_sample").select(BEAT_SAMPLE).run()
    assert "single heartbeat" in texts(at.info)
    at.radio(key="analyze_task").set_value("twelve_lead").run()
    assert not at.exception
    assert "too small to split into 12 leads" in at.error[0].value


def test_explorer_sigma_changes_the_binary_leads(no_models):
    at = page("explorer").run()
    before = metric(at, "Ink share")
    at.slider(key="explorer_sigma").set_value(4.0).run()
    assert not at.exception
    assert metric(at, "Ink share") != before
    at.radio(key="explorer_method").set_value("manual").run()
    at.slider(key="explorer_manual").set_value(30).run()
    assert not at.exception
    assert metric(at, "Threshold") == "30.0"


def test_explorer_steps_through_every_stage(with_models):
    at = page("explorer").run()
    from dashboard.explorer import STAGES

    for stage in STAGES:
        at.select_slider(key="explorer_stage").set_value(stage).run()
        assert not at.exception and not at.error
        assert at.subheader[0].value == stage
        if stage == "Measurements":
            assert any("median beat" in str(chart.proto.spec) for chart in at.get("plotly_chart"))


def test_batch_scores_the_builtin_samples(with_models):
    at = page("batch").run()
    at.checkbox(key="batch_samples").check().run()
    assert not at.exception
    from ecg_pipeline.constants import TASK_SPECS

    table = next(frame.value for frame in at.dataframe if "predicted_class" in frame.value)  # the per-model table
    manifest = pd.read_csv(ROOT / "data" / "samples" / "manifest.csv")
    assert set(table["file"]) == set(manifest["file"])
    for file, rows in table.groupby("file"):  # a row per model of the image's task, then the verdict's
        task = manifest.set_index("file").loc[file, "task"]
        assert list(rows["model"]) == [*TASK_SPECS[task].model_kinds, "verdict"]
    assert (table["error"].fillna("") == "").all()
    models = table[table["model"] != "verdict"]
    assert models["predicted_class"].notna().all()
    assert "Download the table (CSV)" in {button.label for button in at.get("download_button")}


def test_batch_scoring_reads_zips_in_memory_and_reports_bad_files(with_models):
    from dashboard import batch, state

    samples = ROOT / "data" / "samples"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pages/" + TWELVE_LEAD_SAMPLE, (samples / TWELVE_LEAD_SAMPLE).read_bytes())
        zf.writestr("notes.txt", b"not an image")
    items = batch.collect_items([(BEAT_SAMPLE, (samples / BEAT_SAMPLE).read_bytes()),
                                 ("broken.png", b"\x89PNG but not really"), ("scans.zip", archive.getvalue())])
    assert [i.name for i in items] == [BEAT_SAMPLE, "broken.png", f"scans.zip/pages/{TWELVE_LEAD_SAMPLE}",
                                       "scans.zip/notes.txt"]
    rows = [row for item in items for row in batch.score_item(item, "auto", state.prediction_rows_bytes)]
    table = batch.rows_table(rows, "auto")
    scored = table[(table["error"].fillna("") == "") & (table["model"] != "verdict")]
    assert scored.groupby("file")["task"].first().to_dict() == {BEAT_SAMPLE: "beat",
                                                               f"scans.zip/pages/{TWELVE_LEAD_SAMPLE}": "twelve_lead"}
    errors = table.set_index("file")["error"]
    assert "not an image" in errors["broken.png"].iloc[0]
    assert "Not an image file" in errors["scans.zip/notes.txt"].iloc[0]


def test_downloads_hold_probabilities_and_stage_pngs(with_models):
    from dashboard import state, tables

    analysis = state.analyze_bytes((ROOT / "data" / "samples" / TWELVE_LEAD_SAMPLE).read_bytes())
    frame = tables.probabilities_frame(analysis)
    per_lead = frame[~frame["lead"].str.startswith("all leads")]
    assert set(per_lead["model"]) == {"cnn", "crnn"} and per_lead.groupby("model").size().tolist() == [13, 13]
    assert set(frame["model"]) == {"cnn", "crnn", "measurements"}
    document = json.loads(tables.probabilities_json(analysis, TWELVE_LEAD_SAMPLE, 1.0, "otsu"))
    assert set(document["models"]) == {"cnn", "crnn", "measurements"}
    assert len(document["models"]["cnn"]["per_lead"]) == 13
    assert len(document["models"]["crnn"]["lead_contributions"]) == 13
    assert document["gate"]["passed"] and document["verdict"]["agreement"] in {"agree", "disagree"}
    assert document["measurements"]["page"]["heart_rate_bpm"] > 30
    assert set(document["measurements"]["leads"]["V2"]) >= {"st_j60_mv", "q_depth_mv", "t_min_mv"}
    names = zipfile.ZipFile(io.BytesIO(tables.stages_zip(analysis.pipeline))).namelist()
    assert "03_grayscale.png" in names and all(n.endswith(".png") for n in names)


def test_comparison_reads_cards_and_finds_disagreements(with_models):
    at = page("comparison").run()
    assert not at.exception and not at.error
    assert "cross-validated macro-F1 0.610 with the weighting, 0.520 with the plain mean" in texts(at.caption)
    weighting_captions = {line.split(":")[0]: line for line in texts(at.caption).splitlines()
                          if "with the plain mean of the leads" in line}
    assert "the network learnt from these images" in weighting_captions["CNN"]
    assert "each scored by a network retrained without it" in weighting_captions["CRNN"]
    assert "CNN: the final fit, on the training and validation images together" in texts(at.caption)
    assert "CRNN: the final fit" not in texts(at.caption)
    assert "whole recipe by scripts/cross_validate.py" in texts(at.caption)  # CV rows are not test figures
    metrics = at.table[0].value
    assert list(metrics.columns) == ["CNN", "CRNN", "Measurement model"] and "Macro-F1 (95 % CI)" in metrics.index
    assert metrics.loc[f"Cross-validated macro-F1: {MEASURED_CV}", "Measurement model"].startswith("0.500 ± 0.010")
    assert metrics.loc[f"Cross-validated macro-F1: {WEIGHTING_CV}", "CNN"].startswith("0.610 ")
    assert metrics.loc[f"Cross-validated macro-F1: {RECIPE_CV}"].tolist()[1:] == ["—", "—"]  # only the CNN has one
    assert metrics.loc[f"Cross-validated macro-F1: {RESEEDED_CV}", "CNN"] == "seed 1: 0.650"
    assert "0.700 and 0.610 measure different things" in texts(at.caption)
    assert re.fullmatch(r"\d\.\d{3} \(\d\.\d\d–\d\.\d\d\)", metrics.loc["Accuracy (95 % CI)", "CNN"])
    per_class = next(frame.value for frame in at.dataframe if "F1 95 % CI" in frame.value.columns)
    assert (per_class["F1 95 % CI"] != "—").all() and set(per_class["model"]) == {"CNN", "CRNN"}
    robustness = next(frame.value for frame in at.dataframe if "distortion" in frame.value.columns)
    blur = robustness[(robustness.distortion == "blur") & (robustness.level == "strong")].iloc[0]
    assert blur["CNN macro-F1"] == 0.3 and blur["CRNN verdicts unchanged"] == 0.7
    at.button(key="disagreements_run").click().run()
    assert not at.exception
    assert metric(at, "Images scored") == str(len(pd.read_csv(ROOT / "data" / "samples" / "manifest.csv")))


def test_comparison_without_cards_says_how_to_train(no_models):
    at = page("comparison").run()
    assert "scripts/train.py" in texts(at.info)


def test_about_lists_classes_sources_and_the_warning(no_models):
    from ecg_pipeline.constants import DATA_SOURCES, TASK_SPECS

    at = page("about").run()
    body = texts(at.markdown)
    for spec in TASK_SPECS.values():
        assert all(name in body for name in spec.display_names.values())
    assert all(source["doi"] in body and source["licence"] in body for source in DATA_SOURCES.values())
    assert "not a medical device" in texts(at.warning)
    assert "**Real** ones come from the test split" in body and "**Synthetic** ones" in body


def _trained_models_present() -> bool:
    from ecg_pipeline.io.cards import file_matches_card

    return all(file_matches_card("twelve_lead", kind) for kind in ("cnn", "crnn"))


@pytest.mark.skipif(not _trained_models_present(), reason="needs the trained 12-lead CNN and CRNN in models/")
def test_analyze_with_the_trained_models(monkeypatch):
    monkeypatch.delenv("ECG_MODELS_DIR", raising=False)
    at = page("analyze").run()
    at.selectbox(key="analyze_sample").select(TWELVE_LEAD_SAMPLE).run()
    assert not at.exception and not at.error
    assert any(m.label == "Verdict" for m in at.metric) or "The models disagree" in texts(at.markdown)
    assert "median_beats" in chart_keys(at)


@pytest.mark.parametrize("models", ["no_models", "with_models"])
def test_waiting_for_an_upload_loads_the_models_first(models, request, monkeypatch):
    from ecg_pipeline.constants import TASK_SPECS, TASKS
    from ecg_pipeline.models import inference

    request.getfixturevalue(models)
    monkeypatch.setattr(inference, "_cache", {})  # earlier tests' models would hide whether this page loads them
    at = page("analyze").run()
    at.radio(key="analyze_source").set_value("upload").run()
    assert not at.exception and not at.error
    assert "Upload a 12-lead report page" in texts(at.info)
    loaded = {(task, kind) for task, kind, _ in inference._cache}
    expected = set() if models == "no_models" else {(t, k) for t in TASKS for k in TASK_SPECS[t].model_kinds}
    assert loaded == expected


@pytest.mark.parametrize("n_leads", [1, 2, 13])
def test_trace_panels_stay_on_the_figure_and_do_not_overlap(n_leads):
    from types import SimpleNamespace

    from dashboard.charts import trace_figure
    from ecg_pipeline.constants import TASK_SPECS, TWELVE_LEAD

    leads = list(TASK_SPECS[TWELVE_LEAD].leads)[:n_leads]
    flat = SimpleNamespace(seconds=np.arange(10.0), millivolts=np.zeros(10))
    figure = trace_figure(dict.fromkeys(leads, flat), leads)
    domains = sorted(figure.layout[f"yaxis{'' if i == 0 else i + 1}"].domain for i in range(n_leads))
    assert all(0.0 <= low < high <= 1.0 for low, high in domains)
    assert all(below[1] < above[0] for below, above in zip(domains, domains[1:], strict=False))


def _lead_stages_of_the_sample_at(width: int) -> None:
    # AppTest runs this function's source on its own: everything it needs is imported here.
    from pathlib import Path

    from dashboard import widgets
    from ecg_pipeline.io.loading import load_image
    from ecg_pipeline.preprocess.distortions import rescale
    from ecg_pipeline.preprocess.pipeline import run_pipeline

    sample = load_image(Path("data/samples/twelve_lead_history_of_mi_1.jpg").resolve())
    widgets.show_lead_stages(run_pipeline(rescale(sample, width / sample.shape[1]), sigma=1.0))


# The samples are drawn at the shared printouts' scale and saved 1600 px wide: 0.72 of it.
@pytest.mark.parametrize(("width", "said"), [(1600, "Sigma 1 was applied as 0.72 pixels"), (2213, None)])
def test_lead_stages_say_when_sigma_was_scaled_to_the_page(width, said, monkeypatch):
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(_lead_stages_of_the_sample_at, args=(width,), default_timeout=60).run()
    assert not at.exception
    captions = texts(at.caption)
    if said:
        assert said in captions
    else:
        assert "pixels per millimetre" not in captions


@pytest.mark.parametrize("name", ["about", "comparison"])
def test_a_refused_card_is_named_with_its_reason_not_hidden(monkeypatch, untrained_models, tmp_path, name):
    import shutil

    for path in untrained_models.iterdir():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "twelve_lead_crnn.json").write_text('{"task": "twelve_lead", "model": "crnn"}')
    monkeypatch.setenv("ECG_MODELS_DIR", str(tmp_path))
    at = page(name).run()
    assert not at.exception
    assert "CRNN" in texts(at.error) and "no schema version" in texts(at.error)
