"""Prices: user overrides win, the embedded model is free, litellm's table next, else unknown (never 0)."""
import pytest

from moa_core.providers.prices import Price, PriceBook, format_cost, litellm_price


def test_order_of_precedence():
    book = PriceBook({"openai/gpt-4o-mini": (1e-6, 2e-6)})
    assert book.price("openai/gpt-4o-mini").source == "override"
    assert book.price("openai/gpt-4o-mini", (3e-6, 4e-6)) == Price(3e-6, 4e-6, "override")  # the seat's own wins
    assert book.price("local/gemma-3-270m") == Price(0.0, 0.0, "local")
    assert book.price("gpt-4o").source == "litellm"
    assert book.price("my-server-model") is None and litellm_price("my-server-model") is None


def test_cost_is_tokens_times_price_and_unknown_stays_unknown():
    book = PriceBook({"m": (1e-6, 2e-6)})
    assert book.cost("m", 1000, 500) == pytest.approx(0.002)
    assert book.cost("m", None, None) == 0
    assert book.cost("nobody-knows", 1000, 500) is None


@pytest.mark.parametrize("cost, text", [(None, "unknown"), (0, "$0"), (1234.5, "$1,234.50"), (0.5, "$0.50"),
                                        (0.0123456, "$0.0123"), (0.000012345, "$0.0000123")])
def test_format_cost_three_significant_digits_plain_decimals(cost, text):
    assert format_cost(cost) == text
