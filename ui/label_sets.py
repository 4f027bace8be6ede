"""Texts with several labels on the pages: the Data page's "several labels" switch, and sets shown to people."""
from __future__ import annotations

import streamlit as st

from core import labelsets
from core.data.cleaning import dataset_from_raw
from core.errors import DataError
from ui.i18n import _, lang
from ui.safe import md


def several_labels(table, text_col: str, label_col: str | None):
    """The cleaned dataset, read with or without label sets: found from the file (a JSON list, separated labels,
    one 0/1 column per label), then confirmed or overridden by the person with one switch."""
    try:
        found, refusal = dataset_from_raw(table, text_col=text_col, label_col=label_col), None
    except DataError as exc:  # a separator both between and inside names: said, and the switch decides
        found, refusal = None, exc
    detected = bool(found and found.report.multi_label)
    several = st.toggle(_("Each text can have several labels"), value=detected,
                        key=f"several_{text_col}_{label_col}_{detected}",
                        help=_("Found from the label column: cells like 'billing; angry', JSON lists, or one 0/1 "
                               "column per label. Turn it off to treat each cell as one label."))
    if refusal is not None and not several:
        st.warning(md(refusal.translated(lang())))
    if found is None or several != detected:
        found = dataset_from_raw(table, text_col=text_col, label_col=label_col, multi_label=several)
    multi = found.report.multi_label
    if multi and multi["form"] == "columns":
        st.caption(md(_("Labels from the 0/1 columns: {columns}.", columns=", ".join(multi["columns"]))))
    return found


def shown(value) -> str:
    """A label or label set as a person reads it: 'angry, billing', '(none)' for an empty set."""
    return labelsets.show(value, _("(none)")) if labelsets.is_encoded(value) else str(value)
