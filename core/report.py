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

from core import charts, labelsets
from core.compare import aligned_predictions, pairwise_mcnemar
from core.errors import DataError
from core.i18n import translator
from core.recommend import cost_per_1000, distillation, recommend, token_cost
from core.runs import RunFolder
from core.trust.explain import highlight_html


@dataclass
class Dashboard:
    """Everything the Evaluate page and the report show, for a set of runs."""

    rows: list[dict]  # one per contender: run, name, model, accuracy, macro_f1, weighted_f1, ci, n, ece, seconds
    evals: dict[str, dict]  # display name -> Evaluation dict
    progress: dict[str, list[dict]]
    tests: list[dict] = field(default_factory=list)  # McNemar of each run against the recommended one
    notes: list[str] = field(default_factory=list)
    lang: str = "en"  # the language of its sentences, figures and report
    recommendation: dict | None = None  # core.recommend.recommend: the run to use and the sentence why
    all_tests: list[dict] = field(default_factory=list)  # McNemar for every pair (the page's expander)
    distillation: str | None = None  # the LLM that labelled the data against its best student (core.recommend)


def display_names(runs: list[RunFolder], lang: str = "en") -> dict[str, tuple[str, str]]:
    """Run path -> (short name for charts and sentences, full name for hover and the legend table). Short names
    are the contender and its version ("Fine-tuned MiniLM (v2)"); where two would be the same, the full name is
    used, and where those clash too, the end of the id is added."""
    short = {str(r.path): r.short_name(lang) for r in runs}
    full = {str(r.path): r.display_name(lang) for r in runs}
    clash = {n for n in short.values() if list(short.values()).count(n) > 1}
    names, taken = {}, set()
    for run in runs:
        key = str(run.path)
        name = full[key] if short[key] in clash else short[key]
        name = name if name not in taken else f"{name} ({run.id[-6:]})"
        taken.add(name)
        names[key] = (name, full[key])
    return names


def build_dashboard(run_dirs: list[str | Path], lang: str = "en") -> Dashboard:
    """Read each finished run's metrics, progress and test predictions into one Dashboard (sentences in `lang`)."""
    rows, evals, progress, frames, sources = [], {}, {}, {}, set()
    finished = [(r, m) for r, m in ((r, r.metrics() or {}) for r in map(RunFolder, run_dirs)) if "test" in m]
    names = display_names([run for run, _metrics in finished], lang)
    for run, metrics in finished:  # each run's metrics.json read once
        sources.add(_source(run, metrics))
        if len(sources - {None}) > 1:  # a winner across two label sets means nothing
            raise DataError("These runs were trained on different datasets; compare the runs of one dataset at a "
                            "time.")
        name, full_name = names[str(run.path)]
        ev = metrics["test"]
        evals[name] = ev
        progress[name] = run.progress()
        speed = metrics.get("speed") or {}  # measured when the run trained; runs from before have none
        rows.append({"run": str(run.path), "name": name, "full_name": full_name, "model": metrics["model"],
                     "accuracy": ev["accuracy"], **({"micro_f1": ev["multi"]["micro_f1"]} if ev.get("multi") else {}),
                     "macro_f1": ev["macro_f1"], "weighted_f1": ev["weighted_f1"], "ci": ev["ci"], "n": ev["n"],
                     "ece": ev["calibration"]["ece"], "seconds": metrics.get("train_seconds"),
                     "texts_per_s": speed.get("texts_per_s"), "p50_ms": speed.get("p50_ms"),
                     "size_mb": speed.get("size_mb"), "teacher": bool(metrics.get("teacher")), **token_cost(speed)})
        predictions = run.predictions(columns=["text", "label", "pred"])
        if predictions is not None:
            frames[str(run.path)] = predictions
    dash, _ = Dashboard(rows, evals, progress, lang=lang), translator(lang)
    truth, preds = aligned_predictions(frames) if len(frames) >= 2 else ([], {})
    dash.recommendation = recommend(rows, preds, truth, lang)
    dash.distillation = distillation(rows, preds, truth, lang)
    if len(frames) >= 2:
        if truth:
            dash.all_tests = pairwise_mcnemar([r for r in rows if r["run"] in preds], preds, truth, lang)
            dash.tests = dash.recommendation["tests"]
            if len(truth) < min(r["n"] for r in rows):
                dash.notes.append(_("The significance tests use the {n} test rows all runs share.", n=len(truth)))
        else:
            dash.notes.append(_("These runs were scored on different test rows (different data or seed), "
                                "so no significance test compares them."))
    for r in rows:  # a server that gave no log-probabilities: its confidences are not probabilities
        if r.get("coarse_share"):
            dash.notes.append(_("The {name} asked a server that gave no log-probabilities for {share:.0%} of the "
                                "texts: its confidence there is coarse (0.9 for the label it answered), not a "
                                "probability.", name=r["name"], share=r["coarse_share"]))
    return dash


