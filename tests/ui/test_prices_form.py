"""The price editor's rows: per-million prices as providers publish them, every bad cell named."""
import math

import pytest

from ui.prices_form import parse_price_rows


def test_per_million_prices_become_per_token_prices():
    rows = [{"model": "my-server/llama", "input": 0.15, "output": 0.6},
            {"model": " spaced ", "input": "$1,000", "output": "2"}]
    prices = parse_price_rows(rows)
    assert prices["my-server/llama"] == pytest.approx((0.15e-6, 0.6e-6))
    assert prices["spaced"] == pytest.approx((1e-3, 2e-6))


def test_unpriced_and_empty_rows_are_skipped():
    rows = [{"model": "listed-but-unpriced", "input": math.nan, "output": None}, {"model": None, "input": 1.0},
            {"model": "", "input": 1, "output": 1}]
    assert parse_price_rows(rows) == {}


@pytest.mark.parametrize("row, message", [
    ({"model": "m", "input": -1.0, "output": 1.0}, "m: prices must be non-negative numbers"),
    ({"model": "m", "input": "cheap", "output": 1.0}, "m: prices must be non-negative numbers"),
    ({"model": "m", "input": math.inf, "output": 1.0}, "m: prices must be non-negative numbers"),
    ({"model": "m", "input": 1.0, "output": None}, "m: give both the input and the output price"),
])
def test_bad_cells_are_named(row, message):
    with pytest.raises(ValueError, match=message):
        parse_price_rows([row])
