"""Streamlit-aware helpers shared by the pages. Never imports torch or transformers."""
