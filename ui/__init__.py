"""Streamlit-side helpers shared by the pages (the engine in moa_core never imports streamlit)."""
