"""No outbound name lookup (issue 25): with no endpoint configured but the loopback LLM server, the app
resolves no name that is not this machine, whatever page is opened, run, reloaded or left waiting.

The app runs with a `sitecustomize.py` (in a temp dir on PYTHONPATH) that wraps the resolver functions of
Python's `socket` module: every name that is not loopback (127.x, ::1, localhost, this machine's own
hostname) is written to a file with a short stack, and the lookup fails loudly (so nothing leaves the
machine during the test either). Native code (the Rust `tokenizers`, onnxruntime) bypasses Python's
socket module: the last two tests check those two doors separately.
"""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs

pytestmark = pytest.mark.slow  # out of the quick tier: subprocesses, strace and a browser

browser_test = pytest.mark.browser  # the native-code checks below need no browser

SITECUSTOMIZE = textwrap.dedent('''
    """Test hook (tests/ui/test_browser_no_lookups.py): record and refuse every non-loopback name lookup."""
    import ipaddress
    import json
    import os
    import socket
    import threading
    import traceback

    _LOG = os.environ["MOA_LOOKUP_LOG"]
    _LOCK = threading.Lock()
    _OWN = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", socket.gethostname().lower()}


    def _local(host):
        if host is None:
            return True  # a passive bind ("", None): no lookup
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).strip("[]").lower().rstrip(".")
        if host in _OWN or host == "":
            return True
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified


    def _wrap(name, host_of):
        original = getattr(socket, name)

        def wrapper(*args, **kwargs):
            host = host_of(args, kwargs)
            if not _local(host):
                stack = "".join(traceback.format_stack(limit=14)[:-1])
                with _LOCK, open(_LOG, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"call": name, "host": str(host), "pid": os.getpid(),
                                        "thread": threading.current_thread().name, "stack": stack}) + "\\n")
                raise socket.gaierror(socket.EAI_NONAME, f"lookup of {host!r} refused by the test's resolver")
            return original(*args, **kwargs)

        wrapper.__wrapped__ = original
        setattr(socket, name, wrapper)


    _first = lambda args, kwargs: args[0] if args else kwargs.get("host", kwargs.get("hostname"))
    _wrap("getaddrinfo", _first)
    _wrap("gethostbyname", _first)
    _wrap("gethostbyname_ex", _first)
    _wrap("gethostbyaddr", _first)
    _wrap("getfqdn", lambda args, kwargs: (args[0] if args else kwargs.get("name", "")) or socket.gethostname())
    _wrap("getnameinfo", lambda args, kwargs: (args[0] if args else kwargs["sockaddr"])[0])
''')

