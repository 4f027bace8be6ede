"""The comparison dashboard as data, the stakeholder summary, and the HTML report.

`build_dashboard(run_dirs)` reads each run's metrics.json, predictions and
progress log, pairs the runs for McNemar's test on the rows they share, and
returns plain data. `summary_sentences` turns it into three sentences for people
who don't read charts; `html_report` writes one self-contained file with the same
Plotly figures the page shows. A Dashboard carries the reader's language (`lang`), and every
sentence, title and heading made from it is in that language; the CSV stays English (it is for machines).
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core import charts
from core.compare import aligned_predictions, pairwise_mcnemar
from core.i18n import translator
from core.runs import RunFolder


@dataclass
class Dashboard:
    """Everything the Evaluate page and the report show, for a set of runs."""

    rows: list[dict]  # one per contender: run, name, model, accuracy, macro_f1, weighted_f1, ci, n, ece, seconds
    evals: dict[str, dict]  # display name -> Evaluation dict
    progress: dict[str, list[dict]]
    tests: list[dict] = field(default_factory=list)  # pairwise McNemar with a plain sentence
    notes: list[str] = field(default_factory=list)
    lang: str = "en"  # the language of its sentences, figures and report


def display_name(run: RunFolder, taken: set[str]) -> str:
    """The run's readable name; the end of its id is added when two runs share a name."""
    name = run.name
    return name if name not in taken else f"{name} ({run.id[-6:]})"


def build_dashboard(run_dirs: list[str | Path], lang: str = "en") -> Dashboard:
    """Read each finished run's metrics, progress and test predictions into one Dashboard (sentences in `lang`)."""
    rows, evals, progress, frames = [], {}, {}, {}
    for run in map(RunFolder, run_dirs):
        metrics = run.metrics()
        if metrics is None or "test" not in metrics:
            continue
        name = display_name(run, set(evals))
        ev = metrics["test"]
        evals[name] = ev
        progress[name] = run.progress()
        rows.append({"run": str(run.path), "name": name, "model": metrics["model"], "accuracy": ev["accuracy"],
                     "macro_f1": ev["macro_f1"], "weighted_f1": ev["weighted_f1"], "ci": ev["ci"], "n": ev["n"],
                     "ece": ev["calibration"]["ece"], "seconds": metrics.get("train_seconds")})
        predictions = run.predictions(columns=["text", "label", "pred"])
        if predictions is not None:
            frames[str(run.path)] = predictions
    dash, _ = Dashboard(rows, evals, progress, lang=lang), translator(lang)
    if len(frames) >= 2:
        truth, preds = aligned_predictions(frames)
        if truth:
            dash.tests = pairwise_mcnemar([r for r in rows if r["run"] in preds], preds, truth, lang)
            if len(truth) < min(r["n"] for r in rows):
                dash.notes.append(_("The significance tests use the {n} test rows all runs share.", n=len(truth)))
        else:
            dash.notes.append(_("These runs were scored on different test rows (different data or seed), "
                                "so no significance test compares them."))
    return dash


def figures(dash: Dashboard, normalize: bool = False) -> dict[str, object]:
    """The dashboard's Plotly figures, by key, in display order."""
    lang = dash.lang
    figs = {"metrics": charts.metric_bars(dash.rows, lang), "per_class": charts.per_class_f1(dash.evals, lang)}
    for name, ev in dash.evals.items():
        figs[f"confusion:{name}"] = charts.confusion(ev, name, normalize, lang)
    figs.update({"roc": charts.roc_curves(dash.evals, lang), "pr": charts.pr_curves(dash.evals, lang),
                 "calibration": charts.calibration_curves(dash.evals, lang)})
    if any(charts.has_curves(events) for events in dash.progress.values()):
        figs["training"] = charts.training_curves(dash.progress, lang)
    return figs


