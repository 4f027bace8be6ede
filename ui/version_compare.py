"""Evaluate's "Across dataset versions": runs of one dataset on different versions, scored on the same test
rows against the newest labels, with McNemar's test for each contender's older and newer run."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.compare import compare_versions
from ui.i18n import _, lang


def across_versions(store, run_dirs: list) -> None:
    for group in compare_versions(store, run_dirs, lang()):
        if not group["pairs"] and not group["rescored"]:
            continue
        st.subheader(_("Across dataset versions"))
        if group["rescored"]:
            st.caption(_("{n} test row(s) were corrected after some of these runs were trained; every run here is "
                         "scored against the newest labels (v{newest}), so these numbers can differ from the table "
                         "above.", n=group["rescored"], newest=group["newest"]))
        st.dataframe(pd.DataFrame([{_("run"): r["name"], _("version"): f"v{r['version']}", _("accuracy"): r["accuracy"],
                                    _("test rows"): r["n"]} for r in group["rows"]]), hide_index=True,
                     column_config={_("accuracy"): st.column_config.NumberColumn(format="%.3f")})
        for pair in group["pairs"]:
            st.text(pair["sentence"])  # st.text: run names are the user's words
