"""Tunelab: turn labelled text into a model people can trust. `streamlit run app.py`

Router only: page config, the language, navigation, the shared sidebar.
"""
import streamlit as st

from ui import i18n, sidebar
from ui.i18n import _

st.set_page_config(page_title="Tunelab", page_icon="assets/logo.svg", layout="wide")
st.logo("assets/logo.svg")
i18n.init()

pages = st.navigation({
    _("Build"): [st.Page("pages/data.py", title=_("Data"), icon=":material/table:", default=True),
                 st.Page("pages/train.py", title=_("Train"), icon=":material/model_training:"),
                 st.Page("pages/evaluate.py", title=_("Evaluate"), icon=":material/monitoring:"),
                 st.Page("pages/label.py", title=_("Label"), icon=":material/edit_note:")],
    _("Use"): [st.Page("pages/predict.py", title=_("Predict"), icon=":material/label:"),
               st.Page("pages/chat.py", title=_("Chat"), icon=":material/chat:")],
    _("Help"): [st.Page("pages/glossary.py", title=_("Glossary"), icon=":material/menu_book:")],
})
sidebar.render()
pages.run()
