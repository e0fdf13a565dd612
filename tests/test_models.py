"""Architectures, shipped models and their cards, analyze(), thread safety and the missing-model path."""

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline import analyze
from ecg_pipeline.constants import BEAT, MEASUREMENT_KIND, NETWORK_KINDS, TASK_SPECS, TASKS, TWELVE_LEAD
from ecg_pipeline.errors import ModelUnavailableError
from ecg_pipeline.io.cards import card_path, model_path, read_card, write_lead_weighting
from ecg_pipeline.io.data import sha256_of_file
from ecg_pipeline.models.aggregation import AGGREGATION_METHOD, WEIGHTED_AGGREGATION_METHOD, LeadWeighting
from ecg_pipeline.models.architectures import BUILDERS, GRADCAM_LAYER
from ecg_pipeline.models.inference import load_model

from .conftest import ROOT, sample_path

SHIPPED = [(task, kind) for task in TASKS for kind in TASK_SPECS[task].model_kinds]
TWELVE_LEAD_KINDS = TASK_SPECS[TWELVE_LEAD].model_kinds


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_architectures_build_and_give_probabilities(task, kind):
    spec = TASK_SPECS[task]
    model = BUILDERS[kind](spec.input_shape, len(spec.leads), len(spec.classes))
    images = np.zeros((3, *spec.input_shape, 1), np.float32)
    leads = np.eye(len(spec.leads), dtype=np.float32)[np.zeros(3, int)]
    probs = np.asarray(model([images, leads]))
    assert probs.shape == (3, len(spec.classes))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert model.get_layer(GRADCAM_LAYER) is not None
    if kind == "crnn":  # the width of the image becomes time steps read by a recurrent layer
        assert model.get_layer("bigru").output.shape[1] == model.get_layer("to_sequence").output.shape[1] > 8


@pytest.mark.parametrize("task, kind", SHIPPED)
def test_shipped_model_matches_its_card(task, kind):
    path = model_path(task, kind)
    card = read_card(task, kind)
    assert path.exists() and card is not None, f"{path} and its card are shipped"
    assert path.stat().st_size < 10 * 1024 * 1024
    assert card.sha256 == sha256_of_file(path)
    assert card.classes == list(TASK_SPECS[task].classes)
    evaluation = card.evaluation
    assert set(evaluation["per_class"]) == set(TASK_SPECS[task].classes)
    assert np.asarray(evaluation["confusion_matrix"]).sum() == evaluation["n_images"]
    loaded = load_model(task, kind)
    if kind == MEASUREMENT_KIND:
        from ecg_pipeline.measure import feature_names

        assert card.features == feature_names()  # the model reads the measurements the library computes
        assert loaded.model.n_features_in_ == len(card.features)
    else:
        assert card.training["history"]["loss"]
        assert loaded.model.count_params() == card.parameters


def test_analyze_twelve_lead_sample(sample_manifest):
    result = analyze(sample_path(sample_manifest, TWELVE_LEAD, "normal"))
    classes = list(TASK_SPECS[TWELVE_LEAD].classes)
    assert result.task == TWELVE_LEAD and result.models == list(TWELVE_LEAD_KINDS)
    assert len(result.per_lead) == 13 * len(NETWORK_KINDS)
    assert list(result.per_lead.columns) == ["model", "lead", *classes]
    assert np.allclose(result.per_lead[classes].sum(axis=1), 1.0)
    assert np.allclose(result.aggregate[classes].sum(axis=1), 1.0)
    for kind in NETWORK_KINDS:  # the aggregate is the card's lead weighting of this model's lead probabilities
        card = read_card(TWELVE_LEAD, kind)
        assert card.lead_weighting["model_sha256"] == card.sha256
        weighting = LeadWeighting.from_dict(card.lead_weighting)
        assert np.allclose(weighting.probabilities(result.lead_probabilities(kind)),
                           result.aggregate.loc[kind, classes])
        contributions = result.lead_contributions.query("model == @kind").set_index("lead")[classes]
        assert list(contributions.index) == list(TASK_SPECS[TWELVE_LEAD].leads)
        scores = contributions.sum(axis=0).to_numpy() + weighting.intercept
        assert classes[int(np.argmax(scores))] == result.aggregate.loc[kind, "predicted_class"]
    assert set(result.aggregate["predicted_class"]) <= set(classes)
    assert WEIGHTED_AGGREGATION_METHOD in result.aggregation
    verdict = result.verdict()
    assert verdict.agreement == "agree" and verdict.predicted_class == "normal"  # a real normal page
    rule = result.rule.models
    assert verdict.confidence == pytest.approx(result.aggregate.loc[list(rule), "normal"].mean())


