"""Plotly figures from plain data (dicts and lists from core.evaluate / progress).

Pages only place these figures, and the HTML report embeds the same ones, so
the two never differ. Every function takes `lang` for its titles and axis names
(core.i18n); the data (class names, run names) is the user's, and goes in through
`plain`: Plotly renders a subset of HTML in any text (<a href> links, <span style>,
<b>, <br>), so a label like <a href="https://...">refund</a> would otherwise be a
live link in every chart and in the HTML report.
"""
from __future__ import annotations

import html

import plotly.graph_objects as go

from core.i18n import translator

PALETTE = ["#4C6EF5", "#F59F00", "#12B886", "#E64980", "#7950F2", "#FA5252", "#15AABF", "#82C91E"]
LAYOUT = dict(template="plotly_white", margin=dict(l=40, r=20, t=50, b=40), height=360,
              font=dict(family="Inter, Segoe UI, sans-serif", size=13))


def plain(text) -> str:
    """User text for a Plotly figure: shown as typed (Plotly turns the entities back into the characters)."""
    return html.escape(str(text), quote=False)


def _plain(texts) -> list[str]:
    return [plain(t) for t in texts]


def _fig(title: str, **layout) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **{**LAYOUT, **layout})
    return fig


def class_balance(classes: dict[str, int], lang: str = "en") -> go.Figure:
    _ = translator(lang)
    fig = _fig(_("Examples per class"), xaxis_title=_("class"), yaxis_title=_("rows"))
    fig.add_bar(x=_plain(classes), y=list(classes.values()), marker_color=PALETTE[0])
    return fig


def length_histogram(lengths: list[int], lang: str = "en") -> go.Figure:
    _ = translator(lang)
    fig = _fig(_("Text length"), xaxis_title=_("characters"), yaxis_title=_("rows"))
    fig.add_histogram(x=lengths, nbinsx=40, marker_color=PALETTE[2])
    return fig


def metric_bars(rows: list[dict], lang: str = "en") -> go.Figure:
    """Accuracy and macro-F1 per contender with 95% CI whiskers."""
    _ = translator(lang)
    fig = _fig(_("Accuracy and macro-F1 (95% confidence intervals)"), barmode="group", yaxis=dict(range=[0, 1.05]))
    for i, (metric, label) in enumerate((("accuracy", _("accuracy")), ("macro_f1", _("macro-F1")))):
        vals = [r[metric] for r in rows]
        lo = [r[metric] - r["ci"][metric][0] for r in rows]
        hi = [r["ci"][metric][1] - r[metric] for r in rows]
        fig.add_bar(name=label, x=_plain(r["name"] for r in rows), y=vals, marker_color=PALETTE[i],
                    error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                    customdata=_plain(r.get("full_name") or r["name"] for r in rows),  # the full name on hover
                    hovertemplate="%{customdata}<br>%{y:.3f}<extra></extra>")
    return fig


def quality_and_cost(rows: list[dict], lang: str = "en") -> go.Figure | None:
    """Accuracy (95% CI) against seconds to label 1,000 texts (log scale, measured at training time), the best
    trade-offs joined: a run off the line is beaten on both counts by one on it. None with fewer than two runs
    whose speed was measured."""
    _ = translator(lang)
    timed = sorted((r for r in rows if r.get("texts_per_s")), key=lambda r: 1000 / r["texts_per_s"])
    if len(timed) < 2:
        return None
    fig = _fig(_("Accuracy against the cost of labelling 1,000 texts"), showlegend=False,
               xaxis=dict(type="log", title=_("seconds per 1,000 texts (log scale)")), yaxis=dict(title=_("accuracy")))
    frontier, best = [], -1.0
    for r in timed:  # cheapest first: a run is on the frontier when it beats every cheaper run's accuracy
        if r["accuracy"] > best:
            frontier.append(r)
            best = r["accuracy"]
    fig.add_scatter(x=[1000 / r["texts_per_s"] for r in frontier], y=[r["accuracy"] for r in frontier],
                    mode="lines", line=dict(color="#ADB5BD", dash="dot"), hoverinfo="skip")
    fig.add_scatter(x=[1000 / r["texts_per_s"] for r in timed], y=[r["accuracy"] for r in timed], mode="markers+text",
                    text=_plain(r["name"] for r in timed), textposition="top center",
                    marker=dict(size=12, color=[PALETTE[i % len(PALETTE)] for i in range(len(timed))]),
                    error_y=dict(type="data", symmetric=False, array=[r["ci"]["accuracy"][1] - r["accuracy"]
                                                                      for r in timed],
                                 arrayminus=[r["accuracy"] - r["ci"]["accuracy"][0] for r in timed]),
                    customdata=_plain(r.get("full_name") or r["name"] for r in timed),
                    hovertemplate="%{customdata}<br>%{y:.3f}, %{x:,.1f} s / 1,000<extra></extra>")
    return fig


