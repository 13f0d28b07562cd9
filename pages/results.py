"""Results page: what the blind votes say, with intervals, bias checks and agreement."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.storage.db import default_url
from ui import resources
from ui import results_view as rv

st.title("Results of blind votes")
rows = rv.all_votes()
if not rows:
    st.info("No votes yet: vote on the Compare or Review page.")
    st.stop()
flt = rv.filters(rows)
data = rv.figures(default_url(), resources.store().votes.votes_version(), flt)
rv.head_to_head(data["pairs"])
rv.leaderboard_section(data)
rv.quality_section(data)
rv.reviewers_section(data)
rv.export_section(rows, flt, data)
