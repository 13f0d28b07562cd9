"""One helper for counts in messages: "1 model", not "1 models"."""
import pytest

from moa_core.counts import count, plural


@pytest.mark.parametrize("n, noun, text", [
    (0, "model", "0 models"), (1, "model", "1 model"), (2, "model", "2 models"), (1200, "run", "1,200 runs"),
    (1, "retry", "1 retry"), (3, "retry", "3 retries"), (2, "pass", "2 passes"), (1, "passage", "1 passage"),
])
def test_count(n, noun, text):
    assert count(n, noun) == text


def test_plural_alone():
    assert plural("token", 1) == "token" and plural("token", 5) == "tokens"


def test_adaptive_rounds_note_with_a_single_round():
    from moa_core.engine.adaptive import saved_note

    assert saved_note(1, 1, 2, None) == "ran all 1 round"
    assert saved_note(3, 3, 2, None) == "ran all 3 rounds"
    assert saved_note(1, 2, 2, None) == "saved 2 call(s) against 2 fixed rounds"
