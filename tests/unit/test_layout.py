"""The package's rooms: every module imports, no import cycle, and `model/` depends on nothing.

Imports are read from the source (module level, functions and `TYPE_CHECKING` blocks alike), so
a cycle hidden behind a lazy or type-only import counts too.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.support.helpers import REPO

PACKAGE = REPO / "r53emu"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The r53emu modules `name` imports (a package's `__init__` stands for `from pkg import`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


# `python -m r53emu` runs the command line as it imports: the CLI tests run it.
@pytest.mark.parametrize("name", sorted(set(MODULES) - {"r53emu.__main__"}))
def test_every_module_imports(name: str) -> None:
    """Each module of the package imports on its own."""
    importlib.import_module(name)


def test_no_import_cycles() -> None:
    """No module reaches itself through imports."""
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle() -> None:
    """The finder itself reports a cycle (so an empty answer above means something)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_model_imports_nothing_else_of_r53emu() -> None:
    """`model/` holds the values everything shares; it depends on no other room."""
    outside = {
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith("r53emu.model")
        for target in targets
        if not target.startswith("r53emu.model")
    }
    assert outside == set()


def test_rooms_do_not_import_the_lifecycle_or_the_cli() -> None:
    """Only the top (and the testing room, which runs servers) use `app` and `cli`."""
    top = {"r53emu", "r53emu.app", "r53emu.cli", "r53emu.cliargs", "r53emu.__main__"}
    users = {
        name
        for name, targets in GRAPH.items()
        if targets & {"r53emu.app", "r53emu.cli", "r53emu.cliargs"}
        and name not in top
        and not name.startswith("r53emu.testing")
    }
    assert users == set()