def confusion(ev: dict, name: str, normalize: bool = False, lang: str = "en") -> go.Figure:
    """Rows are the true class, columns the predicted class."""
    _ = translator(lang)
    z = ev["confusion"]
    if normalize:
        z = [[v / max(1, sum(row)) for v in row] for row in z]
    text = [[f"{v:.0%}" if normalize else str(v) for v in row] for row in z]
    fig = _fig(_("Confusion matrix: {name}", name=plain(name)), xaxis_title=_("predicted"), yaxis_title=_("true"),
               height=max(320, 60 * len(ev["classes"]) + 120))
    hover = _("true {y}<br>predicted {x}<br>{n}", y="%{y}", x="%{x}", n="%{text}")
    fig.add_heatmap(z=z, x=_plain(ev["classes"]), y=_plain(ev["classes"]), text=text, texttemplate="%{text}",
                    colorscale="Blues", showscale=False, hovertemplate=hover + "<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    return fig


def cooccurrence(ev: dict, lang: str = "en") -> go.Figure:
    """Texts with several labels: how often two labels are given together in the test rows (the diagonal: texts
    with each label)."""
    _ = translator(lang)
    z, classes = ev["multi"]["cooccurrence"], _plain(ev["classes"])
    fig = _fig(_("Labels given together (test rows)"), height=max(320, 60 * len(classes) + 120))
    hover = _("{y} and {x}: {n} texts", y="%{y}", x="%{x}", n="%{z}")
    fig.add_heatmap(z=z, x=classes, y=classes, text=[[str(v) for v in row] for row in z], texttemplate="%{text}",
                    colorscale="Blues", showscale=False, hovertemplate=hover + "<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    return fig


def per_class_f1(evs: dict[str, dict], lang: str = "en") -> go.Figure:
    """F1 per class (per label), with the 95% interval where the evaluation has one (label sets)."""
    _ = translator(lang)
    fig = _fig(_("F1 per class"), barmode="group", yaxis=dict(range=[0, 1.05]))
    for i, (name, ev) in enumerate(evs.items()):
        per = ev["per_class"]
        bars = dict(type="data", symmetric=False, array=[c["ci"]["f1"][1] - c["f1"] for c in per],
                    arrayminus=[c["f1"] - c["ci"]["f1"][0] for c in per]) if all("ci" in c for c in per) else None
        fig.add_bar(name=plain(name), x=_plain(c["label"] for c in per), y=[c["f1"] for c in per],
                    error_y=bars, marker_color=PALETTE[i % len(PALETTE)])
    return fig


def _class_curves(evs: dict[str, dict], key: str, x: str, y: str, score: str, title: str, **axes) -> go.Figure:
    """One line per (contender, class), coloured by contender."""
    fig = _fig(title, **axes)
    for i, (name, ev) in enumerate(evs.items()):
        for cls, c in ev[key].items():
            fig.add_scatter(x=c[x], y=c[y], mode="lines",
                            name=plain(f"{name} / {cls}") + f" ({score.upper()} {c[score]:.3f})",
                            line=dict(color=PALETTE[i % len(PALETTE)]))
    return fig


def roc_curves(evs: dict[str, dict], lang: str = "en") -> go.Figure:
    _ = translator(lang)
    fig = _class_curves(evs, "roc", "fpr", "tpr", "auc", _("ROC curves (one class against the rest)"),
                        xaxis_title=_("false positive rate"), yaxis_title=_("true positive rate"))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#adb5bd"), name=_("chance"))
    return fig


def pr_curves(evs: dict[str, dict], lang: str = "en") -> go.Figure:
    _ = translator(lang)
    return _class_curves(evs, "pr", "recall", "precision", "ap", _("Precision-recall curves"),
                         xaxis_title=_("recall"), yaxis_title=_("precision"))


def calibration_curves(evs: dict[str, dict], lang: str = "en") -> go.Figure:
    _ = translator(lang)
    fig = _fig(_("Calibration: when the model says X% sure, is it right X% of the time?"), xaxis_title=_("confidence"),
               yaxis_title=_("accuracy"), xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 1.02]))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#adb5bd"), name=_("perfect"))
    for i, (name, ev) in enumerate(evs.items()):
        bins = ev["calibration"]["bins"]
        fig.add_scatter(x=[b["confidence"] for b in bins], y=[b["accuracy"] for b in bins], mode="lines+markers",
                        name=plain(name) + f" (ECE {ev['calibration']['ece']:.3f})",
                        line=dict(color=PALETTE[i % len(PALETTE)]),
                        customdata=[b["count"] for b in bins],
                        hovertemplate=_("{n} rows", n="%{customdata}") + "<extra></extra>")
    return fig


