"""Analytics: latency, cost, ratings and reliability across runs, and a planner for cost at scale.

The figures are `moa_core.metrics`; the drawing is `ui.analytics_view` and `ui.planner_view`."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from ui import analytics_view, planner_view

st.title("Analytics")
top = st.container(horizontal=True, vertical_alignment="center")
top.caption("Where the seconds and cents of your runs go, and what a lineup would cost at your volume.")
if top.button("Refresh", icon=":material/refresh:", type="tertiary"):
    analytics_view.clear_caches()
    planner_view.clear_cache()

analytics_view.render(planner=planner_view.draw)
