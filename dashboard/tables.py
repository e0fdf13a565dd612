"""Tables and downloads built from analyses and model cards (pure functions, no Streamlit)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd

from ecg_pipeline.cards import other_seed_cross_validations
from ecg_pipeline.constants import TASK_SPECS
from ecg_pipeline.render import png_bytes, stage_images

MISSING = "—"


def _number(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    return format(value, fmt)


def roc_auc_macro(evaluation: dict) -> float | None:
    """The card's macro ROC AUC, or the mean of its one-vs-rest AUCs."""
    if evaluation.get("roc_auc_macro") is not None:
        return float(evaluation["roc_auc_macro"])
    aucs = list(evaluation.get("roc_auc_ovr", {}).values())
    return float(np.mean(aucs)) if aucs else None


def metrics_table(cards: dict[str, dict]) -> pd.DataFrame:
    """Headline figures of each model, read from its card: one column per model, one row per figure."""
    rows = {}
    for kind, card in cards.items():
        evaluation = card.get("evaluation", {})
        training = card.get("training", {})
        size = card.get("file_size_bytes")
        rows[kind.upper()] = {
            "Accuracy": _number(evaluation.get("accuracy"), ".3f"),
            "Macro-F1": _number(evaluation.get("macro_f1"), ".3f"),
            "Expected calibration error (lower is better)": _number(evaluation.get("expected_calibration_error"),
                                                                    ".3f"),
            "ROC AUC (macro, one-vs-rest)": _number(roc_auc_macro(evaluation), ".3f"),
            "Parameters": _number(card.get("parameters"), ",d"),
            "File size (MB)": _number(size / 1e6 if size else None, ".2f"),
            "Median latency per image (ms)": _number(evaluation.get("median_latency_ms"), ".1f"),
            "Leads combined by": evaluation.get("aggregation", MISSING),
            "Cross-validated macro-F1 of the whole recipe (network retrained per fold, train + validation)":
                _number(card.get("recipe_cross_validation", {}).get("macro_f1"), ".3f"),
            "The same, fold networks retrained with other seeds (run-to-run spread)":
                other_seed_cross_validations(card) or MISSING,
            "Cross-validated macro-F1 of the lead weighting (train + validation)": _number(
                card.get("lead_weighting", {}).get("cross_validation", {}).get("macro_f1"), ".3f"),
            "Test images": _number(evaluation.get("n_images"), "d"),
            "Epochs": _number(training.get("epochs_run"), "d"),
            "Training time (s)": _number(training.get("training_seconds"), ".0f"),
            "Trained at": card.get("trained_at", MISSING),
        }
    table = pd.DataFrame(rows)
    table.index.name = "figure"
    return table


def per_class_table(cards: dict[str, dict], task: str) -> pd.DataFrame:
    """Precision, recall and F1 of each class for each model, with the class's test support."""
    spec = TASK_SPECS[task]
    rows = []
    for class_id in spec.classes:
        row: dict = {"class": spec.display_names[class_id]}
        support = None
        for kind, card in cards.items():
            figures = card.get("evaluation", {}).get("per_class", {}).get(class_id, {})
            for metric in ("precision", "recall", "f1"):
                value = figures.get(metric)
                row[f"{kind.upper()} {metric}"] = round(float(value), 3) if value is not None else np.nan
            support = figures.get("support", support)
        row["test images"] = support
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_table(cards: dict[str, dict]) -> pd.DataFrame | None:
    """Macro-F1 of each model on the clean and the distorted test images, and the share of images whose
    verdict the distortion left unchanged, or ``None`` without results."""
    columns: dict[str, dict] = {}
    for kind, card in cards.items():
        robustness = card.get("robustness") or {}
        for name, values in ((f"{kind.upper()} macro-F1", robustness.get("results")),
                             (f"{kind.upper()} verdicts unchanged", robustness.get("verdict_unchanged"))):
            if not values:
                continue
            column = {}
            for distortion, value in values.items():
                if isinstance(value, dict):
                    column.update({(distortion, level): share for level, share in value.items()})
                else:
                    column[(distortion, "")] = value
            columns[name] = column
    if not columns:
        return None
    table = pd.DataFrame(columns)
    table.index = table.index.set_names(["distortion", "level"])
    return table.reset_index()


def probabilities_frame(analysis) -> pd.DataFrame:
    """Per-lead and aggregated probabilities of every model in one table (the CSV download)."""
    classes = analysis.classes
    per_lead = analysis.per_lead.copy()
    if not per_lead.empty:
        per_lead.insert(2, "predicted_class", per_lead[classes].astype(float).idxmax(axis=1))
    aggregate = analysis.aggregate.reset_index()
    aggregate.insert(1, "lead", f"all leads ({analysis.aggregation})")
    frame = pd.concat([per_lead, aggregate], ignore_index=True)
    return frame[["model", "lead", "predicted_class", *classes]]


def probabilities_json(analysis, name: str, sigma: float, threshold: str | float, digitized=None) -> str:
    """Everything the models said about one image, as JSON (with the heart rate when digitized)."""
    models = {}
    for kind in analysis.models:
        row = analysis.aggregate.loc[kind]
        models[kind] = {
            "predicted_class": row["predicted_class"],
            "aggregate": {c: round(float(row[c]), 6) for c in analysis.classes},
            "per_lead": {lead: {c: round(float(v), 6) for c, v in probs.items()}
                         for lead, probs in analysis.lead_probabilities(kind).to_dict("index").items()},
        }
        contributions = analysis.lead_contributions
        if not contributions.empty and kind in set(contributions["model"]):
            table = contributions[contributions["model"] == kind].set_index("lead")[analysis.classes]
            models[kind]["lead_contributions"] = {lead: {c: round(float(v), 6) for c, v in values.items()}
                                                  for lead, values in table.to_dict("index").items()}
    pipeline = analysis.pipeline
    document = {
        "file": name, "task": analysis.task, "task_reason": pipeline.task_reason,
        "settings": {"sigma": sigma, "threshold": threshold},
        "rotation_degrees": round(float(pipeline.rotation_degrees), 3),
        "layout_confidence": round(float(pipeline.layout_confidence), 3),
        "warnings": pipeline.warnings, "aggregation": analysis.aggregation, "classes": analysis.classes,
        "verdict": analysis.verdict(), "models": models, "model_errors": analysis.model_errors,
    }
    if digitized is not None:
        document["digitized"] = {
            "heart_rate_bpm": None if digitized.heart_rate_bpm is None else round(digitized.heart_rate_bpm, 1),
            "rr_intervals_s": [round(float(v), 4) for v in digitized.rr_intervals_s],
            "px_per_mm": round(digitized.px_per_mm, 4),
        }
    return json.dumps(document, indent=1)


def stages_zip(pipeline) -> bytes:
    """Every stage image as a PNG inside a zip archive, built in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, image in stage_images(pipeline).items():
            archive.writestr(f"{name}.png", png_bytes(image))
    return buffer.getvalue()
