"""The layering as contracts: import-linter's contracts in pyproject.toml hold for moa_core, and
docs/architecture.md's table is the one scripts/architecture_table.py generates from them.

Quick: grimp parses the source (nothing of moa_core is imported, so neither is litellm).
"""
from __future__ import annotations

import importlib.util
import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint(config: Path) -> tuple[bool, str]:
    import importlinter.api  # noqa: F401  configures import-linter (its readers and contract types)
    from importlinter.application import use_cases

    out = io.StringIO()
    with redirect_stdout(out):
        passed = use_cases.lint_imports(config_filename=str(config), cache_dir=None, no_logo=True) == use_cases.SUCCESS
    return passed, out.getvalue()


def _table_script():
    spec = importlib.util.spec_from_file_location("architecture_table", ROOT / "scripts" / "architecture_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_moa_core_keeps_every_import_linter_contract():
    passed, report = _lint(ROOT / "pyproject.toml")
    assert "Contracts: 7 kept, 0 broken." in report, report  # all of them ran
    assert passed, report


def test_a_broken_layer_is_reported(tmp_path, monkeypatch):
    """The check can fail: a ground-floor module that imports the engine breaks a layers contract."""
    package = tmp_path / "toy_layers"
    (package / "engine").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "records.py").write_text("def later():\n    from toy_layers.engine import run  # a local import counts\n")
    (package / "engine" / "__init__.py").write_text("")
    (package / "engine" / "run.py").write_text("import toy_layers.records\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["toy_layers"]\n'
        '[[tool.importlinter.contracts]]\nname = "layers"\ntype = "layers"\ncontainers = ["toy_layers"]\n'
        'layers = ["engine", "records"]\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    passed, report = _lint(tmp_path / "pyproject.toml")
    assert not passed
    assert "toy_layers.records is not allowed to import toy_layers.engine" in report, report


def test_the_architecture_doc_shows_the_table_generated_from_the_contracts():
    script = _table_script()
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert script.current(doc) == script.table(), (
        "docs/architecture.md's table is stale: run .venv/bin/python scripts/architecture_table.py")


def test_the_table_names_every_top_level_module_once():
    table = _table_script().table()
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    named = sorted(line.split("|")[2].strip(" `").removesuffix("/").removesuffix(".py") for line in rows)
    tree = sorted({p.stem for p in (ROOT / "moa_core").glob("*.py") if p.stem != "__init__"}
                  | {p.name for p in (ROOT / "moa_core").iterdir() if (p / "__init__.py").is_file()})
    assert named == tree


@pytest.mark.parametrize("layer, names, independent", [
    ("cli | testing", [("cli", False), ("testing", False)], True),
    ("(jobs) | worker", [("jobs", True), ("worker", False)], True),
    ("records : documents", [("records", False), ("documents", False)], False),
])
def test_layers_are_read_as_import_linter_reads_them(layer, names, independent):
    assert _table_script().parse_layer(layer) == (names, independent)