def test_analyze_beat_sample(sample_manifest):
    result = analyze(sample_path(sample_manifest, BEAT), task="auto")
    assert result.task == BEAT and len(result.per_lead) == len(NETWORK_KINDS)
    assert result.aggregation == AGGREGATION_METHOD and result.lead_contributions.empty  # one lead: nothing to weigh
    assert list(result.aggregate.columns) == [*TASK_SPECS[BEAT].classes, "predicted_class"]


def test_analyze_from_eight_threads_equals_serial(sample_manifest):
    paths = [sample_path(sample_manifest, TWELVE_LEAD, c) for c in TASK_SPECS[TWELVE_LEAD].classes] * 2
    serial = [analyze(p).aggregate for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(analyze, paths))
    for one, other in zip(serial, parallel, strict=True):
        assert np.allclose(one.drop(columns="predicted_class").to_numpy(float),
                           other.aggregate.drop(columns="predicted_class").to_numpy(float), atol=1e-6)


def test_the_measurement_explanation_is_the_prediction_and_each_measurement_set_to_typical(sample_manifest):
    from ecg_pipeline.measure import measure_page
    from ecg_pipeline.preprocess.pipeline import run_pipeline

    model = load_model(TWELVE_LEAD, MEASUREMENT_KIND)
    measured = measure_page(run_pipeline(sample_path(sample_manifest, TWELVE_LEAD, "myocardial_infarction")))
    probabilities, frame = model.explain_page(measured)
    # one classifier call for the page and its variants: the same probabilities but for the last bit
    np.testing.assert_allclose(probabilities, model.predict_page(measured), rtol=0, atol=1e-12)
    top, k = frame.iloc[0], int(np.argmax(probabilities))
    row = model.features(measured)
    row[0, model.feature_names.index(top["feature"])] = np.nan  # the imputer's median: a typical value
    assert top["change"] == pytest.approx(probabilities[k] - model.model.predict_proba(row)[0, k], abs=1e-12)
    assert top["change"] != 0 and frame["change"].abs().is_monotonic_decreasing
    assert sorted(frame["feature"]) == sorted(model.feature_names)


def test_missing_models_give_a_clear_message_and_the_pipeline_still_runs(tmp_path, sample_manifest):
    with pytest.raises(ModelUnavailableError, match="scripts/train.py --task twelve_lead --model cnn"):
        load_model(TWELVE_LEAD, "cnn", models_dir=tmp_path)
    result = analyze(sample_path(sample_manifest, TWELVE_LEAD), models_dir=tmp_path)
    assert result.aggregate.empty and set(result.model_errors) == set(TWELVE_LEAD_KINDS)
    assert len(result.pipeline.leads) == 13


def test_a_lead_weighting_left_from_another_model_file_is_not_used(tmp_path, sample_manifest):
    for path in (model_path(TWELVE_LEAD, "cnn"), card_path(TWELVE_LEAD, "cnn")):
        shutil.copy(path, tmp_path / path.name)
    before = analyze(sample_path(sample_manifest, TWELVE_LEAD), models=("cnn",), models_dir=tmp_path)
    assert before.aggregation == WEIGHTED_AGGREGATION_METHOD
    weighting = {**read_card(TWELVE_LEAD, "cnn", tmp_path).lead_weighting, "model_sha256": "0" * 64}
    write_lead_weighting(TWELVE_LEAD, "cnn", weighting, tmp_path)  # the running process notices the changed card
    result = analyze(sample_path(sample_manifest, TWELVE_LEAD), models=("cnn",), models_dir=tmp_path)
    assert result.aggregation == AGGREGATION_METHOD
    assert np.allclose(result.lead_probabilities("cnn").mean(axis=0),
                       result.aggregate.loc["cnn", list(TASK_SPECS[TWELVE_LEAD].classes)])


def test_corrupted_model_file_is_caught_by_its_card(tmp_path, sample_manifest):
    shutil.copy(model_path(TWELVE_LEAD, "cnn"), tmp_path / model_path(TWELVE_LEAD, "cnn").name)
    shutil.copy(card_path(TWELVE_LEAD, "cnn"), tmp_path / card_path(TWELVE_LEAD, "cnn").name)
    corrupted = tmp_path / model_path(TWELVE_LEAD, "cnn").name
    data = bytearray(corrupted.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailableError, match="does not match the SHA-256"):
        load_model(TWELVE_LEAD, "cnn", models_dir=tmp_path)
    result = analyze(sample_path(sample_manifest, TWELVE_LEAD), models=("cnn",), models_dir=tmp_path)
    assert "cnn" in result.model_errors and result.aggregate.empty