def _worst_confusion(ev: dict) -> tuple[str, str, int] | None:
    cm, classes = ev["confusion"], ev["classes"]
    cells = [(cm[i][j], classes[i], classes[j]) for i in range(len(cm)) for j in range(len(cm)) if i != j and cm[i][j]]
    if not cells:
        return None
    n, true, pred = max(cells)
    return true, pred, n


def summary_sentences(dash: Dashboard) -> list[str]:
    """Three sentences a non-technical stakeholder understands, in the dashboard's language."""
    _ = translator(dash.lang)
    if not dash.rows:
        return [_("No finished runs to summarise yet.")]
    best = max(dash.rows, key=lambda r: (r["macro_f1"], r["accuracy"]))
    lo, hi = best["ci"]["accuracy"]
    others = [r for r in dash.rows if r is not best]
    first = _("The best model is the {name}: it labels {acc:.0%} of texts it has never seen correctly (likely "
              "between {lo:.0%} and {hi:.0%} on new data like this)", name=best["name"], acc=best["accuracy"], lo=lo,
              hi=hi)
    versus = _(", ").join(_("{acc:.0%} for the {name}", acc=r["accuracy"], name=r["name"]) for r in others)
    first += _(", against {others}.", others=versus) if others else _(".")
    ev = dash.evals[best["name"]]
    per = sorted(ev["per_class"], key=lambda c: c["f1"])
    worst = _worst_confusion(ev)
    second = (_("It is most reliable on '{best}' and weakest on '{worst}', most often mistaking '{true}' for "
                "'{pred}' ({n} times in the test).", best=per[-1]["label"], worst=per[0]["label"], true=worst[0],
                pred=worst[1], n=worst[2]) if worst else
              _("It is most reliable on '{best}' and weakest on '{worst}'.", best=per[-1]["label"],
                worst=per[0]["label"]))
    test = next((t for t in dash.tests if best["run"] in (t["a"], t["b"])), None)
    if test is not None:
        third = test["sentence"]
    else:
        ece = ev["calibration"]["ece"]
        third = (_("Its confidence scores can be taken at face value (off by {ece:.0%} on average).", ece=ece)
                 if ece < 0.05 else
                 _("Treat its confidence scores with care: they are off by {ece:.0%} on average.", ece=ece))
    return [first, second, third]


def metrics_csv(dash: Dashboard) -> str:
    rows = [{"contender": r["name"], "kind": r["model"], "test_rows": r["n"], "accuracy": r["accuracy"],
             "accuracy_ci_low": r["ci"]["accuracy"][0], "accuracy_ci_high": r["ci"]["accuracy"][1],
             "macro_f1": r["macro_f1"], "macro_f1_ci_low": r["ci"]["macro_f1"][0],
             "macro_f1_ci_high": r["ci"]["macro_f1"][1], "weighted_f1": r["weighted_f1"], "ece": r["ece"],
             "train_seconds": r["seconds"], "run": Path(r["run"]).name} for r in dash.rows]
    buf = io.StringIO()
    pd.DataFrame(rows).to_csv(buf, index=False)
    return buf.getvalue()


def mistake_explanations(dash: Dashboard, explain_fn=None, per_contender: int = 3) -> dict[str, list[dict]]:
    """The most confident mistakes of each contender with the explanation of what it predicted:
    {name: [{"text", "true", "pred", "confidence", "explanation": Explanation}]}.
    `explain_fn(run_dir, text, target)` defaults to loading the run's model here; the app passes
    its cached, locked models instead."""
    if explain_fn is None:
        from core.explain import explain

        models = {}

        def explain_fn(run, text, target):
            if run not in models:
                models[run] = RunFolder(run).load_model()
            return explain(models[run], text, target)
    out = {}
    for row in dash.rows:
        errors = dash.evals[row["name"]]["errors"][:per_contender]
        if errors:
            out[row["name"]] = [{**e, "explanation": explain_fn(row["run"], e["text"], e["pred"])} for e in errors]
    return out


