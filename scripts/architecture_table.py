"""Write docs/architecture.md's "Packages and what each may import" from the import-linter contracts.

The contracts in pyproject.toml ([tool.importlinter]) are the rule; this table is only their reading,
so the two cannot drift: tests/test_architecture.py fails when the doc's table is not what this
script generates. "holds" is the first sentence of each module's or package's docstring, and a
package's modules are listed from the tree. Nothing is imported (the docstrings are parsed), so it
is quick and never loads litellm.

    .venv/bin/python scripts/architecture_table.py          # rewrite the table in the doc
    .venv/bin/python scripts/architecture_table.py --check  # exit 1 if the doc's table is stale
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- BEGIN GENERATED: scripts/architecture_table.py from pyproject's [tool.importlinter] -->"
END = "<!-- END GENERATED -->"


def contracts(pyproject: Path = ROOT / "pyproject.toml") -> list[dict]:
    with pyproject.open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def parse_layer(text: str) -> tuple[list[tuple[str, bool]], bool]:
    """One layer string as ([(name, optional)], independent): "a | b" independent, "a : b" not."""
    independent = ":" not in text
    names = [n.strip() for n in re.split(r"[|:]", text)]
    return [(n[1:-1], True) if n.startswith("(") else (n, False) for n in names], independent


def module_path(package: str, name: str) -> Path | None:
    """The file that documents `package.name`: its __init__.py, or name.py; None when it does not exist."""
    base = ROOT.joinpath(*package.split("."), name)
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def first_sentence(path: Path) -> str:
    """The docstring's first sentence, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    text = " ".join(doc.split("\n\n")[0].split())
    match = re.match(r"(.+?[.?!])(\s|$)", text)
    return (match.group(1) if match else text).replace("|", "\\|")


def submodules(path: Path) -> list[str]:
    """A package's modules and subpackages (not tests, not migrations' versions)."""
    if path.name != "__init__.py":
        return []
    folder = path.parent
    names = [p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")]
    names += [p.name for p in folder.iterdir() if (p / "__init__.py").is_file()]
    return sorted(names)


def _floors(layers: list[str]) -> list[tuple[int, list[tuple[str, bool]], bool]]:
    """(floor number, names, independent) from the top layer down; the ground floor is 1."""
    parsed = [parse_layer(layer) for layer in layers]
    return [(len(parsed) - i, names, independent) for i, (names, independent) in enumerate(parsed)]


def table(all_contracts: list[dict] | None = None) -> str:
    """The markdown between the markers: the floors, one row per package, then the other contracts."""
    all_contracts = contracts() if all_contracts is None else all_contracts
    layered = next(c for c in all_contracts if c["type"] == "layers")
    [package] = layered["containers"]
    floors = _floors(layered["layers"])
    lines = [
        f"Generated from the contracts in `pyproject.toml` ({len(all_contracts)} contracts, checked by "
        "`tests/test_architecture.py`; `lint-imports` runs them too). Floor 1 is the ground floor. A package "
        "may import the floors below its own, never one above; function-local imports count (one kept for "
        "start-up speed says so).",
        "",
        "| floor | package | holds | may import |",
        "|---|---|---|---|",
    ]
    for floor, names, independent in floors:
        below = "floor 1" if floor == 2 else f"floors 1-{floor - 1}"
        for name, optional in names:
            path = module_path(package, name)
            if path is None:
                if optional:
                    continue
                raise SystemExit(f"{package}.{name} is in the layers contract but not in the tree")
            holds = first_sentence(path)
            modules = submodules(path)
            if modules:
                holds += " Modules: " + ", ".join(f"`{m}`" for m in modules) + "."
            others = [n for n, _ in names if n != name and module_path(package, n) is not None]
            if floor == 1:
                allowed = "the others of floor 1 (no circles)" if others and not independent else "nothing of moa_core"
            else:
                allowed = below + ("" if not others else "; not the others of its floor" if independent
                                   else "; the others of its floor (no circles)")
            kind = "/" if path.name == "__init__.py" else ".py"
            lines.append(f"| {floor} | `{name}{kind}` | {holds} | {allowed} |")
    lines += ["", "And the other contracts:", ""]
    for c in all_contracts:
        if c["type"] == "layers":
            continue
        lines.append(f"- {c['name']} (`{c['type']}`)")
    return "\n".join(lines) + "\n"


def replace_between_markers(doc: str, generated: str) -> str:
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    return doc[:start] + "\n" + generated + doc[end:]


def current(doc: str) -> str:
    """The table now in the doc, as `table()` returns it."""
    return doc[doc.index(BEGIN) + len(BEGIN):doc.index(END)].removeprefix("\n")


def main(argv: list[str]) -> int:
    doc = DOC.read_text(encoding="utf-8")
    generated = table()
    if "--check" in argv:
        if current(doc) != generated:
            print(f"{DOC.relative_to(ROOT)}: the table is stale; run python scripts/architecture_table.py")
            return 1
        return 0
    DOC.write_text(replace_between_markers(doc, generated), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
