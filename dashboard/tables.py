"""Tables and downloads built from analyses and model cards (pure functions, no Streamlit)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd

from ecg_pipeline.constants import (
    PATHOLOGICAL_Q_MIN_MV,
    PATHOLOGICAL_Q_MS,
    PATHOLOGICAL_Q_SHARE,
    ST_DEPRESSION_MV,
    ST_ELEVATION_MV,
    ST_ELEVATION_V2_V3_MV,
    T_INVERSION_MV,
    TASK_SPECS,
)
from ecg_pipeline.io.cards import ModelCard
from ecg_pipeline.io.export import signal_document, signal_table
from ecg_pipeline.models.inference import title
from ecg_pipeline.preprocess.render import png_bytes, stage_images
from ecg_pipeline.preprocess.trace_quality import low_confidence_leads
from ecg_pipeline.results import CROSS_VALIDATIONS, cross_validated_figures, interval_text

MISSING = "—"
#: The measurement table's columns: (value name, header) per lead.
MEASUREMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("st_j60_mv", "ST at J+60 (mV)"), ("st_slope_mv_per_s", "ST slope (mV/s)"), ("q_depth_mv", "Q depth (mV)"),
    ("q_width_ms", "Q width (ms)"), ("r_amplitude_mv", "R (mV)"), ("s_amplitude_mv", "S (mV)"),
    ("qrs_peak_to_peak_mv", "QRS peak-to-peak (mV)"), ("t_max_mv", "T max (mV)"), ("t_min_mv", "T min (mV)"),
)
#: Which criterion marks which columns of the measurement table.
CRITERION_COLUMNS: dict[str, tuple[str, ...]] = {
    "st_elevation": ("ST at J+60 (mV)",), "st_depression": ("ST at J+60 (mV)",),
    "pathological_q": ("Q depth (mV)", "Q width (ms)"), "t_inversion": ("T min (mV)",),
}


def criterion_name(criterion: str) -> str:
    """A criterion in words, with its thresholds from ``ecg_pipeline.constants``.

    Examples
    --------
    >>> criterion_name("t_inversion")
    'T inversion (at least 0.1 mV deep)'
    """
    return {
        "st_elevation": f"ST elevation (at least {ST_ELEVATION_MV:g} mV, {ST_ELEVATION_V2_V3_MV:g} mV in V2-V3, in "
                        "two contiguous leads)",
        "st_depression": f"ST depression (at least {ST_DEPRESSION_MV:g} mV)",
        "pathological_q": f"pathological Q (at least {PATHOLOGICAL_Q_MIN_MV:g} mV deep, and {PATHOLOGICAL_Q_MS:g} ms "
                          f"wide or {PATHOLOGICAL_Q_SHARE:.0%} of R)",
        "t_inversion": f"T inversion (at least {T_INVERSION_MV:g} mV deep)",
    }[criterion]


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


def metrics_table(cards: dict[str, ModelCard]) -> pd.DataFrame:
    """Headline figures of each model, read from its card: one column per model, one row per figure. Test figures
    carry their bootstrap 95 % interval; each cross-validated figure is a row named by what it measures."""
    rows = {}
    for kind, card in cards.items():
        evaluation = (card.evaluation or {})
        intervals = evaluation.get("intervals", {})
        training = (card.training or {})
        size = card.file_size_bytes
        cross_validated = cross_validated_figures(card)
        rows[title(kind)] = {
            "Accuracy (95 % CI)": _with_interval(evaluation.get("accuracy"), intervals.get("accuracy")),
            "Macro-F1 (95 % CI)": _with_interval(evaluation.get("macro_f1"), intervals.get("macro_f1")),
            "Test images": _number(evaluation.get("n_images"), "d"),
            **{f"Cross-validated macro-F1: {name}": cross_validated.get(name, MISSING) for name in CROSS_VALIDATIONS},
            "Expected calibration error (lower is better)": _number(evaluation.get("expected_calibration_error"),
                                                                    ".3f"),
            "ROC AUC (macro, one-vs-rest)": _number(roc_auc_macro(evaluation), ".3f"),
            "Leads combined by": evaluation.get("aggregation", MISSING),
            "Parameters": _number(card.parameters, ",d"),
            "File size (MB)": _number(size / 1e6 if size else None, ".2f"),
            "Median latency per image (ms)": _number(evaluation.get("median_latency_ms"), ".1f"),
            "Epochs": _number(training.get("epochs_run"), "d"),
            "Training time (s)": _number(training.get("training_seconds"), ".0f"),
            "Trained at": (card.trained_at or MISSING),
        }
    table = pd.DataFrame(rows)
    # a cross-validation no model ran is no row
    table = table[~table.index.str.startswith("Cross-validated") | (table != MISSING).any(axis=1)]
    table.index.name = "figure"
    return table


def _with_interval(value: float | None, interval: list[float] | None) -> str:
    return MISSING if value is None else interval_text(value, interval, short=True)


def rules_table(card: dict, task: str) -> pd.DataFrame:
    """Every candidate verdict rule with its out-of-fold macro-F1 and per-class F1, the chosen one first."""
    names = TASK_SPECS[task].display_names
    return pd.DataFrame([{"rule": r["name"], "macro-F1": r["macro_f1"],
                          **{f"{names[c]} F1": v for c, v in r["per_class_f1"].items()}} for r in card["candidates"]])


def per_class_table(cards: dict[str, ModelCard], task: str) -> pd.DataFrame:
    """Precision, recall and F1 of each class for each model, with the F1's bootstrap 95 % interval and the class's
    test images: a row per class and model, so the table stays narrow whatever the number of models."""
    spec = TASK_SPECS[task]
    rows = []
    for class_id in spec.classes:
        for kind, card in cards.items():
            evaluation = card.evaluation or {}
            figures = evaluation.get("per_class", {}).get(class_id)
            if not figures:
                continue
            interval = evaluation.get("intervals", {}).get("per_class_f1", {}).get(class_id)
            rows.append({"class": spec.display_names[class_id], "model": title(kind),
                         "precision": round(float(figures["precision"]), 3),
                         "recall": round(float(figures["recall"]), 3), "F1": round(float(figures["f1"]), 3),
                         "F1 95 % CI": f"{interval[0]:.2f}–{interval[1]:.2f}" if interval else MISSING,
                         "test images": figures.get("support")})
    return pd.DataFrame(rows)


def robustness_table(cards: dict[str, ModelCard]) -> pd.DataFrame | None:
    """Macro-F1 of each model on the clean and the distorted test images, and the share of images whose
    verdict the distortion left unchanged, or ``None`` without results."""
    columns: dict[str, dict] = {}
    for kind, card in cards.items():
        robustness = card.robustness or {}
        name_of = title(kind)
        for name, values in ((f"{name_of} macro-F1", robustness.get("results")),
                             (f"{name_of} verdicts unchanged", robustness.get("verdict_unchanged"))):
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


def measurement_table(measurements) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 12 leads by their ST, Q, R, S, QRS and T values, and which cells meet a standard criterion.

    Returns
    -------
    values : DataFrame, one row per lead (NaN where the lead could not be measured)
    flags : DataFrame of the same shape: the criterion a cell meets, or ""
    """
    from ecg_pipeline.measure import MEASURED_LEADS

    values = pd.DataFrame([{header: measurements.leads.get(lead, {}).get(name, np.nan)
                            for name, header in MEASUREMENT_COLUMNS} for lead in MEASURED_LEADS],
                          index=pd.Index(MEASURED_LEADS, name="lead"))
    flags = pd.DataFrame("", index=values.index, columns=values.columns)
    for lead, criteria in measurements.criteria.items():
        for criterion, met in criteria.items():
            if met:
                for column in CRITERION_COLUMNS[criterion]:
                    flags.loc[lead, column] = criterion
    return values, flags


