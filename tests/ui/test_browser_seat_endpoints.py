"""Seats never leave the user's server (issue 25): what the grid shows is what runs.

A lineup whose five seats (two proposers, aggregator, baseline, fallback) are `openai/<name>` on the loopback
LLM server; on the Run page, in Chromium, the model of every seat is changed in the grid: to other models
the server lists (discovered through Settings' server), to a hosted provider's model name (`gpt-4o-mini`,
offered because OPENAI_API_KEY is set) and to a model typed in "Add a model that is not in the list". The
new aggregator fails on the server, so the fallback answers. Every call must arrive at the loopback server.

Anything else is a trap: OPENAI_API_KEY is a dummy, OPENAI_BASE_URL/OPENAI_API_BASE and the proxy variables
point at a second loopback listener that records whatever reaches it, and the app runs with the resolver hook
of test_browser_no_lookups.py (every non-loopback name lookup recorded and refused).
"""
from __future__ import annotations

import json
import socketserver
import threading

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs
from tests.ui.test_browser_no_lookups import SITECUSTOMIZE, describe, lookups

pytestmark = pytest.mark.browser

OLD = {"p1": "proposer", "p2": "proposer", "agg": "aggregator", "base": "baseline", "fb": "fallback"}
# Row of the grid -> the model chosen for it, and the name the server sees (litellm strips `openai/`).
NEW = [("openai/p1-new", "p1-new"), ("openai/p2-new", "p2-new"), ("gpt-4o-mini", "gpt-4o-mini"),
       ("openai/base-typed", "base-typed"), ("openai/fb-new", "fb-new")]
CUSTOM = "openai/base-typed"  # not listed by the server: offered only once typed into the custom box
BEHAVIOURS = {**{name: dict(text=f"Old seat {name} answered.") for name in OLD},
              "p1-new": dict(text="Notice is thirty days under clause 4.2.", latency_s=0.2),
              "p2-new": dict(text="Clause 4.2: thirty days of written notice.", latency_s=0.2),
              "gpt-4o-mini": dict(fail_times=10 ** 9, fail_status=500),  # the new aggregator fails: fallback
              "fb-new": dict(text="Fallback: notice is thirty days.", latency_s=0.2)}
QUERY = "How long is the notice period?"


class Trap:
    """A loopback listener that must hear nothing: it records the first line and Host of any request."""

    def __init__(self):
        self.received: list[str] = []
        trap = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(2)
                try:
                    head = self.request.recv(65536).decode("latin-1")
                except OSError:
                    head = ""
                lines = head.split("\r\n")
                host = next((line for line in lines if line.lower().startswith("host:")), "")
                trap.received.append(f"{lines[0]} {host}".strip() or "(a connection, no request)")
                self.request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                     b"Connection: close\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def trap():
    with Trap() as listener:
        yield listener