@pytest.mark.parametrize("kind", NETWORK_KINDS)
@pytest.mark.parametrize("kept", ["left", "right"])
def test_gradcam_heat_lies_on_the_half_of_each_lead_that_holds_the_trace(sample_manifest, kind, kept):
    result = analyze(sample_path(sample_manifest, TWELVE_LEAD, "myocardial_infarction"), models=())
    inputs = result.pipeline.model_inputs.astype(np.float32)
    half = inputs.shape[2] // 2
    if kept == "left":
        inputs[:, :, half:] = 0
    else:
        inputs[:, :, :half] = 0
    model = load_model(TWELVE_LEAD, kind)
    heat = model.gradcam(inputs, int(model.aggregate(model.predict(inputs)).argmax()))
    assert heat.shape == inputs.shape
    left, right = heat[:, :, :half].sum(axis=(1, 2)), heat[:, :, half:].sum(axis=(1, 2))
    on_trace = (left > right) if kept == "left" else (right > left)
    assert on_trace.mean() >= 0.6  # a map of zeros, or one blind to the input, puts no lead's heat on the trace


@pytest.mark.parametrize("change, message", [
    (lambda card: card.pop("schema_version"), "no schema version"),
    (lambda card: card.update(schema_version=0), "schema version 0"),
    (lambda card: card.pop("sha256"), "missing sha256"),
    (lambda card: card.update(accuracy=1.0), "unknown accuracy"),
    (lambda card: card.update(recipe_cross_validation_other_seeds=None), "wrong type: recipe_cross_validation_other"),
    (lambda card: card.update(sha256=5), "wrong type: sha256"),
])
def test_a_card_of_another_schema_or_with_missing_fields_is_refused_with_how_to_regenerate_it(tmp_path, change,
                                                                                               message):
    for path in (model_path(TWELVE_LEAD, "cnn"), card_path(TWELVE_LEAD, "cnn")):
        shutil.copy(path, tmp_path / path.name)
    data = json.loads(card_path(TWELVE_LEAD, "cnn", tmp_path).read_text())
    change(data)
    card_path(TWELVE_LEAD, "cnn", tmp_path).write_text(json.dumps(data))
    with pytest.raises(ModelUnavailableError, match=message) as refused:
        load_model(TWELVE_LEAD, "cnn", models_dir=tmp_path)
    assert "scripts/train.py --task twelve_lead --model cnn" in str(refused.value)


def test_only_training_writes_the_hash_so_no_other_writer_blesses_a_replaced_file(tmp_path):
    from ecg_pipeline.io.cards import write_evaluation

    for path in (model_path(TWELVE_LEAD, "cnn"), card_path(TWELVE_LEAD, "cnn")):
        shutil.copy(path, tmp_path / path.name)
    before = card_path(TWELVE_LEAD, "cnn", tmp_path).read_text()
    replaced = model_path(TWELVE_LEAD, "cnn", tmp_path)
    replaced.write_bytes(model_path(TWELVE_LEAD, "crnn").read_bytes())
    with pytest.raises(ModelUnavailableError, match="does not match the SHA-256"):
        write_evaluation(TWELVE_LEAD, "cnn", {"accuracy": 1.0}, tmp_path)
    assert card_path(TWELVE_LEAD, "cnn", tmp_path).read_text() == before