BEHAVIOURS = {"alpha": dict(text="Notice is thirty days under clause 4.2.", latency_s=0.3),
              "beta": dict(text="Clause 4.2 sets thirty days of notice; renewal needs ninety.", latency_s=0.3),
              "agg": dict(text="Notice is thirty days (clause 4.2); renewal needs ninety.", latency_s=0.3)}


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def hook(tmp_path_factory):
    """The sitecustomize directory and the (empty) file it writes lookups to."""
    path = tmp_path_factory.mktemp("lookup-hook")
    (path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = path / "lookups.jsonl"
    log.write_text("")
    return path, log


@pytest.fixture(scope="module")
def app(tmp_path_factory, llm, hook):
    data_dir = tmp_path_factory.mktemp("no-lookups-data")
    spec = lambda name: ModelSpec(model=f"openai/{name}", api_base=llm.base_url, api_key_env="LOOPBACK_KEY")  # noqa: E731
    bs.save_lineup(data_dir, "loopback", Lineup(proposers=[spec("alpha"), spec("beta")], aggregator=spec("agg"),
                                                timeout_s=10, max_retries=0))
    hook_dir, log = hook
    # No provider key, no server in Settings: the loopback lineup is the only endpoint the app knows.
    env = {"PYTHONPATH": str(hook_dir), "MOA_LOOKUP_LOG": str(log), "LOOPBACK_KEY": "sk-loopback"}
    with bs.StreamlitApp(data_dir, env=env) as server:
        yield server


def lookups(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def describe(found: list[dict]) -> str:
    return "\n\n".join(f"{r['call']}({r['host']!r}) in thread {r['thread']}:\n{r['stack']}" for r in found)


def test_the_hook_records_a_lookup(tmp_path, hook):
    """The watcher itself works: a child Python with the hook records a lookup of a public name, not localhost."""
    hook_dir, _ = hook
    log = tmp_path / "probe.jsonl"
    code = ("import socket\n"
            "socket.getaddrinfo('localhost', 80); socket.getaddrinfo('127.0.0.1', 80)\n"
            "socket.getaddrinfo(socket.gethostname(), 80)\n"
            "try:\n    socket.getaddrinfo('example.com', 443)\nexcept socket.gaierror as e:\n    print('refused', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(hook_dir), "MOA_LOOKUP_LOG": str(log),
                                                             "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60)
    assert "refused" in out.stdout, out.stderr
    assert [r["host"] for r in lookups(log)] == ["example.com"]


def _page(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    bs.open_page(page, app.url)
    return page


@browser_test
def test_no_page_resolves_a_name(browser, app, hook):
    _, log = hook
    page = _page(browser, app)
    for name in ("History", "Compare", "Review", "Results", "Batches", "Settings", "Analytics"):
        bs.go_to(page, name)
    for tab in ("Latency", "Cost", "Quality for the money", "Reliability", "Planner"):
        page.get_by_role("tab", name=tab).click()
        bs.wait_for_app(page)
    bs.go_to(page, "Settings")
    for tab in ("Saved lineups", "Aggregator prompt", "Model prices", "Providers and servers"):
        page.get_by_role("tab", name=tab).click()
        bs.wait_for_app(page)
    bs.go_to(page, "Batches")
    for tab in ("Eval sets", "New batch", "Batches"):
        page.get_by_role("tab", name=tab).click()
        bs.wait_for_app(page)

    bs.go_to(page, "Run")
    bs.pick_option(page, "Start from a lineup", "loopback")
    bs.run_query(page, "How long is the notice period?")
    bs.wait_for_run_view(page, "How long is the notice period?")
    for tab in ("Agreement", "Timeline and cost", "Calls and messages", "Answers"):
        page.get_by_role("tab", name=tab).click()
        bs.wait_for_app(page)
    for name in ("History", "Analytics", "Results", "Review", "Compare"):  # now with a run to show
        bs.go_to(page, name)
    time.sleep(3)  # let any background thread started by the pages (warm-up, workers) do its work
    page.reload()
    bs.wait_for_app(page)
    page.context.close()
    found = lookups(log)
    assert found == [], f"{len(found)} outbound lookup(s):\n{describe(found)}"


def _handshake(port: int, host: str, origin: str) -> str:
    """Open Streamlit's websocket as a reverse proxy would pass it on; the status line of the answer."""
    import base64
    import os

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        key = base64.b64encode(os.urandom(16)).decode()
        conn.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Protocol: streamlit\r\nOrigin: {origin}\r\n\r\n").encode())
        return conn.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


@browser_test
def test_a_proxied_websocket_resolves_no_name(browser, app, hook):
    """Behind a reverse proxy that does not pass the Host header on (the Origin is the public name, the Host
    the upstream's), Streamlit's origin check asked checkip.amazonaws.com for the machine's public IP (two
    lookups, http then https, on the server's event loop) on every connection while that lookup failed: the
    two DNS queries of a long-running app during page loads."""
    _, log = hook
    page = _page(browser, app)  # a session has run the app's script once
    page.context.close()
    before = len(lookups(log))
    for _ in range(2):
        status = _handshake(app.port, host="moa_upstream", origin="https://moa.example.com")
        assert status.startswith("HTTP/1.1 "), status
    same_origin = _handshake(app.port, host=f"127.0.0.1:{app.port}", origin=f"http://127.0.0.1:{app.port}")
    assert same_origin.startswith("HTTP/1.1 101"), same_origin
    found = lookups(log)[before:]
    assert found == [], f"{len(found)} outbound lookup(s):\n{describe(found)}"


# ------------------------------------------------------------------ native code: seen by strace, not by Python

NATIVE_PROBE = textwrap.dedent("""
    import litellm_probe_models, sys
    from moa_core.providers import llm
    from moa_core.agreement import embeddings
    assert llm.litellm.disable_hf_tokenizer_download is True
    for model in litellm_probe_models.MODELS:
        assert llm.count_tokens(model, text="Notice is thirty days under clause 4.2.") > 0, model
        kind = llm.litellm.utils._select_tokenizer(model)["type"]
        assert kind == "openai_tokenizer", (model, kind)
    vectors = embeddings.embed(["Notice is thirty days.", "The notice period is thirty days."])
    print("EMBEDDED", len(vectors), embeddings._tokenizer_path())
""")
# Models for which litellm would fetch a tokenizer from the Hugging Face hub (cohere command-r, Anthropic's
# older models, llama 2 and 3), and the tiktoken encodings it would otherwise download (o200k for gpt-4o).
PROBE_MODELS = ["command-r", "cohere/command-r-plus", "claude-2.1", "replicate/meta/llama-2-70b-chat",
                "groq/llama-3.1-8b-instant", "openai/llama-3-8b", "gpt-4o-mini", "gpt-4", "text-davinci-003",
                "openai/some-local-model"]
_INET = re.compile(r'connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), (.*?)\}')


def _outbound(trace: str) -> list[str]:
    """connect() calls to an address that is not loopback (a DNS query is one, to port 53)."""
    found = []
    for line in trace.splitlines():
        match = _INET.search(line)
        if match and not re.search(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|"::ffff:127\.', match.group(2)):
            found.append(line.strip())
    return found


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_token_counts_and_embeddings_reach_no_network_even_in_native_code(tmp_path):
    """The Rust tokenizers and onnxruntime do not go through Python's socket module: run token counting for
    models whose tokenizer litellm would download, and the embedding model, under strace, and look at every
    connect() the process makes."""
    (tmp_path / "litellm_probe_models.py").write_text(f"MODELS = {PROBE_MODELS!r}\n")
    (tmp_path / "probe.py").write_text(NATIVE_PROBE)
    trace = tmp_path / "connect.trace"
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("LITELLM_", "HF_"))}
    env["PYTHONPATH"] = f"{tmp_path}:{bs.ROOT}"
    out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), sys.executable,
                          str(tmp_path / "probe.py")], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "EMBEDDED 2 " in out.stdout
    tokenizer = out.stdout.split("EMBEDDED 2 ", 1)[1].strip()
    assert "site-packages" in tokenizer and tokenizer.endswith("tokenizer.json")  # a file of an installed package
    assert _outbound(trace.read_text()) == []


def test_the_connect_filter_sees_a_dns_query():
    """`_outbound` is not blind: strace's lines for a DNS server and a public address count, loopback does not."""
    lines = ('12 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
             '12 connect(7, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
             '12 connect(8, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
             'inet_pton(AF_INET6, "2606:4700::1", &sin6_addr), sin6_scope_id=0}, 28) = -1\n'
             '12 connect(9, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), '
             'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0\n'
             '12 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT\n')
    assert [line.split("(")[1].split(",")[0] for line in _outbound(lines)] == ["3", "8"]