@pytest.fixture(scope="module")
def hook(tmp_path_factory):
    path = tmp_path_factory.mktemp("seat-lookup-hook")
    (path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = path / "lookups.jsonl"
    log.write_text("")
    return path, log


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("seat-endpoints-data")
    spec = lambda name: ModelSpec(model=f"openai/{name}", api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(path, "on my server", Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"),
                                                baseline=spec("base"), fallback=spec("fb"), timeout_s=10,
                                                max_retries=0))
    store = bs.open_store(path)
    try:  # the user's server in Settings: its models are offered in the grid's model column
        store.catalog.set_setting("base_urls", [{"url": llm.base_url, "kind": "openai"}])
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def app(data_dir, trap, hook):
    hook_dir, log = hook
    proxy = {name: trap.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                         "all_proxy")}
    env = {"OPENAI_API_KEY": "sk-dummy-not-a-key", "OPENAI_BASE_URL": f"{trap.url}/v1",
           "OPENAI_API_BASE": f"{trap.url}/v1", **proxy, "NO_PROXY": "127.0.0.1,localhost",
           "no_proxy": "127.0.0.1,localhost", "PYTHONPATH": str(hook_dir), "MOA_LOOKUP_LOG": str(log)}
    with bs.StreamlitApp(data_dir, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def store(data_dir, app):
    store = bs.open_store(data_dir)
    yield store
    store.close()


def _grid(page):
    """The seats grid, once the page has settled (discovery and the lineup pick rerun the page)."""
    bs.wait_for_app(page)
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    return grid


def _choose_model(page, row: int, model: str) -> None:
    """Pick `model` in the Model cell of `row`: from the Role cell the keyboard moves to the Model cell,
    Enter opens its selectbox (a react-select in the grid's portal), typing filters the options. The Role
    cell's selectbox does not offer `model`, so an editor that opened there is tried again."""
    portal = page.locator("#portal")
    editor, option = portal.get_by_role("combobox"), portal.get_by_role("option", name=model, exact=True)

    def offers_the_model():
        editor.fill(model)
        option.wait_for(state="visible", timeout=4_000)

    bs.open_cell_editor(page, lambda: _grid(page), row, 1, editor, opened=offers_the_model)
    option.click()
    editor.wait_for(state="hidden", timeout=10_000)
    bs.expect(_grid(page).get_by_test_id(f"glide-cell-2-{row}")).to_have_text(model)


def test_every_changed_seat_calls_the_users_server_and_nothing_else(browser, app, llm, trap, hook, store):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.context.set_default_timeout(30_000)
    bs.open_page(page, app.url)
    bs.pick_option(page, "Start from a lineup", "on my server")
    grid = _grid(page)
    for row, old in enumerate(OLD):
        bs.expect(grid.get_by_test_id(f"glide-cell-2-{row}")).to_have_text(f"openai/{old}")
        bs.expect(grid.get_by_test_id(f"glide-cell-4-{row}")).to_have_text(llm.base_url)

    page.get_by_text("Add a model that is not in the list").click()
    page.get_by_label("litellm model string").fill(CUSTOM)
    page.get_by_label("litellm model string").press("Enter")  # a text input reaches the app on Enter
    bs.wait_for_app(page)
    page.get_by_role("button", name="Add to the choices").click()
    bs.wait_for_app(page)
    for row, (model, _) in enumerate(NEW):
        _choose_model(page, row, model)
    page.get_by_role("heading", name="Run a Mixture of Agents").click()  # leave the grid: its edits reach the app
    bs.wait_for_app(page)
    grid = _grid(page)
    for row, (model, _) in enumerate(NEW):  # what the grid shows: the new models, the server's URL kept
        bs.expect(grid.get_by_test_id(f"glide-cell-2-{row}")).to_have_text(model)
        bs.expect(grid.get_by_test_id(f"glide-cell-4-{row}")).to_have_text(llm.base_url)
    bs.expect(page.get_by_text("This lineup cannot run")).to_have_count(0)
    grid.scroll_into_view_if_needed()
    page.screenshot(path=str(bs.ROOT / "test-results" / "seat-endpoints-grid.png"))

    bs.run_query(page, QUERY)
    bs.wait_for_run_view(page, QUERY)
    bs.expect(page.get_by_text("Fallback: notice is thirty days.").first).to_be_visible()
    page.context.close()

    # Nowhere else: nothing reached the trap (OPENAI_BASE_URL, proxies), no public name was looked up.
    assert trap.received == []
    found = lookups(hook[1])
    assert found == [], f"{len(found)} outbound lookup(s):\n{describe(found)}"
    # At the server: one request for every changed model, none for a model the grid no longer shows.
    received = [r.model for r in llm.requests]
    assert sorted(set(received)) == sorted(name for _, name in NEW), received

    run = store.get_run(store.list_runs(search=QUERY)[0].run_id)
    assert run.status == "fallback"
    by_role = {(c.role, c.model) for c in run.calls}
    assert by_role == {("proposer", "openai/p1-new"), ("proposer", "openai/p2-new"), ("aggregator", "gpt-4o-mini"),
                       ("baseline", CUSTOM), ("fallback", "openai/fb-new")}
    assert {c.api_base for c in run.calls} == {llm.base_url}
    assert json.dumps(run.lineup).count(llm.base_url) == 5  # every stored seat names the server
