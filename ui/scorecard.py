"""The Evaluate page's scorecard: quality, cost and speed of every run, the recommended one marked."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.glossary import help_text
from core.report import Dashboard, scorecard
from ui.i18n import _, lang


def scorecard_table(dash: Dashboard) -> None:
    """Accuracy with its CI, macro-F1, training time, texts/s and p50 latency when predicting, size on disk.
    Runs trained before speed was measured show empty cells, not zeros."""
    cols = {"name": _("contender"), "accuracy": _("accuracy"), "ci": _("95% CI"), "macro_f1": _("macro-F1"),
            "train_s": _("train seconds"), "texts_per_s": _("texts/s"), "p50_ms": _("ms per text (p50)"),
            "size_mb": _("size (MB)"), "n": _("test rows"), "full_name": _("run"),
            "tokens_per_text": _("tokens per text"), "usd_per_1000": _("$ per 1,000 texts")}
    rows, card = [], scorecard(dash)
    sets = any(r["micro_f1"] is not None for r in card)  # texts with several labels: micro-F1 first, exact match
    if sets:
        cols.update({"micro_f1": _("micro-F1"), "accuracy": _("exact match"), "ci": _("95% CI (micro-F1)")})
    shown = [c for c in ("tokens_per_text", "usd_per_1000") if any(r[c] is not None for r in card)]  # LLM runs only
    for r in card:
        ci = r["micro_ci"] if sets else r["ci"]
        rows.append({cols["name"]: ("★ " if r["recommended"] else "") + r["name"],
                     **({cols["micro_f1"]: r["micro_f1"]} if sets else {}), cols["accuracy"]: r["accuracy"],
                     cols["ci"]: f"{ci[0]:.3f} – {ci[1]:.3f}", cols["macro_f1"]: r["macro_f1"],
                     cols["train_s"]: r["train_s"], cols["texts_per_s"]: r["texts_per_s"],
                     cols["p50_ms"]: r["p50_ms"], cols["size_mb"]: r["size_mb"], cols["n"]: r["n"],
                     **{cols[c]: r[c] for c in shown},
                     cols["full_name"]: r["full_name"]})  # the legend: short names in charts, the full one here
    number = {**({"micro_f1": "{:.3f}"} if sets else {}), "accuracy": "{:.3f}", "macro_f1": "{:.3f}",
              "train_s": "{:,.1f}", "texts_per_s": "{:,.0f}",
              "p50_ms": "{:,.1f}", "size_mb": "{:,.1f}",
              **{c: {"tokens_per_text": "{:,.0f}", "usd_per_1000": "${:.4f}"}[c] for c in shown}}
    explained = {"accuracy": "exact_match" if sets else "accuracy", "micro_f1": "micro_f1", "ci": "ci",
                 "macro_f1": "macro_f1", "texts_per_s": "speed",
                 "p50_ms": "speed", "n": "test_rows", "tokens_per_text": "tokens",
                 "usd_per_1000": "tokens"}  # column -> glossary entry, as the header's help
    config = {cols[c]: st.column_config.Column(help=_help(explained, c)) for c in [*number, "ci", "n"]}
    table = pd.DataFrame(rows)
    for c in number:
        table[cols[c]] = pd.to_numeric(table[cols[c]], errors="coerce")
    # an unmeasured cell (an LLM's training seconds, a baseline's tokens) reads as empty, not as the word "None"
    styled = table.style.format({cols[c]: f for c, f in number.items()}, na_rep="")
    st.dataframe(styled, hide_index=True, column_config=config)
    if sets:
        st.caption(_("★ recommended: the cheapest model whose micro-F1 is not significantly below the best's (a paired "
                     "bootstrap of micro-F1, p ≥ 0.05). Exact match: every label of a text right. Speed is measured on "
                     "each run's own test rows when it trained."))
    else:
        st.caption(_("★ recommended: the cheapest model whose accuracy is not significantly below the best's "
                     "(McNemar's test, p ≥ 0.05). Speed is measured on each run's own test rows when it trained."))


def _help(explained: dict[str, str], column: str) -> str | None:
    return help_text(explained[column], lang()) if column in explained else None
