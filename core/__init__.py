"""Tunelab engine: data in, classifiers trained and measured, chat. Never imports streamlit."""

__version__ = "0.1.0"
