"""Datasets: reading any file, cleaning, versions, and the corrections waiting for review."""
