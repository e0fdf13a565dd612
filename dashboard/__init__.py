"""Helpers for the Streamlit pages: cached state, Plotly figures, tables, widgets and batch scoring.

The pages lay things out; the computing happens in ``ecg_pipeline`` and the drawing helpers live here.
"""