def _mistakes_html(explained: dict[str, list[dict]], lang: str) -> list[str]:
    from core.explain import highlight_html

    esc, _ = html.escape, translator(lang)
    parts = ["<h2>" + esc(_("Why the models got these wrong")) + "</h2><p>" + esc(_(
        "The most confident mistakes of each model; green words pushed it towards the label it wrongly chose, "
        "red words against it.")) + "</p>"]
    for name, items in explained.items():
        parts.append(f"<h3>{esc(name)}</h3>")
        for e in items:
            parts.append("<p>" + _("<b>True:</b> {true} &middot; <b>predicted:</b> {pred} ({sure:.0%} sure)",
                                   true=esc(e["true"]), pred=esc(e["pred"]), sure=e["confidence"])
                         + f"</p>{highlight_html(e['text'], e['explanation'])}")
    return parts


def html_report(dash: Dashboard, title: str | None = None, explained: dict[str, list[dict]] | None = None) -> str:
    """One self-contained HTML file in the dashboard's language (plotly.js inlined once). Every user string is
    escaped; `explained` (from `mistake_explanations`) adds the most confident mistakes, highlighted."""
    esc, _ = html.escape, translator(dash.lang)
    title = title or _("Tunelab model comparison")
    head = [_("contender"), _("accuracy (95% CI)"), _("macro-F1 (95% CI)"), _("test rows")]
    parts = [f"<!doctype html><html lang='{'zh-Hans' if dash.lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
             f"<title>{esc(title)}</title>",
             "<style>body{font-family:Inter,Segoe UI,'PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;"
             "margin:2em auto;color:#212529}table{border-collapse:collapse}td,th{border:1px solid #dee2e6;"
             "padding:4px 8px}</style></head><body>",
             f"<h1>{esc(title)}</h1><h2>" + esc(_("Summary")) + "</h2>",
             *[f"<p>{esc(s)}</p>" for s in summary_sentences(dash)],
             "<h2>" + esc(_("Metrics")) + "</h2><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    for r in dash.rows:
        a, f = r["ci"]["accuracy"], r["ci"]["macro_f1"]
        parts.append(f"<tr><td>{esc(r['name'])}</td><td>{r['accuracy']:.3f} ({a[0]:.3f}-{a[1]:.3f})</td>"
                     f"<td>{r['macro_f1']:.3f} ({f[0]:.3f}-{f[1]:.3f})</td><td>{r['n']}</td></tr>")
    parts.append("</table>")
    parts += [f"<p>{esc(t['sentence'])}</p>" for t in dash.tests] + [f"<p><i>{esc(n)}</i></p>" for n in dash.notes]
    parts += _mistakes_html(explained, dash.lang) if explained else []
    for i, fig in enumerate(figures(dash).values()):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("</body></html>")
    return "\n".join(parts)


def explain_prompt(dash: Dashboard) -> str:
    """The prompt behind "Explain my results": contenders, metrics and the largest confusions, with a request
    for a plain-language summary for stakeholders, in the dashboard's language (and asking for an answer in it)."""
    _ = translator(dash.lang)
    lines = [_("Here are the results of comparing {n} text classifier(s) on held-out test data.", n=len(dash.rows))]
    for r in dash.rows:
        lines.append(_("- {name}: accuracy {acc:.1%}, macro-F1 {f1:.3f}, tested on {n} texts.", name=r["name"],
                       acc=r["accuracy"], f1=r["macro_f1"], n=r["n"]))
    best = max(dash.rows, key=lambda r: r["macro_f1"]) if dash.rows else None
    if best:
        worst = _worst_confusion(dash.evals[best["name"]])
        if worst:
            lines.append(_("The best model most often mistakes '{true}' for '{pred}' ({n} times).", true=worst[0],
                           pred=worst[1], n=worst[2]))
    lines += [t["sentence"] for t in dash.tests]
    lines.append(_("Explain these results in three or four short sentences for a manager who does not know "
                   "machine learning: which model to use, how often it is right, and where it goes wrong."))
    return "\n".join(lines)
