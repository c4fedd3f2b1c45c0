"""The package's shape holds: layers import only downward, no import cycles, small modules.

Layers, lowest first: a module may import its own layer's modules and any lower layer's, never
a higher one (lazy imports inside functions count too). ``rag`` never imports the top-level
``ui`` entry or the ``bench`` tools beside it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    ("rag.errors", "rag.types"),
    ("rag.protocols", "rag.config", "rag.text"),
    ("rag.index",),
    ("rag.retrieval",),
    ("rag.answer",),
    ("rag.pipeline", "rag.writes"),
    ("rag.evaluation",),
    ("rag.serve", "rag.__main__", "rag"),
]
MAX_LINES = 320  # "about 300": the largest module now is the extractive answerer


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every ``rag``/``ui``/``bench`` module a file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.split(".")[0] in ("rag", "ui", "bench")}


def layer(module: str) -> int:
    best = -1, -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best[1]:
                best = i, len(name)
    if best[0] < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best[0]


FILES = sorted((ROOT / "rag").rglob("*.py"))
GRAPH = {module_name(f): imports(f) for f in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downward_only(path):
    me = module_name(path)
    for dep in GRAPH[me]:
        assert dep.split(".")[0] == "rag", f"{me} imports {dep}: the library must not import ui/ or bench/"
        assert layer(dep) <= layer(me), f"{me} (layer {layer(me)}) imports {dep} (layer {layer(dep)})"


def test_no_import_cycle():
    modules = set(GRAPH)

    def resolve(dep: str) -> str | None:  # "rag.text" -> the package module; names inside are skipped
        return dep if dep in modules else None

    state: dict[str, int] = {}

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for d in sorted(filter(None, map(resolve, GRAPH[m]))):
            if d == m or (m.endswith(".__init__")):
                continue
            if state.get(d) == 1:
                cycle = [*trail[trail.index(d) :], d] if d in trail else [m, d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d, [*trail, d])
        state[m] = 2

    for m in sorted(modules):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines: split it by what its parts do"


def test_ui_entry_is_thin_and_imports_the_serve_layer():
    text = (ROOT / "ui" / "app.py").read_text()
    assert "from rag.serve.ui import" in text and len(text.splitlines()) < 15
