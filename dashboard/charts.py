"""Plotly figures of the dashboard. Each builder takes data (frames, card sections) and returns a figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ecg_pipeline.constants import TASK_SPECS

MODEL_COLOURS: dict[str, str] = {"cnn": "#1f6fb4", "crnn": "#e8730c"}
FONT_SIZE = 15


def model_label(kind: str) -> str:
    return kind.upper()


def display_names(task: str, classes: list[str] | tuple[str, ...] | None = None) -> list[str]:
    spec = TASK_SPECS[task]
    return [spec.display_names[c] for c in (classes or spec.classes)]


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=title, height=height, font={"size": FONT_SIZE}, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


def lead_heatmap(table: pd.DataFrame, task: str, title: str) -> go.Figure:
    """Leads x classes probabilities of one model, values written in the cells."""
    classes = list(TASK_SPECS[task].classes)
    # go.Heatmap, not px.imshow: the same picture, built in a tenth of the time on every rerun
    fig = go.Figure(go.Heatmap(z=table[classes].to_numpy(dtype=float), x=display_names(task),
                               y=[str(i) for i in table.index], zmin=0.0, zmax=1.0, colorscale="Blues",
                               texttemplate="%{z:.2f}", colorbar={"title": {"text": "probability"}},
                               hovertemplate="lead %{y}<br>%{x}: %{z:.3f}<extra></extra>"))
    fig.update_xaxes(side="top")
    fig.update_yaxes(autorange="reversed", type="category")
    return _style(fig, title, height=max(220, 32 * len(table) + 150))


def aggregate_bars(aggregate: pd.DataFrame, task: str, title: str = "Aggregated probabilities") -> go.Figure:
    """Both models' image-level probabilities as one grouped bar chart."""
    classes = list(TASK_SPECS[task].classes)
    names = dict(zip(classes, display_names(task), strict=True))
    long = (aggregate[classes].rename(columns=names).rename_axis("model").reset_index()
            .melt(id_vars="model", var_name="class", value_name="probability"))
    long["model"] = long["model"].map(model_label)
    fig = px.bar(long, x="class", y="probability", color="model", barmode="group", text_auto=".2f",
                 range_y=[0, 1], color_discrete_map={model_label(k): c for k, c in MODEL_COLOURS.items()})
    fig.update_xaxes(title=None)
    return _style(fig, title, height=420)


def confusion_matrix_figure(matrix: list[list[int]], task: str, title: str) -> go.Figure:
    """Counts of test images by true class (rows) and predicted class (columns)."""
    names = display_names(task)
    fig = px.imshow(np.asarray(matrix), x=names, y=names, text_auto=True, aspect="auto",
                    color_continuous_scale="Blues", labels={"x": "predicted", "y": "true", "color": "images"})
    return _style(fig, title, height=420)


def roc_figure(evaluation: dict, task: str, title: str) -> go.Figure:
    """One-vs-rest ROC curve of each class, with its AUC in the legend."""
    spec = TASK_SPECS[task]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "grey"},
                             name="chance", showlegend=False))
    aucs = evaluation.get("roc_auc_ovr", {})
    for class_id, curve in evaluation.get("roc_curves", {}).items():
        auc = aucs.get(class_id)
        label = spec.display_names.get(class_id, class_id) + (f" (AUC {auc:.2f})" if auc is not None else "")
        fig.add_trace(go.Scatter(x=curve["fpr"], y=curve["tpr"], mode="lines", name=label))
    fig.update_xaxes(title="false positive rate", range=[0, 1])
    fig.update_yaxes(title="true positive rate", range=[0, 1.02])
    return _style(fig, title, height=420)


def reliability_figure(reliability: dict[str, dict], title: str = "Reliability (calibration)") -> go.Figure:
    """Accuracy against mean confidence per confidence bin, one line per model; the diagonal is perfect."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "grey"},
                             name="perfectly calibrated"))
    for kind, bins in reliability.items():
        fig.add_trace(go.Scatter(
            x=bins.get("confidence", []), y=bins.get("accuracy", []), mode="lines+markers", name=model_label(kind),
            line={"color": MODEL_COLOURS.get(kind)}, customdata=bins.get("count", []),
            hovertemplate="confidence %{x:.2f}<br>accuracy %{y:.2f}<br>%{customdata} images<extra></extra>",
        ))
    fig.update_xaxes(title="mean confidence", range=[0, 1])
    fig.update_yaxes(title="accuracy", range=[0, 1.02])
    return _style(fig, title, height=420)


TRAINING_PANELS: tuple[tuple[str, str], ...] = (
    ("loss", "Loss"), ("accuracy", "Lead accuracy"), ("image_macro_f1", "Image macro-F1 (validation)"),
)


def training_figure(histories: dict[str, dict], title: str = "Training curves") -> go.Figure:
    """Keras histories of the models: loss, accuracy and validation image macro-F1 per epoch;
    solid lines are training, dashed lines validation."""
    fig = make_subplots(rows=1, cols=len(TRAINING_PANELS), subplot_titles=[p[1] for p in TRAINING_PANELS])
    for kind, history in histories.items():
        for col, (metric, _) in enumerate(TRAINING_PANELS, start=1):
            for prefix, dash in (("", "solid"), ("val_", "dash")):
                values = history.get(prefix + metric)
                if not values:
                    continue
                fig.add_trace(go.Scatter(
                    x=list(range(1, len(values) + 1)), y=values, mode="lines",
                    name=f"{model_label(kind)} {'validation' if prefix else 'training'}",
                    line={"color": MODEL_COLOURS.get(kind), "dash": dash},
                    legendgroup=f"{kind}{prefix}", showlegend=col == 1,
                ), row=1, col=col)
        fig.update_xaxes(title="epoch")
    return _style(fig, title, height=380)


def histogram_figure(counts: np.ndarray, centres: np.ndarray, threshold: float, title: str) -> go.Figure:
    """Intensity histogram of a lead (log counts) with the threshold as a vertical line."""
    fig = go.Figure(go.Bar(x=centres, y=np.maximum(counts, 0), marker_color="#666", name="pixels"))
    fig.add_vline(x=threshold, line_color="#d62728", line_width=3,
                  annotation_text=f"threshold {threshold:.0f}", annotation_position="top right")
    fig.update_yaxes(type="log", title="pixels (log)")
    fig.update_xaxes(title="intensity (0 = black, 255 = white)", range=[0, 256])
    fig.update_layout(bargap=0, showlegend=False)
    return _style(fig, title, height=320)


def trace_figure(digitized, leads: list[str], title: str = "Digitized trace") -> go.Figure:
    """Calibrated traces of the chosen leads, millivolts over seconds, one under the other."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=len(leads), cols=1, shared_xaxes=False, vertical_spacing=0.06,
                        subplot_titles=leads)
    for row, lead in enumerate(leads, start=1):
        trace = digitized.traces[lead]
        fig.add_trace(go.Scatter(x=trace.seconds, y=trace.millivolts, mode="lines", name=lead,
                                 line={"width": 1.4, "color": "#222"}), row=row, col=1)
        fig.update_yaxes(title_text="mV", row=row, col=1)
    fig.update_xaxes(title_text="seconds", row=len(leads), col=1)
    fig.update_layout(showlegend=False)
    return _style(fig, title, 180 * len(leads) + 80)
