"""`moa --help` and `moa runs` start at once: the heavy libraries load only in the commands that use them
(litellm takes seconds, numpy/scipy about one). Checked in a fresh interpreter, where sys.modules is honest."""
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # out of the quick tier: fresh interpreters in subprocesses (~4 s)

HEAVY = ["litellm", "openai", "pandas", "scipy", "sklearn", "numpy", "plotly", "moa_core.engine",
         "moa_core.providers.llm"]


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_building_every_command_imports_no_heavy_library():
    # build_parser imports every command module: what `moa --help` and any command pay before running
    assert _loaded_after("import moa_core.cli; moa_core.cli.build_parser()") == []


def test_moa_runs_reads_the_store_without_litellm(tmp_path):
    code = (f"import os; os.environ['MOA_DATA_DIR'] = {str(tmp_path)!r}\n"
            "from moa_core.cli import main\nassert main(['runs']) == 0")
    assert _loaded_after(code) == []


def test_format_cost_does_not_import_litellm():
    assert _loaded_after("from moa_core.providers.prices import format_cost; format_cost(0.5)") == []


def test_prices_still_reach_litellms_table():
    # the lazy import must still work: a known model has litellm's price, a local one costs 0
    code = ("from moa_core.providers.prices import PriceBook\n"
            "p = PriceBook().price('gpt-4o-mini'); assert p is not None and p.source == 'litellm', p\n"
            "assert PriceBook().price('local/gemma-3-270m').source == 'local'")
    assert "litellm" in _loaded_after(code)