def test_augmentation_keeps_time_and_polarity_and_the_value_range():
    import tensorflow as tf

    from ecg_pipeline.models.training import augment_leads

    height, width = TASK_SPECS[TWELVE_LEAD].input_shape
    images = np.zeros((64, height, width, 1), np.float32)
    images[:, 5:15, 5 : width // 4] = 1.0  # ink top left only
    tf.random.set_seed(0)
    augmented = augment_leads(tf.constant(images), max_shift=4).numpy()
    assert augmented.shape == images.shape
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0
    ink = augmented > 0.5  # above the added noise
    ink_columns, ink_rows = ink.sum(axis=(1, 3)), ink.sum(axis=(2, 3))
    assert (ink_columns[:, : width // 2].sum(axis=1) > 0.9 * ink_columns.sum(axis=1)).all()  # no time reversal
    assert (ink_rows[:, : height // 2].sum(axis=1) > 0.9 * ink_rows.sum(axis=1)).all()  # no polarity flip
    assert np.std([image.sum() for image in augmented]) > 0  # each image drawn on its own


def test_final_fit_runs_every_epoch_without_validation_and_halves_the_learning_rate():
    from ecg_pipeline.models.training import train_model

    spec = TASK_SPECS[TWELVE_LEAD]
    rng = np.random.default_rng(0)
    n_images = 8
    inputs = (rng.random((n_images, len(spec.leads), *spec.input_shape)) > 0.9).astype(np.uint8)
    labels = np.arange(n_images) % len(spec.classes)
    model, history = train_model(TWELVE_LEAD, "cnn", (inputs, labels), None, epochs=3, batch_size=4,
                                 learning_rate=1e-3, halve_lr_at=(1, 2), verbose=0)
    assert len(history["loss"]) == 3  # no early stopping without a validation split
    assert history["learning_rate"] == pytest.approx([1e-3, 5e-4, 2.5e-4])
    assert "val_loss" not in history
    assert model.output.shape[-1] == len(spec.classes)


def test_recipe_cross_validation_scores_every_image_once_with_a_model_that_never_saw_it(monkeypatch):
    from ecg_pipeline.models import training
    from ecg_pipeline.models.cross_validation import out_of_fold_probabilities as out_of_fold

    trained_on = []
    real_train_model = training.train_model

    def recording_train_model(task, kind, train, *args, **kwargs):
        trained_on.append({image.tobytes() for image in train[0]})
        return real_train_model(task, kind, train, *args, **kwargs)

    monkeypatch.setattr(training, "train_model", recording_train_model)
    spec = TASK_SPECS[TWELVE_LEAD]
    rng = np.random.default_rng(1)
    n_images, folds = 12, 3
    inputs = (rng.random((n_images, len(spec.leads), *spec.input_shape)) > 0.9).astype(np.uint8)
    labels = np.arange(n_images) % len(spec.classes)
    settings = {"epochs": 1, "batch_size": 4, "learning_rate": 1e-3, "class_weight_power": 1.0,
                "halve_lr_at": (), "seed": 0}
    weighted, mean, leads = out_of_fold("cnn", inputs, labels, settings, 0.1, folds)
    assert len(trained_on) == folds  # a new network per fold
    for image in inputs:  # each image left out of exactly one fold's training: the fold that scored it
        assert sum(image.tobytes() in fold for fold in trained_on) == folds - 1
    assert weighted.shape == mean.shape == (n_images, len(spec.classes))
    # a row left at zero would be an image no fold scored
    np.testing.assert_allclose(weighted.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(mean.sum(axis=1), 1.0, atol=1e-6)
    assert leads.shape == (n_images, len(spec.leads), len(spec.classes))
    np.testing.assert_allclose(leads.sum(axis=2), 1.0, atol=1e-5)
    np.testing.assert_allclose(leads.mean(axis=1), mean, atol=1e-6)  # the leads the fold's network scored


def stub_network_card(folder, **sections) -> None:
    """A stub CNN file in ``folder`` and its card, as training writes them."""
    from ecg_pipeline.io.cards import ModelCard, save_trained_card

    model_path(TWELVE_LEAD, "cnn", folder).write_bytes(b"stub network")
    spec = TASK_SPECS[TWELVE_LEAD]
    save_trained_card(ModelCard(task=TWELVE_LEAD, model="cnn", classes=list(spec.classes), preprocessing={},
                                training={"epochs_run": 1, "batch_size": 4, "seed": 0}, sha256="", file_size_bytes=0,
                                versions={}, trained_at="", **sections), folder)


@pytest.fixture
def stubbed_cross_validation(monkeypatch, tmp_path):
    """``recipe_cross_validation`` on 12 stub images with a stub fold network that is always right:
    (run with these arguments, the (held-out indices, settings) of each fold it trained)."""
    from ecg_pipeline.models import cross_validation

    spec = TASK_SPECS[TWELVE_LEAD]
    n_images = 12
    labels = np.arange(n_images) % len(spec.classes)
    sha256 = np.array([f"{i:064d}" for i in range(n_images)])
    inputs = np.zeros((n_images, len(spec.leads), 2, 2), dtype=np.uint8)
    stub_network_card(tmp_path, lead_weighting={"strength": 0.1})
    trained = []

    def right_answers(kind, inputs, labels, settings, strength, fit, held):
        trained.append((tuple(held), settings))
        probabilities = np.eye(len(spec.classes))[labels[held]]
        return probabilities, probabilities, np.repeat(probabilities[:, None], len(spec.leads), axis=1)

    monkeypatch.setattr(cross_validation, "fold_probabilities", right_answers)

    def run(seed=None, only=None):
        card = read_card(TWELVE_LEAD, "cnn", tmp_path)
        result = cross_validation.recipe_cross_validation(card, sha256, inputs, labels, 3, tmp_path / "cache", seed,
                                                          only, tmp_path, report=lambda line: None)
        return trained, result

    return run, tmp_path


def test_recipe_cross_validation_can_run_one_fold_now_and_the_rest_later(stubbed_cross_validation):
    from ecg_pipeline.io import cards

    run, folder = stubbed_cross_validation
    spec = TASK_SPECS[TWELVE_LEAD]
    trained, missing = run(only=[2])
    assert len(trained) == 1 and missing == [1, 3]
    assert read_card(TWELVE_LEAD, "cnn", folder).recipe_cross_validation is None  # two folds still to run

    trained, result = run()
    assert len(trained) == 3  # fold 2 was not trained again
    assert sorted(index for held, _ in trained for index in held) == list(range(12))
    assert read_card(TWELVE_LEAD, "cnn", folder).recipe_cross_validation == result
    assert result["folds"] == 3 and result["images"] == 12 and result["macro_f1"] == 1.0
    with np.load(cards.out_of_fold_path(TWELVE_LEAD, "cnn", folder)) as saved:
        assert saved["lead_probabilities"].shape == (12, len(spec.leads), len(spec.classes))


def test_recipe_cross_validation_with_another_seed_is_stored_apart(stubbed_cross_validation):
    from ecg_pipeline.io import cards

    run, folder = stubbed_cross_validation
    trained, _ = run(seed=7)
    assert len(trained) == 3 and all(settings["seed"] == 7 for _, settings in trained)
    card = read_card(TWELVE_LEAD, "cnn", folder)
    assert card.recipe_cross_validation is None  # the shipped seed's figure is not replaced by another draw
    assert card.recipe_cross_validation_other_seeds["7"]["macro_f1"] == 1.0
    assert not cards.out_of_fold_path(TWELVE_LEAD, "cnn", folder).exists()  # stacking keeps the shipped seed's folds
    trained, _ = run()  # the shipped seed: new folds, not the seed-7 ones
    assert len(trained) == 6 and all(settings["seed"] == 0 for _, settings in trained[3:])
    assert read_card(TWELVE_LEAD, "cnn", folder).recipe_cross_validation["settings"]["seed"] == 0


def test_recipe_cross_validation_refuses_a_file_that_does_not_match_its_card(stubbed_cross_validation):
    run, folder = stubbed_cross_validation
    model_path(TWELVE_LEAD, "cnn", folder).write_bytes(b"another network")
    with pytest.raises(ModelUnavailableError, match="does not match the SHA-256"):
        run()


def test_lead_weighting_refuses_out_of_fold_probabilities_of_other_images(tmp_path):
    from ecg_pipeline.io import cards
    from ecg_pipeline.models.cross_validation import saved_out_of_fold

    spec = TASK_SPECS[TWELVE_LEAD]
    sha256, labels = np.array(["a" * 64, "b" * 64]), np.array([0, 1])
    with pytest.raises(ModelUnavailableError, match="cross_validate.py"):  # nothing saved yet
        saved_out_of_fold("cnn", sha256, labels, tmp_path)
    leads = np.full((2, len(spec.leads), len(spec.classes)), 1 / len(spec.classes), dtype=np.float32)
    np.savez_compressed(cards.out_of_fold_path(TWELVE_LEAD, "cnn", tmp_path), sha256=sha256, labels=labels,
                        lead_probabilities=leads)
    np.testing.assert_allclose(saved_out_of_fold("cnn", sha256, labels, tmp_path), leads)
    with pytest.raises(ModelUnavailableError, match="other images"):
        saved_out_of_fold("cnn", sha256[::-1], labels, tmp_path)


def test_training_passes_the_class_weight_power_on_and_records_it(monkeypatch, tmp_path):
    import pandas as pd

    from ecg_pipeline.models import fitting, training

    spec = TASK_SPECS[TWELVE_LEAD]
    images = pd.DataFrame({"path": ["a.png", "b.png"], "class_id": list(spec.classes[:2]),
                           "sha256": ["a" * 64, "b" * 64], "split": ["train", "validation"]})
    inputs = np.zeros((1, len(spec.leads), *spec.input_shape), dtype=np.uint8)
    monkeypatch.setattr(fitting, "list_labelled_images", lambda *args: images)
    monkeypatch.setattr(fitting, "attach_split", lambda frame, split: frame)
    monkeypatch.setattr(fitting, "dataset_inputs", lambda *args: (inputs, np.zeros(1, dtype=int)))
    received = {}

    def recording_train_model(task, kind, train, validation, **kwargs):
        received.update(kwargs)
        return BUILDERS[kind](spec.input_shape, len(spec.leads), len(spec.classes)), {"loss": [1.0]}

    monkeypatch.setattr(training, "train_model", recording_train_model)
    settings = {**fitting.TRAINING_DEFAULTS[TWELVE_LEAD], "class_weight_power": 1.5}
    card = fitting.fit_network(TWELVE_LEAD, "cnn", tmp_path, settings, out=tmp_path, report=lambda line: None)
    assert received["class_weight_power"] == 1.5
    assert read_card(TWELVE_LEAD, "cnn", tmp_path) == card and card.training["class_weight_power"] == 1.5
    assert card.sha256 == sha256_of_file(model_path(TWELVE_LEAD, "cnn", tmp_path))


def test_a_measurement_model_file_altered_by_one_byte_is_refused(tmp_path):
    for path in (model_path(TWELVE_LEAD, MEASUREMENT_KIND), card_path(TWELVE_LEAD, MEASUREMENT_KIND)):
        shutil.copy(path, tmp_path / path.name)
    altered = tmp_path / model_path(TWELVE_LEAD, MEASUREMENT_KIND).name
    data = bytearray(altered.read_bytes())
    data[len(data) // 2] ^= 1
    altered.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailableError, match="does not match the SHA-256"):
        load_model(TWELVE_LEAD, MEASUREMENT_KIND, models_dir=tmp_path)


def test_a_skops_file_holding_an_untrusted_type_is_not_loaded(tmp_path):
    import functools

    import skops.io

    from ecg_pipeline.models.measurement_model import load_classifier

    path = tmp_path / "model.skops"
    skops.io.dump({"model": functools.partial(print, "ran")}, path)  # a callable: loading it could run code
    with pytest.raises(ValueError, match="not loaded"):
        load_classifier(path)


def test_the_measurement_model_meets_its_cross_validated_targets():
    """Chosen and scored on the training and validation images only (the test split is never read)."""
    cv = read_card(TWELVE_LEAD, MEASUREMENT_KIND).cross_validation
    assert cv["splits"] == ["train", "validation"] and cv["repeats"] >= 5
    assert cv["macro_f1"] >= 0.86 and cv["per_class_f1"]["myocardial_infarction"] >= 0.75


def test_the_verdict_rule_is_the_best_candidate_out_of_fold():
    from ecg_pipeline.models.verdict import read_rule, verdict_card_path

    card = json.loads(verdict_card_path(TWELVE_LEAD).read_text())
    best = max(card["candidates"], key=lambda r: r["macro_f1"])
    assert card["rule"]["models"] == best["models"] == list(read_rule(TWELVE_LEAD).models)


def test_when_the_models_disagree_the_verdict_names_no_single_class(sample_manifest):
    synthetic = sample_manifest[(sample_manifest.origin == "synthetic") & (sample_manifest.task == TWELVE_LEAD)]
    result = analyze(ROOT / "data" / "samples" / synthetic.iloc[0]["file"])  # a drawing the networks misread
    verdict = result.verdict()
    assert len(set(result.aggregate["predicted_class"])) > 1
    assert verdict.agreement == "disagree" and verdict.predicted_class is None and verdict.confidence is None
    assert set(verdict.per_model) == set(TWELVE_LEAD_KINDS)


def test_a_card_that_is_not_a_json_object_is_refused(tmp_path):
    for path in (model_path(TWELVE_LEAD, "cnn"), card_path(TWELVE_LEAD, "cnn")):
        shutil.copy(path, tmp_path / path.name)
    card_path(TWELVE_LEAD, "cnn", tmp_path).write_text("[1, 2]")
    with pytest.raises(ModelUnavailableError, match="not a model card"):
        load_model(TWELVE_LEAD, "cnn", models_dir=tmp_path)
