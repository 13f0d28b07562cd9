"""Settings → Providers and servers: the same server cannot be added twice."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.storage import RunStore
from ui.resources import BASE_URLS_KEY
from ui.servers_form import new_server

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


def test_a_duplicate_base_url_is_refused_whatever_its_trailing_slashes():
    servers = [{"url": "http://localhost:11434", "kind": "ollama"}]
    for same in ("http://localhost:11434/", "  http://localhost:11434//  ", "HTTP://LocalHost:11434"):
        with pytest.raises(ValueError, match="already in the list"):
            new_server(same, "openai", servers)
    assert new_server("http://localhost:8000/v1/", "openai", servers) == {"url": "http://localhost:8000/v1",
                                                                         "kind": "openai"}
    with pytest.raises(ValueError, match="already in the list"):
        new_server("http://localhost:8000/v1", "openai", [{"url": "http://localhost:8000/v1/", "kind": "openai"}])
    with pytest.raises(ValueError, match="http:// or https://"):
        new_server("localhost:8000", "openai", [])
    with pytest.raises(ValueError, match="no host"):
        new_server("http:///v1", "openai", [])


def test_the_settings_page_refuses_a_server_it_already_has(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.switch_page("pages/settings.py")
    at.run()

    def add(url):
        next(t for t in at.text_input if t.label == "Base URL").input(url)
        next(b for b in at.button if b.label == "Add server").click()
        at.run()
        assert not at.exception

    add("http://127.0.0.1:9/v1/")
    add("http://127.0.0.1:9/v1")
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    try:
        assert store.catalog.get_setting(BASE_URLS_KEY) == [{"url": "http://127.0.0.1:9/v1", "kind": "openai"}]
    finally:
        store.close()
    assert any("already in the list" in e.value for e in at.error)


def test_checking_a_server_with_one_model_says_1_model(llm, tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    llm.set("only-one", text="hi")
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    store.catalog.set_setting(BASE_URLS_KEY, [{"url": llm.base_url, "kind": "openai"}])
    store.close()
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.switch_page("pages/settings.py")
    at.run()
    next(b for b in at.button if b.label == "Check").click()
    at.run()
    assert [s.value for s in at.success] == ["1 model: only-one"]
