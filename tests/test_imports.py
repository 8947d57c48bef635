"""No two modules of the project import each other, directly or around a loop.

A cycle makes the import order matter (a name is missing while its module is
half-imported) and ties modules that should change separately. And what the
running processes load (``assistant``, ``actions``, ``webapp``) never imports the
developers' tools in ``assistant.tools``: they pull in evaluation sets and
training code the bot has no use for. The graph
counts every import, also those inside functions, and a submodule import
counts as importing its package too (Python runs the package's
``__init__`` first).
"""

from __future__ import annotations

import ast
from pathlib import Path

from assistant.paths import PROJECT_ROOT

PACKAGES = ("assistant", "actions", "webapp")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in known else node.module for t in targets]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                for depth in range(1, len(parts) + 1):  # a.b.c imports a and a.b first
                    prefix = ".".join(parts[:depth])
                    if prefix in known and prefix != name and not name.startswith(prefix + "."):
                        graph[name].add(prefix)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 50 and "assistant.store" in graph["assistant.bookings"]
    assert cycles(graph) == []


TOOLS = "assistant.tools"


def test_the_runtime_does_not_import_the_tools() -> None:
    graph = import_graph()
    runtime = {name for name in graph if name != TOOLS and not name.startswith(TOOLS + ".")}
    assert {"assistant.channels", "actions.answers", "webapp.site"} <= runtime
    assert "assistant.tools.retrain" in graph and "assistant.served" in graph["assistant.tools.retrain"]
    offending = {name: sorted(t for t in graph[name] if t == TOOLS or t.startswith(TOOLS + "."))
                 for name in runtime}
    assert {name: targets for name, targets in offending.items() if targets} == {}
