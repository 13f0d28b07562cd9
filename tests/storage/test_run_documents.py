"""A run's documents in the database: several, in order, with PDF pages and what was left out; old
databases migrate and their runs keep their one document."""
import sqlite3

from alembic import command

from moa_core.documents import Document
from moa_core.evidence import run_documents
from moa_core.storage import RunStore, db
from moa_core.storage.schema import Document as DocumentRow
from tests.storage.samples import call, record

PDF_TEXT = "1. Term\nThe term is two years.\n\n7.2 Notice\nNotice is ninety days."
PDF = Document("lease.pdf", PDF_TEXT, spans=[[1, 0, 30], [2, 32, len(PDF_TEXT)]],
               left_out=["page 1, paragraph 1"], fit_note="fitted to 40 tokens")
NOTES = Document("notes.md", "Keys: three.\n\nParking: none.")


def test_documents_come_back_in_order_with_pages_and_left_out(store):
    run = record(calls=[call()], documents=[PDF, NOTES])
    store.save_run(run)
    back = store.get_run(run.run_id)
    assert [d.name for d in back.documents] == ["lease.pdf", "notes.md"]
    assert back.documents[0] == PDF and back.documents[1] == NOTES
    assert back.document_name == "lease.pdf" and back.document_text == PDF_TEXT
    located = run_documents(back)
    assert [p.location for p in located[0].passages] == ["page 1, paragraph 1", "page 2, paragraph 1"]
    assert [p.location for p in located[1].passages] == ["paragraph 1", "paragraph 2"]
    [(exported, _)] = list(store.iter_runs())
    assert exported.documents == back.documents
    assert exported.to_dict()["documents"][0] | {} == {
        "name": "lease.pdf", "characters": len(PDF_TEXT), "passages": 2, "passages_left_out": 1,
        "left_out": ["page 1"], "fit_note": "fitted to 40 tokens", "carried_from": None}


def test_the_same_text_is_stored_once_for_several_runs(store):
    first, second = record(documents=[NOTES]), record(documents=[Document("copy.md", NOTES.text), PDF])
    store.save_run(first)
    store.save_run(second)
    assert [d.name for d in store.get_run(second.run_id).documents] == ["copy.md", "lease.pdf"]
    with store._read() as s:
        assert len(s.query(DocumentRow).all()) == 2


def test_a_run_written_again_keeps_its_links(store):
    run = record(documents=[PDF, NOTES], status="running")
    store.save_run(run)
    run.status = "ok"
    store.save_run(run)
    assert [d.name for d in store.get_run(run.run_id).documents] == ["lease.pdf", "notes.md"]


def test_an_old_database_migrates_and_its_runs_keep_their_document(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.create(url)
    with engine.begin() as conn:
        command.upgrade(db.alembic_config(conn), "0004")
    engine.dispose()
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("INSERT INTO document (name, type, sha256, text, size_bytes, created_at) "
                     "VALUES ('old.txt', 'txt', 'abc', 'Old text.\n\nSecond paragraph.', 10, '2026-01-01')")
        conn.execute("INSERT INTO run (id, status, started_at, updated_at, prompt_tokens, completion_tokens, "
                     "document_id, document_name, query, note, lineup, final) VALUES ('old1', 'ok', '2026-01-01', "
                     "'2026-01-01', 0, 0, 1, 'old.txt', 'q', '', '{}', 'answer')")
    store = RunStore.open(url)
    try:
        assert db.current_revision(store.engine) == db.head_revision()  # every revision since 0004 applied
        old = store.get_run("old1")
        assert [(d.name, d.text, d.left_out) for d in old.documents] == [
            ("old.txt", "Old text.\n\nSecond paragraph.", [])]
        assert [p.location for p in run_documents(old)[0].passages] == ["paragraph 1", "paragraph 2"]
    finally:
        store.close()


def test_runs_without_links_sharing_one_text_each_keep_it(tmp_path):
    """A run row that points at a document but has no link rows (written by an older version) reads its
    document back, also when another such run points at the same stored text."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    RunStore.open(url).close()
    with sqlite3.connect(tmp_path / "m.db") as conn:
        conn.execute("INSERT INTO document (name, type, sha256, text, size_bytes, created_at) "
                     "VALUES ('shared.txt', 'txt', 'abc', 'Shared text.', 12, '2026-01-01')")
        for run_id in ("r1", "r2"):
            conn.execute("INSERT INTO run (id, status, started_at, updated_at, prompt_tokens, completion_tokens, "
                         "document_id, document_name, query, note, lineup, final) VALUES (?, 'ok', '2026-01-01', "
                         "'2026-01-01', 0, 0, 1, 'shared.txt', 'q', '', '{}', 'answer')", (run_id,))
    store = RunStore.open(url)
    try:
        assert [d.text for d in store.get_run("r1").documents] == ["Shared text."]
        read = {r.run_id: [d.text for d in r.documents] for r, _ in store.iter_runs()}
        assert read == {"r1": ["Shared text."], "r2": ["Shared text."]}
    finally:
        store.close()
