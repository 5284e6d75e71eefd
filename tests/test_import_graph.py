"""The module import graph of jiceng.dsl and jiceng.platform has no cycles.

The graph is read from the source with :mod:`ast`, so it sees every import a
module can execute: top-level ones, the ones inside functions (a cycle hidden in
a function-level import is still a cycle: it only moves the failure to run time
and makes the import order matter) and those under ``if TYPE_CHECKING:``
(a cycle of type dependencies is a cycle in the design). Relative imports are
resolved, and ``from package import name`` counts as an import of the module
``package.name`` when that is a module, else of ``package``.

An edge to a package is an edge to its ``__init__``; importing ``a.b.c`` does not
add edges to the parent packages ``a`` and ``a.b`` (Python runs them first, but
a package's ``__init__`` importing its own submodules is not a cycle worth
reporting).
"""
from __future__ import annotations

import ast
import functools
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: import name -> source folder (pyproject's package-dir: the folders have no top __init__.py)
ROOTS = {"jiceng.dsl": REPO / "dsl", "jiceng.platform": REPO / "platform"}
#: modules that run a program when imported, so are read but not imported here
NOT_IMPORTED = {"jiceng.platform.cli.__main__", "jiceng.platform.migrations.env"}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module: name -> (file, is a package's __init__)."""
    found = {}
    for prefix, folder in ROOTS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = (path, is_package)
    return found


MODULES = _modules()


def _imports(name: str, path: Path, is_package: bool) -> set[str]:
    """The jiceng modules ``name`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()

    def add(module: str) -> None:
        # the module itself, or the nearest enclosing module we know ("a.b.func" -> "a.b")
        while module and module not in MODULES:
            module = module.rpartition(".")[0]
        if module and module != name:
            targets.add(module)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                add(candidate if candidate in MODULES else source)
    return targets


@functools.lru_cache(maxsize=1)
def import_graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(_imports(name, path, is_package)) for name, (path, is_package) in MODULES.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in no particular order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, as a path a -> b -> ... -> a."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:  # breadth first: the shortest way back to start
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    return component


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    return sorted(c for c in strongly_connected(graph) if len(c) > 1)


# ----------------------------------------------------------------------- the graph reader itself
def test_the_reader_sees_function_level_relative_and_from_package_imports(tmp_path, monkeypatch):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    source = tmp_path / "m.py"
    source.write_text("from . import api\nfrom .. import errors\n"
                      "def f():\n    from jiceng.platform.cli import service\n    import jiceng.dsl.pack\n"
                      "from jiceng.platform.decisions.chain import canonical\n", encoding="utf-8")
    found = _imports("jiceng.platform.forms.m", source, False)
    assert found == {"jiceng.platform.forms", "jiceng.platform.errors", "jiceng.platform.cli.service",
                     "jiceng.dsl.pack", "jiceng.platform.decisions.chain"}
    assert _imports("jiceng.dsl.m", source, False) >= {"jiceng.dsl.api"}


# ----------------------------------------------------------------------- the project
@pytest.mark.parametrize("name", sorted(set(MODULES) - NOT_IMPORTED))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_the_modules_were_found():
    assert {"jiceng.dsl.api", "jiceng.dsl.commands", "jiceng.platform.app", "jiceng.platform.cli",
            "jiceng.platform.cli.service", "jiceng.platform.decisions.chain"} <= set(MODULES)


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        "  " + " -> ".join(a_cycle(graph, c)) + (f"   (component: {', '.join(c)})" if len(c) > 2 else "")
        for c in found)


def test_the_language_never_imports_the_platform():
    graph = import_graph()
    offenders = {name: sorted(t for t in targets if t.startswith("jiceng.platform"))
                 for name, targets in graph.items() if name.startswith("jiceng.dsl")}
    assert not {k: v for k, v in offenders.items() if v}


def test_loading_the_whole_language_loads_nothing_of_the_platform():
    """At run time too (entry points, ``importlib``): a fresh interpreter that imports every
    module of jiceng.dsl and loads a pack has no jiceng.platform module."""
    names = sorted(n for n in MODULES if n.startswith("jiceng.dsl"))
    script = ("import importlib, sys\n"
              f"for name in {names!r}:\n    importlib.import_module(name)\n"
              "from jiceng.dsl import load_pack\n"
              f"load_pack('changsha', root={str(REPO / 'rule_packs')!r})\n"
              "print(sorted(m for m in sys.modules if m.startswith('jiceng.platform')))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
