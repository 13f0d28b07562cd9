"""A loopback OpenAI-compatible LLM server, for tests, benchmarks and trying a lineup offline (and stopping the
subprocesses they start: `processes.stop_process`).

    from moa_core.testing import LLMServer, Behaviour
    with LLMServer() as server:                     # real HTTP and SSE on 127.0.0.1
        server.set("a", Behaviour(text="30 days", delay_s=0.2))
        lineup = Lineup(proposers=[ModelSpec("a", api_base=server.base_url)], ...)

Or standalone: `python -m moa_core.testing.llm_server --port 0 --config behaviours.json`.
"""
from .llm_server import Behaviour, LLMServer

__all__ = ["Behaviour", "LLMServer"]
