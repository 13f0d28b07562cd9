"""Run page: configure a lineup, ask, watch every proposer stream, read and rate the synthesis."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.documents import SUPPORTED, DocumentError, extract_text
from moa_core.engine import Document, RunInputError
from moa_core.lineup import Lineup
from moa_core.providers.endpoints import is_local
from ui import resources
from ui.budget import budget_table
from ui.execute import execute
from ui.lineup_form import lineup_form
from ui.live import LiveBoard
from ui.run_view import render_run

pending = st.session_state.get("pending")
running = pending is not None

st.title("Run a Mixture of Agents")
with st.expander("Lineup", expanded=not st.session_state.get("last_run")):
    lineup = lineup_form(disabled=running)

if lineup is not None and any(is_local(spec.model) for _, spec in lineup.all_specs()):
    from moa_core.providers.local_model import OFFLINE_NOTICE

    st.info(OFFLINE_NOTICE, icon=":material/info:")

# While a run goes on, a locked copy stands in for the query box; the box gets its text back afterwards.
QUERY_HINT = "Ask anything; attach a document to ask about it"
if running:
    query = st.text_area("Query", value=pending["query"], disabled=True, height=100, key="query_running")
else:
    if "query" not in st.session_state:
        st.session_state["query"] = st.session_state.get("query_text", "")
    query = st.text_area("Query", key="query", height=100, placeholder=QUERY_HINT)
    st.session_state["query_text"] = query
upload = st.file_uploader(f"Document (optional: {SUPPORTED})", type=["pdf", "docx", "txt", "md", "markdown"],
                          disabled=running, key="document_upload")
document = None
if upload is not None:
    try:
        document = Document(upload.name, extract_text(upload.name, upload.getvalue()))
    except DocumentError as exc:
        st.error(str(exc))
    else:
        with st.expander(f"Extracted text of {upload.name} · {len(document.text):,} characters"):
            st.text(document.text[:20000] + ("\n…" if len(document.text) > 20000 else ""))
        if lineup is not None:
            budget_table(query, lineup, document)

if st.button("Run", type="primary", disabled=running or lineup is None):
    if not query.strip():
        st.error("Type a query first.")
    else:
        st.session_state["pending"] = {"query": query, "lineup": lineup.to_dict(),
                                       "document": (document.name, document.text) if document else None}
        st.session_state["lineup_data"] = lineup.to_dict()  # what ran is what the editor shows next
        st.session_state["editor_version"] += 1
        st.session_state.pop("last_run", None)
        st.rerun()

if running:
    run_lineup = Lineup.from_dict(pending["lineup"])
    doc = Document(*pending["document"]) if pending["document"] else None
    try:
        record = execute(pending["query"], run_lineup, doc, LiveBoard(run_lineup))
        st.session_state["last_run"] = record.run_id
    except RunInputError as exc:
        st.session_state["run_error"] = str(exc)
    finally:
        st.session_state.pop("pending", None)
    st.rerun()

if error := st.session_state.pop("run_error", None):
    st.error(f"The run could not start: {error}")
if run_id := st.session_state.get("last_run"):
    record = resources.store().get_run(run_id)
    if record is not None:
        st.divider()
        render_run(record, key="latest")
