"""The run store on a real SQLite file and, where a server is available, a real PostgreSQL."""
import pytest

from moa_core.storage import RunStore
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, also a plugin)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'moa.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url):
    s = RunStore.open(store_url)
    yield s
    s.close()
