"""Run page: configure a lineup, ask, watch every proposer stream, read and rate the synthesis.

The run itself belongs to a background worker: leaving or reloading the page never stops it or
starts it again (the run's id stays in the URL, `?run=...`).
"""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.documents import SUPPORTED, DocumentError, read_document
from moa_core.engine import RunInputError, preflight
from moa_core.service import effective_lineup
from moa_core.worker import WORKER
from ui import resources
from ui.budget import FIT_CHOICES, budget_table
from ui.lineup_form import lineup_form
from ui.live import REFRESH_S, render_live
from ui.run_view import render_run
from ui.thread_view import follow_up_box

run_id = st.query_params.get("run") or st.session_state.get("active_run")
job = WORKER.get(run_id)
running = job is not None and job.running

st.title("Run a Mixture of Agents")
with st.expander("Lineup", expanded=not run_id):
    lineup = lineup_form(disabled=running)

# While a run goes on, a locked copy stands in for the query box (after a reload too). The box is
# a new widget after each run (versioned key), so it comes back holding the text that was asked.
QUERY_HINT = "Ask anything; attach a document to ask about it"
if running:
    query = st.text_area("Query", value=job.query, disabled=True, height=100, key="query_running")
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
on_overflow = "refuse"
if documents and lineup is not None and budget_table(query, lineup, documents):
    choice = st.radio("When the documents are too long", list(FIT_CHOICES), key="on_overflow",
                      disabled=running, help="Fitting scores every paragraph (page paragraph for PDFs) against "
                      "the query by meaning and keywords and keeps the best ones that fit the smallest context "
                      "window, with room for the answers; the run view lists what was left out.")
    on_overflow = FIT_CHOICES[choice]

if st.button("Run", type="primary", disabled=running or lineup is None):
    if not query.strip():
        st.error("Type a query first.")
    elif unreadable:
        st.error("A document cannot be read (see above): remove it or upload a readable copy.")
    else:
        run_lineup = effective_lineup(lineup, resources.store())
        try:
            with st.spinner("Fitting the documents to the budget…" if on_overflow == "fit" else "Checking…"):
                documents = preflight(query, run_lineup, documents, on_overflow=on_overflow)  # fitted once, here
        except RunInputError as exc:
            st.error(f"The run could not start: {exc}")
        else:
            job = WORKER.start_run(query, run_lineup, store=resources.store(), documents=documents,
                                   on_overflow=on_overflow)
            st.session_state["active_run"] = job.job_id
            st.session_state["lineup_data"] = lineup.to_dict()  # what ran is what the editor shows next
            st.session_state["editor_version"] += 1
            st.session_state["query_version"] += 1
            st.query_params["run"] = job.job_id
            st.rerun()


@st.fragment(run_every=REFRESH_S)
def live(run_id: str) -> None:
    job = WORKER.get(run_id)
    if job is None or not job.running:
        st.rerun()  # finished: the whole page redraws with the stored run
    if st.button("Stop", icon=":material/stop_circle:", help="Stop the run: finished calls are kept and "
                 "the run is stored as cancelled"):
        job.cancel()
        job.wait(5)
        st.rerun()
    render_live(job)


if running:
    live(run_id)
elif run_id:
    if job is not None and job.state == "failed" and job.error:
        st.error(f"The run could not start: {job.error}")
    record = resources.store().get_run(run_id)
    if record is not None:
        st.divider()
        render_run(record, key="latest")
        follow_up_box(record, key="latest")
