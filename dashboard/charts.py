"""Plotly figures of the dashboard. Each builder takes data (frames, card sections) and returns a figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ecg_pipeline.constants import MEASUREMENT_KIND, TASK_SPECS
from ecg_pipeline.models.inference import title as model_label

MODEL_COLOURS: dict[str, str] = {"cnn": "#1f6fb4", "crnn": "#e8730c", MEASUREMENT_KIND: "#2a9d3f"}
FIDUCIAL_COLOURS: dict[str, str] = {"QRS onset": "#2a9d3f", "J point": "#d62728", "T end": "#9467bd"}
#: A line per class (ROC curves): each has 3:1 contrast on white and on Streamlit's dark background, which the
#: theme's own palette has not (its light blue, pink and mint nearly vanish on white).
CLASS_COLOURS: tuple[str, ...] = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e8730c", "#0f8b8d")
#: The plotting area of a drawn trace is paper-white in both themes: the trace is dark, as on the printout, and
#: on the dark theme's near-black area it vanished; the margin (ticks, titles) keeps the theme's colours.
TRACE_AREA: dict = {"plot_bgcolor": "white"}
TRACE_AXIS: dict = {"gridcolor": "#e3e3e3", "zerolinecolor": "#c8c8c8"}
#: Pixels a panel's title is lifted: Plotly lets its bottom 6 px into the panel, where the dark theme's light
#: text on the white area was cut in half.
TITLE_LIFT = 8
FONT_SIZE = 15


def shown(values: np.ndarray) -> np.ndarray:
    """A drawn trace's values in single precision (a microsecond, a microvolt): Plotly sends arrays as binary, and
    double precision doubled the 300 KB the browser read for one page's traces."""
    return np.asarray(values, dtype=np.float32)


def display_names(task: str, classes: list[str] | tuple[str, ...] | None = None) -> list[str]:
    spec = TASK_SPECS[task]
    return [spec.display_names[c] for c in (classes or spec.classes)]


#: Class names under a heatmap, where a narrow column can tilt them: above it they ran into the chart's title.
HEATMAP_CLASS_AXIS = {"side": "bottom", "automargin": True}


