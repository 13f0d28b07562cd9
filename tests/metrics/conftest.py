"""The `tables` fixture: run and call tables of the sample runs."""
import pytest

from tests.metrics.sample_runs import ratings_for, run_a, run_b, run_c


@pytest.fixture
def tables():
    from moa_core.metrics import run_tables  # imports litellm (prices): only the tests that use the tables pay for it

    a, b, c = run_a(), run_b(), run_c()
    return run_tables.run_table([a, b, c], ratings_for(a, c)), run_tables.call_table([a, b, c])