def has_curves(events: list[dict]) -> bool:
    """True if a progress log holds a training loss or a validation score to draw."""
    return any(e.get("event") == "eval" or (e.get("event") == "step" and e.get("loss") is not None) for e in events)


def training_curves(progress: dict[str, list[dict]], lang: str = "en") -> go.Figure:
    """Training loss (left axis) and validation macro-F1 (right axis) against step."""
    _ = translator(lang)
    fig = _fig(_("Training curves"), xaxis_title=_("step"), yaxis=dict(title=_("training loss")),
               yaxis2=dict(title=_("validation macro-F1"), overlaying="y", side="right", range=[0, 1.02],
                           tick0=0, dtick=0.2, tickformat=".1f"))  # round ticks: 0.0, 0.2 ... 1.0
    for i, (name, events) in enumerate(progress.items()):
        color = PALETTE[i % len(PALETTE)]
        steps = [e for e in events if e.get("event") == "step" and e.get("loss") is not None]
        evals = [e for e in events if e.get("event") == "eval"]
        if steps:
            fig.add_scatter(x=[e["step"] for e in steps], y=[e["loss"] for e in steps], mode="lines",
                            name=_("{name} loss", name=plain(name)), line=dict(color=color))
        if evals:
            fig.add_scatter(x=[e["step"] for e in evals], y=[e["val_macro_f1"] for e in evals], mode="lines+markers",
                            name=_("{name} val macro-F1", name=plain(name)), yaxis="y2",
                            line=dict(color=color, dash="dash"))
    return fig


def probability_bars(classes: list[str], probs: list[float], title: str, given: list[str] | None = None) -> go.Figure:
    """A bar per class, the predicted one coloured; `given`: for several labels a text, every label given."""
    fig = _fig(title, height=max(200, 34 * len(classes) + 80), xaxis=dict(range=[0, 1], tickformat=".0%"))
    order = sorted(range(len(classes)), key=lambda i: probs[i])
    chosen = {classes.index(c) for c in given} if given is not None else {order[-1]}
    fig.add_bar(x=[probs[i] for i in order], y=[plain(classes[i]) for i in order], orientation="h",
                marker_color=[PALETTE[0] if i in chosen else "#ced4da" for i in order],
                text=[f"{probs[i]:.0%}" for i in order], textposition="auto")
    return fig


def learning_curves(data: dict, lang: str = "en") -> go.Figure:
    """Accuracy as labels grow, rows chosen by uncertainty (solid) vs at random (dotted), one colour a dataset."""
    _ = translator(lang)
    fig = _fig(_("Accuracy as you label more: most uncertain first vs at random"), xaxis_title=_("labelled rows"),
               yaxis_title=_("test accuracy"), height=400)
    for colour, (name, curve) in zip(PALETTE, data["curves"].items(), strict=False):
        fig.add_scatter(x=data["labels"], y=curve["uncertainty"], name=_("{name}: uncertain first", name=plain(name)),
                        line=dict(color=colour), mode="lines+markers")
        fig.add_scatter(x=data["labels"], y=curve["random"], name=_("{name}: random", name=plain(name)),
                        line=dict(color=colour, dash="dot"))
    return fig
