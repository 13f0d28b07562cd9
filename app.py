"""MoA workbench: run Mixture of Agents, compare proposals with the synthesis, rate, and measure."""
import streamlit as st

st.set_page_config(page_title="MoA workbench", page_icon="🧩", layout="wide")

from ui import origin_check, resources, reviewer  # noqa: E402
from ui.page import run_from_app  # noqa: E402

origin_check.no_public_ip_lookup()
resources.warm_up()

# The Run page is served at the root (`/?run=ID`). Its file name made people type `/run?run=ID`, which the
# default page does not answer to ("Page not found"): a hidden page at /run hands over to the root with the
# address's parameters. The default page's own pathname is renamed so /run is free for that hand-over.
run_page = st.Page("pages/run.py", title="Run", icon=":material/play_arrow:", default=True, url_path="run-page")


def _run_alias() -> None:
    st.switch_page(run_page, query_params=st.query_params.to_dict())


pages = [
    run_page,
    st.Page(_run_alias, title="Run", url_path="run", visibility="hidden"),
    st.Page("pages/history.py", title="History", icon=":material/history:"),
    st.Page("pages/analytics.py", title="Analytics", icon=":material/monitoring:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/review.py", title="Review", icon=":material/checklist:"),
    st.Page("pages/results.py", title="Results", icon=":material/leaderboard:"),
    st.Page("pages/batches.py", title="Batches", icon=":material/playlist_play:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]
page = st.navigation(pages)
reviewer.ask(key="reviewer_sidebar")
run_from_app(page)  # marked as chosen here: see ui/page.py