def _source(run: RunFolder, metrics: dict) -> str | None:
    """What a run trained on: its saved dataset (any version), else its data file; None when unknown (the CLI)."""
    tag = metrics.get("data_version")
    if tag:
        return f"dataset:{tag['dataset_id']}"
    return f"file:{run.data_path()}" if run.has_data_path() else None


def figures(dash: Dashboard, normalize: bool = False) -> dict[str, object]:
    """The dashboard's Plotly figures, by key, in display order."""
    lang = dash.lang
    figs = {"metrics": charts.metric_bars(dash.rows, lang)}
    cost = charts.quality_and_cost(dash.rows, lang)
    if cost is not None:
        figs["cost"] = cost
    figs["per_class"] = charts.per_class_f1(dash.evals, lang)
    for name, ev in dash.evals.items():
        if ev.get("multi"):  # label sets have no confusion matrix: which labels come together, once
            figs.setdefault("cooccurrence", charts.cooccurrence(ev, lang))
        else:
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


def recommended_row(dash: Dashboard) -> dict | None:
    rec = dash.recommendation
    return next((r for r in dash.rows if rec and r["run"] == rec["run"]), None)


def summary_sentences(dash: Dashboard) -> list[str]:
    """What a non-technical stakeholder needs, in the dashboard's language: the recommendation and why, how
    often it will be right on new texts, where it goes wrong, and whether its confidence can be believed."""
    _ = translator(dash.lang)
    pick = recommended_row(dash)
    if pick is None:
        return [_("No finished runs to summarise yet.")]
    lo, hi = pick["ci"]["accuracy"]
    ev = dash.evals[pick["name"]]
    per = sorted(ev["per_class"], key=lambda c: c["f1"])
    worst = _worst_confusion(ev)
    where = (_("It is most reliable on '{best}' and weakest on '{worst}', most often mistaking '{true}' for "
               "'{pred}' ({n} times in the test).", best=per[-1]["label"], worst=per[0]["label"], true=worst[0],
               pred=worst[1], n=worst[2]) if worst else
             _("It is most reliable on '{best}' and weakest on '{worst}'.", best=per[-1]["label"],
               worst=per[0]["label"]))
    if ev.get("multi"):
        where = _sets_sentence(ev, _) + " " + where
    ece = ev["calibration"]["ece"]
    trust = (_("Its confidence scores can be taken at face value (off by {ece:.0%} on average).", ece=ece)
             if ece < 0.05 else
             _("Treat its confidence scores with care: they are off by {ece:.0%} on average.", ece=ece))
    expect = _("On new texts like these, expect it to get every label of a text right {lo:.0%} to {hi:.0%} of the "
               "time (95% confidence interval).", lo=lo, hi=hi) if ev.get("multi") else \
        _("On new texts like these, expect it to be right {lo:.0%} to {hi:.0%} of the time (95% confidence "
          "interval).", lo=lo, hi=hi)
    return [dash.recommendation["sentence"], *([dash.distillation] if dash.distillation else []), expect, where,
            trust]


def _sets_sentence(ev: dict, _) -> str:
    """Label sets in plain words: of the labels texts really have, how many it gives; of those it gives, how many
    are right (micro recall and precision)."""
    m = ev["multi"]
    return _("It gives {recall:.0%} of the labels the test texts really have, and {precision:.0%} of the labels it "
             "gives are right; every label of a text is right for {exact:.0%} of texts.",
             recall=m["micro_recall"], precision=m["micro_precision"], exact=ev["accuracy"])


def scorecard(dash: Dashboard) -> list[dict]:
    """One row per run for the scorecard: accuracy with its CI, training time, speed, size (None: not measured)."""
    rec = dash.recommendation or {}
    return [{"name": r["name"], "full_name": r["full_name"], "recommended": r["run"] == rec.get("run"),
             "accuracy": r["accuracy"], "micro_f1": r.get("micro_f1"), "micro_ci": r["ci"].get("micro_f1"),
             "ci": r["ci"]["accuracy"], "macro_f1": r["macro_f1"], "train_s": r["seconds"],
             "texts_per_s": r["texts_per_s"], "p50_ms": r["p50_ms"], "cost_s_per_1000": cost_per_1000(r),
             "size_mb": r["size_mb"], "n": r["n"], "tokens_per_text": r.get("tokens_per_text"),
             "usd_per_1000": r.get("usd_per_1000")} for r in dash.rows]



