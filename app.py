"""Tunelab: turn labelled text into a model people can trust. `streamlit run app.py`

Router only: page config, navigation, the shared sidebar.
"""
import streamlit as st

from ui import sidebar

st.set_page_config(page_title="Tunelab", page_icon="assets/logo.svg", layout="wide")
st.logo("assets/logo.svg")

pages = st.navigation({
    "Build": [st.Page("pages/data.py", title="Data", icon=":material/table:", default=True),
              st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
              st.Page("pages/evaluate.py", title="Evaluate", icon=":material/monitoring:"),
              st.Page("pages/label.py", title="Label", icon=":material/edit_note:")],
    "Use": [st.Page("pages/predict.py", title="Predict", icon=":material/label:"),
            st.Page("pages/chat.py", title="Chat", icon=":material/chat:")],
})
sidebar.render()
pages.run()