def dissenting_leads(analysis, kind: str) -> dict[str, list[str]]:
    """The leads of one network whose own most probable class is not the network's page class, by that class.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> per_lead = pd.DataFrame({"model": "cnn", "lead": ["I", "III", "V1"], "a": [.9, .2, .3], "b": [.1, .8, .7]})
    >>> analysis = SimpleNamespace(classes=["a", "b"], per_lead=per_lead,
    ...                            aggregate=pd.DataFrame({"predicted_class": ["a"]}, index=["cnn"]),
    ...                            lead_probabilities=lambda k: per_lead.set_index("lead")[["a", "b"]])
    >>> dissenting_leads(analysis, "cnn")
    {'b': ['III', 'V1']}
    """
    page_class = analysis.aggregate.loc[kind, "predicted_class"]
    lead_classes = analysis.lead_probabilities(kind)[analysis.classes].astype(float).idxmax(axis=1)
    dissent: dict[str, list[str]] = {}
    for lead, class_id in lead_classes.items():
        if class_id != page_class:
            dissent.setdefault(class_id, []).append(str(lead))
    return dissent


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


def _rounded(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def measurements_document(measurements) -> dict:
    """The page's measurements as JSON-ready data: page, territory and lead values, criteria, missing leads."""
    return {"page": {k: _rounded(v) for k, v in measurements.page.items()},
            "territories": {k: _rounded(v) for k, v in measurements.territories.items()},
            "leads": {lead: {k: _rounded(v) for k, v in values.items()} for lead, values in measurements.leads.items()},
            "criteria": measurements.criteria, "missing": measurements.missing,
            "rr_intervals_s": [round(float(v), 4) for v in measurements.rr_s],
            "fiducials_s": None if measurements.fiducials is None else {
                "qrs_onset": _rounded(measurements.fiducials.qrs_onset_s),
                "j_point": _rounded(measurements.fiducials.j_point_s),
                "t_end": _rounded(measurements.fiducials.t_end_s)}}


def probabilities_json(analysis, name: str, sigma: float, threshold: str | float) -> str:
    """Everything the gate, the measurements and the models said about one image, as JSON."""
    models = {}
    for kind in analysis.models:
        row = analysis.aggregate.loc[kind]
        models[kind] = {
            "predicted_class": row["predicted_class"],
            "aggregate": {c: round(float(row[c]), 6) for c in analysis.classes},
        }
        if kind in analysis.networks:
            models[kind]["per_lead"] = {lead: {c: round(float(v), 6) for c, v in probs.items()}
                                        for lead, probs in analysis.lead_probabilities(kind).to_dict("index").items()}
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
        "gate": None if analysis.gate is None else {"passed": analysis.gate.passed, "reason": analysis.gate.reason,
                                                    "message": analysis.gate.message,
                                                    "analysed_anyway": analysis.forced},
        "verdict": analysis.verdict().to_dict(), "models": models, "model_errors": analysis.model_errors,
    }
    if analysis.measurements is not None:
        document["measurements"] = measurements_document(analysis.measurements)
        if analysis.measurements.signals:
            document["signals"] = signal_document(signal_table(analysis.measurements.signals))
    if pipeline.px_per_mm is not None:
        document["px_per_mm"] = round(float(pipeline.px_per_mm), 4)
    if pipeline.layout is not None:  # the leads' names follow the order the page was read in
        document["settings"]["lead_order"] = pipeline.layout.lead_order
    if analysis.lead_quality:  # each lead's digitization confidence and its three factors (trace_quality)
        document["lead_quality"] = {lead: quality.to_dict() for lead, quality in analysis.lead_quality.items()}
        document["low_confidence_leads"] = list(low_confidence_leads(analysis.lead_quality))
    return json.dumps(document, indent=1)


def stages_zip(pipeline) -> bytes:
    """Every stage image as a PNG inside a zip archive, built in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, image in stage_images(pipeline).items():
            archive.writestr(f"{name}.png", png_bytes(image))
    return buffer.getvalue()