def metrics_csv(dash: Dashboard) -> str:
    rows = [{"contender": r["name"], "kind": r["model"], "test_rows": r["n"], "accuracy": r["accuracy"],
             "accuracy_ci_low": r["ci"]["accuracy"][0], "accuracy_ci_high": r["ci"]["accuracy"][1],
             "macro_f1": r["macro_f1"], "macro_f1_ci_low": r["ci"]["macro_f1"][0],
             "macro_f1_ci_high": r["ci"]["macro_f1"][1], "weighted_f1": r["weighted_f1"], "ece": r["ece"],
             **({"micro_f1": r["micro_f1"], "micro_f1_ci_low": r["ci"]["micro_f1"][0],
                 "micro_f1_ci_high": r["ci"]["micro_f1"][1]} if "micro_f1" in r else {}),
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
        from core.trust.explain import explain

        models = {}

        def explain_fn(run, text, target):
            if run not in models:
                models[run] = RunFolder(run).load_model()
            return explain(models[run], text, target)
    out = {}
    for row in dash.rows:
        errors = dash.evals[row["name"]]["errors"][:per_contender]
        if errors:
            out[row["name"]] = [{**e, "explanation": explain_fn(row["run"], e["text"], _wrong_label(e))}
                                for e in errors]
    return out


def _wrong_label(error: dict) -> str:
    """The label a mistake is explained for: the predicted one, or for a label set the first added by mistake
    (else the first missed)."""
    return (error.get("extra") or error.get("missed") or [error["pred"]])[0]


def _mistakes_html(explained: dict[str, list[dict]], lang: str) -> list[str]:
    esc, _ = html.escape, translator(lang)
    parts = ["<h2>" + esc(_("Why the models got these wrong")) + "</h2><p>" + esc(_(
        "The most confident mistakes of each model; green words pushed it towards the label it wrongly chose, "
        "red words against it.")) + "</p>"]
    for name, items in explained.items():
        parts.append(f"<h3>{esc(name)}</h3>")
        for e in items:
            parts.append("<p>" + _("<b>True:</b> {true} &middot; <b>predicted:</b> {pred} ({sure:.0%} sure)",
                                   true=esc(labelsets.show(e["true"])), pred=esc(labelsets.show(e["pred"])),
                                   sure=e["confidence"])
                         + f"</p>{highlight_html(e['text'], e['explanation'])}")
    return parts


def _cell(value, fmt: str) -> str:
    return "&mdash;" if value is None else fmt.format(value)


def html_report(dash: Dashboard, title: str | None = None, explained: dict[str, list[dict]] | None = None) -> str:
    """One self-contained HTML file in the dashboard's language (plotly.js inlined once). Every user string is
    escaped; `explained` (from `mistake_explanations`) adds the most confident mistakes, highlighted."""
    esc, _ = html.escape, translator(dash.lang)
    title = title or _("Tunelab model comparison")
    head = [_("contender"), _("accuracy (95% CI)"), _("macro-F1 (95% CI)"), _("test rows"), _("train seconds"),
            _("texts/s"), _("ms per text (p50)"), _("size (MB)")]
    tokens = [(k, fmt) for k, fmt in (("tokens_per_text", "{:,.0f}"), ("usd_per_1000", "${:,.4f}"))
              if any(r.get(k) is not None for r in dash.rows)]  # the LLMs' columns, where there are LLM runs
    head += [{"tokens_per_text": _("tokens per text"), "usd_per_1000": _("$ per 1,000 texts")}[k] for k, _f in tokens]
    parts = [f"<!doctype html><html lang='{'zh-Hans' if dash.lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
             f"<title>{esc(title)}</title>",
             "<style>body{font-family:Inter,Segoe UI,'PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;"
             "margin:2em auto;color:#212529}table{border-collapse:collapse}td,th{border:1px solid #dee2e6;"
             "padding:4px 8px}</style></head><body>",
             f"<h1>{esc(title)}</h1><h2>" + esc(_("Summary")) + "</h2>",
             *[f"<p>{esc(s)}</p>" for s in summary_sentences(dash)],
             "<h2>" + esc(_("Metrics")) + "</h2><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    pick = recommended_row(dash)
    for r in dash.rows:
        a, f = r["ci"]["accuracy"], r["ci"]["macro_f1"]
        star = " &#9733;" if r is pick else ""
        speed = "".join(f"<td>{_cell(r.get(k), fmt)}</td>" for k, fmt in (("seconds", "{:,.1f}"),
                        ("texts_per_s", "{:,.0f}"), ("p50_ms", "{:,.1f}"), ("size_mb", "{:,.1f}"), *tokens))
        parts.append(f"<tr><td>{esc(r['name'])}{star}</td><td>{r['accuracy']:.3f} ({a[0]:.3f}-{a[1]:.3f})</td>"
                     f"<td>{r['macro_f1']:.3f} ({f[0]:.3f}-{f[1]:.3f})</td><td>{r['n']}</td>{speed}</tr>")
    parts.append("</table>" + ("<p>&#9733; " + esc(_("recommended")) + "</p>" if pick else ""))
    parts += [f"<p>{esc(t['sentence'])}</p>" for t in dash.tests] + [f"<p><i>{esc(n)}</i></p>" for n in dash.notes]
    if len(dash.all_tests) > len(dash.tests):
        parts.append("<details><summary>" + esc(_("Every pair of models compared")) + "</summary>"
                     + "".join(f"<p>{esc(t['sentence'])}</p>" for t in dash.all_tests) + "</details>")
    parts += _mistakes_html(explained, dash.lang) if explained else []
    for i, fig in enumerate(figures(dash).values()):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("</body></html>")
    return "\n".join(parts)