def _layout(title: str, height: int, **extra) -> dict:
    """The dashboard's common layout as a plain dict. Figures on the Analyze page are built in one call
    from dicts: Plotly's step-by-step ``update_*`` and Plotly Express cost tenths of a second per chart."""
    return {"title": {"text": title}, "height": height, "font": {"size": FONT_SIZE},
            "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, **extra}


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(_layout(title, height))
    return fig


def lead_heatmap(table: pd.DataFrame, task: str, title: str) -> go.Figure:
    """Leads x classes probabilities of one model, values written in the cells."""
    classes = list(TASK_SPECS[task].classes)
    heatmap = go.Heatmap(z=table[classes].to_numpy(dtype=float), x=display_names(task),
                         y=[str(i) for i in table.index], zmin=0.0, zmax=1.0, colorscale="Blues",
                         texttemplate="%{z:.2f}", colorbar={"title": {"text": "probability"}},
                         hovertemplate="lead %{y}<br>%{x}: %{z:.3f}<extra></extra>")
    layout = _layout(title, max(220, 32 * len(table) + 150), xaxis=HEATMAP_CLASS_AXIS,
                     yaxis={"autorange": "reversed", "type": "category"})
    return go.Figure(data=[heatmap], layout=layout)


def lead_weights_figure(weights: np.ndarray, task: str, title: str) -> go.Figure:
    """Leads x classes weights of a lead weighting: how much each lead's own probability of a class counts."""
    limit = float(np.abs(weights).max()) or 1.0
    heatmap = go.Heatmap(z=weights, x=display_names(task), y=list(TASK_SPECS[task].leads), zmin=-limit,
                         zmax=limit, colorscale="RdBu", reversescale=True, texttemplate="%{z:.2f}",
                         colorbar={"title": {"text": "weight"}},
                         hovertemplate="lead %{y}<br>%{x}: %{z:.3f}<extra></extra>")
    layout = _layout(title, max(220, 32 * len(weights) + 150), xaxis=HEATMAP_CLASS_AXIS,
                     yaxis={"autorange": "reversed", "type": "category"})
    return go.Figure(data=[heatmap], layout=layout)


def lead_contribution_bars(contributions: dict[str, tuple[str, pd.Series]], title: str) -> go.Figure:
    """Per model, one bar per lead: how much that lead pushed the model towards its verdict.

    ``contributions`` maps a model kind to (the verdict's display name, the leads' contributions).
    """
    bars = [go.Bar(x=list(values.index), y=values.to_numpy(dtype=float), marker_color=MODEL_COLOURS.get(kind),
                   name=f"{model_label(kind)}: towards {verdict}",
                   hovertemplate="lead %{x}: %{y:+.2f}<extra>" + model_label(kind) + "</extra>")
            for kind, (verdict, values) in contributions.items()]
    layout = _layout(title, 340, barmode="group", yaxis={"title": "push towards the verdict"},
                     xaxis={"type": "category"}, legend={"orientation": "h", "y": -0.25})
    return go.Figure(data=bars, layout=layout)


def aggregate_bars(aggregate: pd.DataFrame, task: str, title: str = "Aggregated probabilities") -> go.Figure:
    """Every model's image-level probabilities as one grouped bar chart."""
    classes = list(TASK_SPECS[task].classes)
    bars = [go.Bar(x=display_names(task), y=aggregate.loc[kind, classes].to_numpy(dtype=float),
                   name=model_label(kind), marker_color=MODEL_COLOURS.get(kind), texttemplate="%{y:.2f}",
                   hovertemplate="%{x}: %{y:.3f}<extra>" + model_label(kind) + "</extra>")
            for kind in aggregate.index]
    layout = _layout(title, 420, barmode="group", yaxis={"range": [0, 1], "title": {"text": "probability"}},
                     legend={"title": {"text": "model"}})
    return go.Figure(data=bars, layout=layout)


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
    for index, (class_id, curve) in enumerate(evaluation.get("roc_curves", {}).items()):
        auc = aucs.get(class_id)
        label = spec.display_names.get(class_id, class_id) + (f" (AUC {auc:.2f})" if auc is not None else "")
        fig.add_trace(go.Scatter(x=curve["fpr"], y=curve["tpr"], mode="lines", name=label,
                                 line={"color": CLASS_COLOURS[index % len(CLASS_COLOURS)]}))
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
    """Keras histories of the models: loss, accuracy and validation image macro-F1 per epoch, a panel for each
    figure some history holds; solid lines are training, dashed lines validation."""
    # A panel no history fills is left out: a final fit on training + validation has no validation curve.
    panels = [(metric, name) for metric, name in TRAINING_PANELS
              if any(h.get(metric) or h.get("val_" + metric) for h in histories.values())]
    fig = make_subplots(rows=1, cols=max(1, len(panels)), subplot_titles=[name for _, name in panels])
    for kind, history in histories.items():
        for col, (metric, _) in enumerate(panels, start=1):
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
    # Mid grey: 4:1 contrast on white and 4.5:1 on the dark theme's background (#666 had 3:1 there).
    bars = go.Bar(x=centres, y=np.maximum(counts, 0), marker_color="#7f7f7f", name="pixels")
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": threshold, "x1": threshold, "y0": 0, "y1": 1,
            "line": {"color": "#d62728", "width": 3}}
    label = {"xref": "x", "yref": "paper", "x": threshold, "y": 1, "xanchor": "left", "yanchor": "top",
             "showarrow": False, "text": f"threshold {threshold:.0f}"}
    layout = _layout(title, 320, bargap=0, showlegend=False, shapes=[line], annotations=[label],
                     yaxis={"type": "log", "title": {"text": "pixels (log)"}},
                     xaxis={"title": {"text": "intensity (0 = black, 255 = white)"}, "range": [0, 256]})
    return go.Figure(data=[bars], layout=layout)


def trace_figure(signals: dict, leads: list[str], title: str = "Digitized trace") -> go.Figure:
    """Calibrated leads (``measure.LeadSignal``), millivolts over the page's seconds, one under the other."""
    height = 180 * len(leads) + 80
    gap = 64 / height  # 64 px between panels: the tick labels and the next panel's title, lifted clear of it
    panel = (1.0 - gap * (len(leads) - 1)) / len(leads)
    data, axes, titles = [], {}, []
    for row, lead in enumerate(leads):
        suffix = "" if row == 0 else str(row + 1)
        trace = signals[lead]
        data.append(go.Scatter(x=shown(trace.seconds), y=shown(trace.millivolts),
                               mode="lines", name=lead, connectgaps=False,
                               line={"width": 1.4, "color": "#222"}, xaxis=f"x{suffix}", yaxis=f"y{suffix}"))
        top = 1.0 - row * (panel + gap)
        axes[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [0, 1], **TRACE_AXIS,
                                  "title": {"text": "seconds" if row == len(leads) - 1 else ""}}
        axes[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "title": {"text": "mV"}, **TRACE_AXIS,
                                  "domain": [max(0.0, top - panel), min(1.0, top)]}  # no rounding below 0
        titles.append({"text": lead, "xref": "paper", "yref": "paper", "x": 0.5, "y": top, "xanchor": "center",
                       "yanchor": "bottom", "yshift": TITLE_LIFT, "showarrow": False})
    layout = _layout(title, height, showlegend=False, annotations=titles, **TRACE_AREA, **axes)
    return go.Figure(data=data, layout=layout)


