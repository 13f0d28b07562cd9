"""Run page: configure a lineup, ask, watch every proposer stream, read and rate the synthesis.

The page only submits and reads: Run queues a job in the database, a `moa worker` process runs it, and the
page draws the run from the store. Leaving, reloading or restarting the app never stops it or starts it
again (the run's id stays in the URL, `?run=...`); Stop sets a flag the worker obeys within a second.
"""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.documents import SUPPORTED, DocumentError, read_document
from ui import resources

# Start-up speed: the query box is drawn first. This page's heavy imports (litellm via the engine and the
# providers, SQLAlchemy via the store, pandas via the lineup editor, plotly and scipy via the run view) are
# made where they are needed, below the query box, and app.py's warm-up thread has usually made them already.
# A page without a run opens no store before the box; the lineup editor fills its slot above the box after.
run_id = st.query_params.get("run") or st.session_state.get("active_run")
job = resources.store().jobs.job_for_run(run_id) if run_id else None
running = job is not None and job.active

st.title("Run a Mixture of Agents")
lineup_slot = st.container()  # the lineup editor, drawn after the query box (see above)

# While a run goes on, a locked copy stands in for the query box (after a reload too). The box is
# a new widget after each run (versioned key), so it comes back holding the text that was asked.
QUERY_HINT = "Ask anything; attach a document to ask about it"
if running:
    from moa_core.jobs.runs import query_of

    query = st.text_area("Query", value=query_of(job.payload), disabled=True, height=100, key="query_running")
else:
    query = st.text_area("Query", value=st.session_state.get("query_text", ""), height=100,
                         placeholder=QUERY_HINT, key=f"query_{st.session_state.setdefault('query_version', 0)}")
    st.session_state["query_text"] = query
uploads = st.file_uploader(f"Documents (optional, one or several: {SUPPORTED})",
                           type=["pdf", "docx", "txt", "md", "markdown"], accept_multiple_files=True,
                           disabled=running, key="document_upload")
documents, unreadable = [], False
for upload in uploads or []:
    try:
        document = read_document(upload.name, upload.getvalue())
    except DocumentError as exc:
        st.error(str(exc))
        unreadable = True
        continue
    documents.append(document)
    with st.expander(f"Extracted text of {upload.name} · {len(document.text):,} characters"):
        st.text(document.text[:20000] + ("\n…" if len(document.text) > 20000 else ""))

with lineup_slot:
    from ui.lineup_form import lineup_form  # start-up speed: pandas and model discovery come after the box

    with st.expander("Lineup", expanded=not run_id):
        lineup = lineup_form(disabled=running)

on_overflow = "refuse"
if documents and lineup is not None:
    from ui.budget import FIT_CHOICES, budget_table  # start-up speed: token counting needs litellm

    if budget_table(query, lineup, documents):
        choice = st.radio("When the documents are too long", list(FIT_CHOICES), key="on_overflow",
                          disabled=running, help="Fitting scores every paragraph (page paragraph for PDFs) "
                          "against the query by meaning and keywords and keeps the best ones that fit the "
                          "smallest context window, with room for the answers; the run view lists what was "
                          "left out.")
        on_overflow = FIT_CHOICES[choice]

if st.button("Run", type="primary", disabled=running or lineup is None):
    if not query.strip():
        st.error("Type a query first.")
    elif unreadable:
        st.error("A document cannot be read (see above): remove it or upload a readable copy.")
    else:
        from moa_core.engine import RunInputError, preflight  # start-up speed: the engine imports litellm
        from moa_core.jobs.runs import submit_run
        from moa_core.service import effective_lineup

        run_lineup = effective_lineup(lineup, resources.store())
        try:
            with st.spinner("Fitting the documents to the budget…" if on_overflow == "fit" else "Checking…"):
                documents = preflight(query, run_lineup, documents, on_overflow=on_overflow)  # fitted once, here
        except RunInputError as exc:
            st.error(f"The run could not start: {exc}")
        else:
            new_run = submit_run(resources.store(), query, run_lineup, documents, on_overflow=on_overflow)
            st.session_state["active_run"] = new_run
            st.session_state["lineup_data"] = lineup.to_dict()  # what ran is what the editor shows next
            st.session_state["editor_version"] += 1
            st.session_state["query_version"] += 1
            st.query_params["run"] = new_run
            st.rerun()


from ui.live import REFRESH_S, render_live, stop_button  # noqa: E402 - after the query box: start-up speed


@st.fragment(run_every=REFRESH_S)
def live(run_id: str) -> None:
    store = resources.store()
    job = store.jobs.job_for_run(run_id)
    if job is None or not job.active:
        st.rerun()  # finished: the whole page redraws with the stored run
    stop_button(store, job)
    render_live(job, store.get_run(run_id, documents=False))


if running:
    live(run_id)
elif run_id:
    from ui.run_view import render_run  # start-up speed: pandas, plotly and scipy draw a finished run
    from ui.thread_view import follow_up_box

    record = resources.store().get_run(run_id)
    if job is not None and job.status == "failed" and job.error:
        st.error(f"The run could not start: {job.error}" if record is None else f"The run failed: {job.error}")
    elif job is not None and job.status == "cancelled" and record is None:
        st.warning("Stopped before a worker started it.")
    if record is not None:
        st.divider()
        render_run(record, key="latest")
        follow_up_box(record, key="latest")
