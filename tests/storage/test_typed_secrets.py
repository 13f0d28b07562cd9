"""Keys typed by people: a key pasted into a rating or vote comment is redacted when it is stored, and no report
format prints it, not even from a comment stored verbatim by an older version."""
import io

import pytest

from moa_core.cli import main
from moa_core.redact import MASK
from moa_core.review.pairs import pairs_for_run
from moa_core.storage.schema import Rating
from tests.review.samples import moa_run

KEY_SHAPED = "sk-proj-abcdefghijklmnop1234"  # caught by its shape
VAR_VALUE = "zq81.opaque.gateway.credential"  # no key shape: known only because a key variable holds it
COMMENT = f"wrong clause; try with {KEY_SHAPED} or {VAR_VALUE} next time"


@pytest.fixture
def store(monkeypatch, private_data_dir):
    monkeypatch.setenv("TEAM_GATEWAY_API_KEY", VAR_VALUE)
    from moa_core.storage import RunStore

    s = RunStore.open_default()
    yield s
    s.close()


def _clean(text: str) -> bool:
    return KEY_SHAPED not in text and VAR_VALUE not in text


def test_a_rating_comment_is_stored_redacted(store):
    run = moa_run()
    store.save_run(run)
    store.ratings.add_rating("run", run_id=run.run_id, rater="ana", stars=2, comment=COMMENT)
    [rating] = store.ratings.ratings_for(run.run_id)
    assert _clean(rating.comment) and rating.comment == f"wrong clause; try with {MASK} or {MASK} next time"


def test_a_vote_comment_is_stored_redacted(store):
    run = moa_run()
    store.save_run(run)
    pair = pairs_for_run(run)[0]
    vid = store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner="a",
                         reviewer="ana", run_a_id=pair.run_a_id, run_b_id=pair.run_b_id, call_a_id=pair.call_a_id,
                         call_b_id=pair.call_b_id, shown_pair=pair.key, comment=f"  {COMMENT} ")
    assert store.votes.vote_for(vid).comment == f"wrong clause; try with {MASK} or {MASK} next time"
    assert all(_clean(v.comment) for v in store.votes.list_votes())


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_no_report_format_prints_a_typed_key(store, tmp_path, capsys, fmt):
    run = moa_run()
    store.save_run(run)
    final = next(c for c in run.calls if c.role == "aggregator")
    store.ratings.add_rating("call", call_id=final.call_id, run_id=run.run_id, rater="ana", stars=2, comment=COMMENT)
    with store._write() as s:  # stored verbatim, as versions before this one did
        s.add(Rating(target="run", run_id=run.run_id, rater="bob", stars=4, comment=f"old note {VAR_VALUE}"))
    out = tmp_path / f"report.{fmt}"
    assert main(["report", run.run_id, "--format", fmt, "--out", str(out)]) == 0, capsys.readouterr().err
    if fmt == "docx":
        import docx

        text = "\n".join(p.text for p in docx.Document(io.BytesIO(out.read_bytes())).paragraphs)
    else:
        text = out.read_text(encoding="utf-8")
    assert "wrong clause; try with" in text and "old note" in text  # the comments are there ...
    assert _clean(text) and MASK in text  # ... without the keys
