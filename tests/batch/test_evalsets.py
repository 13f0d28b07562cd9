"""Eval set import: every bad row named by its line, a broken file imports nothing, documents by path or text."""
import json

import pytest

from moa_core.batch.evalsets import EvalSetError, import_eval_file, parse_eval_file, read_eval_file


def jsonl(*rows) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode()


def test_jsonl_rows_with_reference_tags_and_document_text():
    parsed = parse_eval_file("s.jsonl", jsonl({"query": "Q1", "reference": "R1", "tags": ["a", "b"]},
                                              "", {"query": "Q2", "document": "Some text\nof a document"}))
    assert [i["query"] for i in parsed.items] == ["Q1", "Q2"]
    assert parsed.items[0]["reference"] == "R1" and parsed.items[0]["tags"] == ["a", "b"]
    assert parsed.items[1]["document_text"] == "Some text\nof a document"
    assert len(parsed.digest) == 64


def test_every_bad_row_is_reported_by_line_number():
    data = jsonl({"query": "ok"}, {"reference": "no query"}, "{not json", {"query": "x", "tags": "a;b"},
                 {"query": "y", "tags": [1]}, {"query": "z", "colour": "red"}, ["a list"],
                 {"query": "w", "document": "missing.pdf"})
    with pytest.raises(EvalSetError) as err:
        parse_eval_file("s.jsonl", data)
    problems = err.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 5", "line 6", "line 7", "line 8"]
    assert "`query` is missing" in problems[0] and "invalid JSON" in problems[1]
    assert "tags" in problems[2] and "unknown field(s) colour" in problems[3]
    assert "document missing.pdf: upload the file with the set" in problems[5]  # no folder: the app
    assert str(err.value).startswith("6 bad rows, nothing imported: line 2:")


def test_csv_with_tags_split_and_line_numbers():
    data = b"query,reference,tags\nWhat?,This.,a;b\n,,\nWho?,,\n\"\",x,\n"
    with pytest.raises(EvalSetError) as err:
        parse_eval_file("s.csv", data)
    assert err.value.problems == ["line 5: `query` is missing or empty"]
    good = parse_eval_file("s.csv", b"query,reference,tags\nWhat?,This.,a;b\nWho?,,\n")
    assert good.items[0] == {"query": "What?", "reference": "This.", "tags": ["a", "b"]}
    assert good.items[1] == {"query": "Who?", "tags": []}


def test_csv_header_problems_and_other_formats():
    with pytest.raises(EvalSetError, match="line 1: the header has no `query` column"):
        parse_eval_file("s.csv", b"question,answer\nx,y\n")
    with pytest.raises(EvalSetError, match="unknown column"):
        parse_eval_file("s.csv", b"query,answer\nx,y\n")
    with pytest.raises(EvalSetError, match="neither .jsonl nor .csv"):
        parse_eval_file("s.txt", b"x")
    with pytest.raises(EvalSetError, match="no rows"):
        parse_eval_file("s.jsonl", b"\n\n")
    with pytest.raises(EvalSetError, match="not UTF-8"):
        parse_eval_file("s.jsonl", b"\xff\xfe\x00bad")


def test_document_path_relative_to_the_set_file(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "lease.txt").write_text("The tenant may leave with 30 days notice.")
    (tmp_path / "set.jsonl").write_text(json.dumps({"query": "Notice?", "document": "docs/lease.txt"}) + "\n")
    parsed = read_eval_file(tmp_path / "set.jsonl")
    assert parsed.items[0]["document_name"] == "lease.txt"
    assert "30 days" in parsed.items[0]["document_text"]


def test_a_broken_file_imports_nothing_and_a_good_one_imports_once(store, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl({"query": "fine"}, {"query": ""}))
    with pytest.raises(EvalSetError):
        import_eval_file(store, bad)
    assert store.catalog.list_eval_sets() == []
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl({"query": "one", "document": "inline text"}, {"query": "two", "reference": "2"}))
    set_id = import_eval_file(store, good)
    assert import_eval_file(store, good) == set_id  # the same content again is the same set
    items = store.catalog.eval_set_items(set_id)
    assert [i.query for i in items] == ["one", "two"] and items[1].reference == "2"
    assert store.catalog.get_document(items[0].document_id).text == "inline text"
    assert store.catalog.delete_eval_set(set_id) and store.catalog.list_eval_sets() == []


def test_demo_set_is_valid():
    from pathlib import Path

    parsed = read_eval_file(Path(__file__).resolve().parents[2] / "data" / "demo-eval.jsonl")
    assert len(parsed.items) == 20 and all(i.get("reference") for i in parsed.items)


def test_an_uploaded_set_never_reads_a_file_on_the_server(tmp_path):
    secret = tmp_path / "notes.txt"
    secret.write_text("server-side secret")
    data = jsonl({"query": "Summarise", "document": str(secret)})
    with pytest.raises(EvalSetError, match="upload the file with the set") as caught:
        parse_eval_file("s.jsonl", data)  # the app: no folder, no uploaded documents
    assert "server-side secret" not in str(caught.value)
    parsed = parse_eval_file("s.jsonl", data, files={"notes.txt": b"uploaded text"})
    assert parsed.items[0]["document_text"] == "uploaded text"


def test_cli_paths_stay_under_the_sets_folder_unless_allowed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("outside the set's folder")
    folder = tmp_path / "set"
    folder.mkdir()
    for value in ("../outside.txt", str(outside)):
        (folder / "s.jsonl").write_text(json.dumps({"query": "q", "document": value}) + "\n")
        with pytest.raises(EvalSetError, match="outside the set's folder"):
            read_eval_file(folder / "s.jsonl")
        parsed = read_eval_file(folder / "s.jsonl", allow_outside=True)
        assert parsed.items[0]["document_text"] == "outside the set's folder"


def test_duplicate_ids_are_refused_and_duplicate_queries_warned():
    with pytest.raises(EvalSetError, match="line 2: id 'a' is already used on line 1"):
        parse_eval_file("s.jsonl", jsonl({"id": "a", "query": "one"}, {"id": "a", "query": "two"}))
    parsed = parse_eval_file("s.jsonl", jsonl({"query": "Same  question"}, {"query": "same question"}))
    assert len(parsed.items) == 2
    assert parsed.warnings == ["line 2: the same query as line 1 (it will be asked, and paid for, twice)"]


def test_binary_bytes_are_reported_on_their_own_line():
    with pytest.raises(EvalSetError, match=r"nothing imported: line 2: binary data"):
        parse_eval_file("s.jsonl", b'{"query": "fine"}\n\x00\x01\x02\xff\xfe\n')


def test_a_windows_1252_csv_is_read_and_said_so():
    data = "query,reference\nCaf\u00e9 prices \u2013 how much?,\u20ac3\n".encode("cp1252")
    parsed = parse_eval_file("s.csv", data)
    assert parsed.items[0]["query"] == "Caf\u00e9 prices \u2013 how much?"
    assert parsed.items[0]["reference"] == "\u20ac3"
    assert any("Windows-1252" in w and "UTF-8" in w for w in parsed.warnings)


def test_a_missing_file_is_one_plain_line_not_a_bad_row(tmp_path):
    with pytest.raises(EvalSetError) as caught:
        read_eval_file(tmp_path / "nope.jsonl")
    assert str(caught.value).startswith("cannot read")
    assert "bad row" not in str(caught.value)
