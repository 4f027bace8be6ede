"""Evaluate's "Across dataset versions": runs of one dataset on different versions, scored on the same test
rows against the newest labels, with McNemar's test for each contender's older and newer run."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.compare import compare_versions


def across_versions(store, run_dirs: list) -> None:
    for group in compare_versions(store, run_dirs):
        if not group["pairs"] and not group["rescored"]:
            continue
        st.subheader("Across dataset versions")
        if group["rescored"]:
            st.caption(f"{group['rescored']} test row(s) were corrected after some of these runs were trained; "
                       f"every run here is scored against the newest labels (v{group['newest']}), so these numbers "
                       "can differ from the table above.")
        st.dataframe(pd.DataFrame([{"run": r["name"], "version": f"v{r['version']}", "accuracy": r["accuracy"],
                                    "test rows": r["n"]} for r in group["rows"]]), hide_index=True,
                     column_config={"accuracy": st.column_config.NumberColumn(format="%.3f")})
        for pair in group["pairs"]:
            st.text(pair["sentence"])  # st.text: run names are the user's words
