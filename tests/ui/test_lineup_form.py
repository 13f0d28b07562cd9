"""The lineup editor keeps a seat's endpoint unless the user changes it (a changed model never sends the
seat's calls, and any document attached, to a provider's public endpoint the user did not choose)."""
from __future__ import annotations

from ui.lineup_form import seat_edits, seats_of

SERVER = "http://127.0.0.1:9/v1"


def _lineup() -> dict:
    seat = lambda model: {"model": f"openai/{model}", "api_base": SERVER}  # noqa: E731
    return {"proposers": [seat("a"), seat("b")], "aggregator": seat("agg"), "baseline": seat("base"),
            "fallback": seat("fb")}


def _rows(seats: list[dict], new_models: dict[int, str]) -> list[dict]:
    return [{**s, "model": new_models.get(s["seat"], s["model"])} for s in seats]


def test_a_changed_model_keeps_the_base_url_the_grid_shows():
    seats = seats_of(_lineup())
    changed = {0: "openai/other", 2: "gpt-4o-mini", 3: "openai/other", 4: "openai/x"}
    edits = seat_edits(_rows(seats, changed), seats)
    every = [*edits["proposers"], edits["aggregator"], edits["baseline"], edits["fallback"]]
    assert [s["model"] for s in every] == ["openai/other", "openai/b", "gpt-4o-mini", "openai/other", "openai/x"]
    assert all(s.get("api_base") == SERVER for s in every), every


def test_clearing_the_base_url_is_the_users_choice():
    seats = seats_of(_lineup())
    rows = _rows(seats, {2: "gpt-4o-mini"})
    rows[2]["api_base"] = ""
    edits = seat_edits(rows, seats)
    assert not edits["aggregator"].get("api_base")


def test_the_table_sets_a_seats_context_window():
    """A self-hosted model has no known window: the seat table's column gives it one (issue 24)."""
    seats = seats_of(_lineup())
    rows = _rows(seats, {})
    rows[2]["context_window"] = 8192.0  # the grid hands numbers back as floats
    edits = seat_edits(rows, seats)
    assert edits["aggregator"]["context_window"] == 8192
    assert "context_window" not in edits["proposers"][0]