def median_beats_figure(measurements, leads: list[str], title: str = "Median beat of each lead") -> go.Figure:
    """Each lead's median beat (mV over ms from the R peak) in a grid of up to four columns, with the page's
    fiducial points. Each column shares its time axis, labelled under its lowest panel."""
    columns = max(1, min(4, len(leads)))
    rows = -(-len(leads) // columns)
    across, down = 0.2 / columns, 0.08  # the gaps between panels, as Plotly's make_subplots leaves them
    width, height = (1 - across * (columns - 1)) / columns, (1 - down * (rows - 1)) / rows
    fiducials = measurements.fiducials
    marks = {} if fiducials is None else {"QRS onset": fiducials.qrs_onset_s, "J point": fiducials.j_point_s,
                                          "T end": fiducials.t_end_s}
    lowest = {index % columns: index for index in range(len(leads))}  # the bottom panel of each column
    data, axes, shapes, titles = [], {}, [], []
    for index, lead in enumerate(leads):
        row, col = divmod(index, columns)
        axis = "" if index == 0 else str(index + 1)
        left, top = col * (width + across), 1 - row * (height + down)
        bottom = lowest[col]
        axes[f"xaxis{axis}"] = {"anchor": f"y{axis}", "domain": [left, left + width], **TRACE_AXIS,
                                "showticklabels": index == bottom,
                                "title": {"text": "ms from R" if index == bottom else ""},
                                **({} if index == bottom else {"matches": f"x{bottom + 1 if bottom else ''}"})}
        axes[f"yaxis{axis}"] = {"anchor": f"x{axis}", "domain": [max(0.0, top - height), top], **TRACE_AXIS}
        titles.append({"text": lead, "xref": "paper", "yref": "paper", "x": left + width / 2, "y": top,
                       "xanchor": "center", "yanchor": "bottom", "yshift": TITLE_LIFT, "showarrow": False,
                       "font": {"size": 16}})
        beat = measurements.median_beats.get(lead)
        if beat is None:
            continue
        data.append(go.Scatter(x=shown(beat.seconds * 1000), y=shown(beat.millivolts),
                               mode="lines", showlegend=False,
                               line={"color": "#222", "width": 1.5}, xaxis=f"x{axis}", yaxis=f"y{axis}",
                               hovertemplate=lead + " %{x:.0f} ms: %{y:.2f} mV<extra></extra>"))
        shapes += [{"type": "line", "xref": f"x{axis}", "yref": f"y{axis} domain", "x0": seconds * 1000,
                    "x1": seconds * 1000, "y0": 0, "y1": 1,
                    "line": {"color": FIDUCIAL_COLOURS[name], "width": 1, "dash": "dot"}}
                   for name, seconds in marks.items() if np.isfinite(seconds)]
    data += [go.Scatter(x=[None], y=[None], mode="lines", name=name, line={"color": colour, "dash": "dot"})
             for name, colour in FIDUCIAL_COLOURS.items()]  # a legend for the dotted lines
    # Built in one call from dicts: make_subplots and its per-panel updates took 0.2 s a page on every rerun.
    layout = _layout(title, 220 * rows + 120, shapes=shapes, annotations=titles, **TRACE_AREA, **axes)
    return go.Figure(data=data, layout=layout)


def contribution_bars(reasons: pd.DataFrame, verdict: str, title: str) -> go.Figure:
    """Horizontal bars: how much each measurement moved the probability of ``verdict``."""
    change = reasons["change"].to_numpy(dtype=float)[::-1]
    bars = go.Bar(x=change, y=reasons["label"].tolist()[::-1], orientation="h",
                  marker_color=["#d62728" if v > 0 else "#1f6fb4" for v in change],
                  hovertemplate="%{y}: %{x:+.1%}<extra></extra>")
    layout = _layout(title, 90 + 34 * len(reasons), xaxis={"tickformat": "+.1%", "title": {
        "text": f"change in the probability of {verdict}"}}, yaxis={"automargin": True})
    return go.Figure(data=[bars], layout=layout)


def signal_figure(signal, title: str) -> go.Figure:
    """One digitized lead (a ``measure.LeadSignal``): millivolts over the page's seconds."""
    line = go.Scatter(x=shown(signal.seconds), y=shown(signal.millivolts),
                      mode="lines", line={"color": "#222", "width": 1.3},
                      hovertemplate="%{x:.2f} s: %{y:.2f} mV<extra></extra>")
    return go.Figure(data=[line], layout=_layout(title, 300, xaxis={"title": {"text": "seconds"}, **TRACE_AXIS},
                                                 yaxis={"title": {"text": "mV"}, **TRACE_AXIS}, **TRACE_AREA))
