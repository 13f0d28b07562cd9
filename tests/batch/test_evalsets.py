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
    assert "document file not found: missing.pdf" in problems[5]
    assert str(err.value).startswith("6 bad row(s), nothing imported: line 2:")


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
    assert store.list_eval_sets() == []
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl({"query": "one", "document": "inline text"}, {"query": "two", "reference": "2"}))
    set_id = import_eval_file(store, good)
    assert import_eval_file(store, good) == set_id  # the same content again is the same set
    items = store.eval_set_items(set_id)
    assert [i.query for i in items] == ["one", "two"] and items[1].reference == "2"
    assert store.get_document(items[0].document_id).text == "inline text"
    assert store.delete_eval_set(set_id) and store.list_eval_sets() == []


def test_demo_set_is_valid():
    from pathlib import Path

    parsed = read_eval_file(Path(__file__).resolve().parents[2] / "data" / "demo-eval.jsonl")
    assert len(parsed.items) == 20 and all(i.get("reference") for i in parsed.items)
