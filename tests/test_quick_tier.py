"""The quick tier (scripts/quick-test.sh): `slow` is a registered marker, and the conftest hook that skips
importing modules marked slow never drops a module that could hold a selected test."""
from tests.conftest import expression_can_match, module_marks

QUICK = "not slow and not browser and not local_model and not postgres"


def test_slow_is_a_registered_marker(pytestconfig):
    assert any(line.startswith("slow:") for line in pytestconfig.getini("markers"))
    assert "--strict-markers" in pytestconfig.getini("addopts")  # a misspelt marker is an error, not a new one


def test_module_marks_are_read_from_the_pytestmark_line(tmp_path):
    slow = tmp_path / "test_a.py"
    slow.write_text('import pytest\n\npytestmark = pytest.mark.slow  # subprocesses\n')
    browser = tmp_path / "test_b.py"
    browser.write_text('import pytest\npytestmark = [pytest.mark.browser, pytest.mark.skipif(True, reason="x")]\n')
    plain = tmp_path / "test_c.py"
    plain.write_text('import pytest\n\n\n@pytest.mark.slow\ndef test_x():\n    pass\n')
    assert module_marks(slow) == {"slow"}
    assert module_marks(browser) == {"browser", "skipif", "slow"}  # browser tests count as slow
    assert module_marks(plain) == set()  # a mark on one test is left to pytest


def test_only_modules_that_cannot_match_are_skipped():
    assert not expression_can_match(QUICK, {"slow"})
    assert not expression_can_match(QUICK, {"browser", "slow"})
    assert not expression_can_match("not slow", {"slow", "skipif"})
    assert expression_can_match(QUICK, set())
    assert expression_can_match("slow", {"slow"})
    assert expression_can_match("browser", {"slow"})  # a test in it may be marked browser on its own
    assert expression_can_match("not browser", {"slow"})
    assert not expression_can_match("browser and not slow", {"slow"})
    assert expression_can_match("(slow or postgres) and not browser", {"postgres"})
    assert expression_can_match("slow(reason=1)", {"slow"})  # keyword matches: pytest decides after import
    assert expression_can_match("not (", {"slow"})  # pytest reports a broken expression itself
