"""Reusable Streamlit widgets for the studio's pages; the core they draw lives in `studio/`."""
