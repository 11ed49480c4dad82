"""The import graph of abstab/ read from the code: no cycle between files, none between rooms, no
upward import (the floors are listed in :mod:`abstab.core`'s docstring).

Every import counts, also one inside a function or under ``TYPE_CHECKING``: an import placed in
a function still ties the two modules together. Imports of other packages (the heavy optional
ones, torch, faiss, ray, pyarrow, llama_cpp, camelot, playwright, matplotlib, are deferred into
functions on purpose) are not part of this graph.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Floors, bottom to top: a room imports rooms of its own floor or below, never above.
LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(f.split()) for f in (
    "abstab errors schemas text",
    "registry records",
    "sources jsonl",
    "config store decisions",
    "backends",
    "core",
    "extract embed retrieval executors synth",
    "llm",
    "rules",
    "stages",
    "release",
    "bench review",
    "export api",
    "cli __main__",
))


def _modules(root: Path) -> dict[str, Path]:
    out = {}
    for path in sorted((root / "abstab").rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _targets(mods: dict[str, Path], current: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The abstab modules one import statement loads (the longest known module of each name)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = current.split(".")
            if mods[current].name != "__init__.py":
                parts = parts[:-1]
            parts = parts[:len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
    out = []
    for name in names:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        if name.startswith("abstab"):
            out.append(name)
    return out


def room(module: str) -> str:
    """``abstab.bench.run`` → ``bench``; ``abstab.cli`` → ``cli``; ``abstab`` → ``abstab``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def import_edges(root: Path) -> dict[tuple[str, str], str]:
    """(importer, imported) → ``file:line`` of the first such import, for every abstab module
    under ``root``. A package's ``__init__`` importing its own submodules is left out (it
    gathers them; it is not a dependency of theirs)."""
    mods = _modules(root)
    edges: dict[tuple[str, str], str] = {}
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(mods, name, node):
                gathers = path.name == "__init__.py" and target.startswith(name + ".")
                if target != name and not gathers:
                    edges.setdefault((name, target), f"{path.relative_to(root)}:{node.lineno}")
    return edges


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def problems(root: Path) -> list[str]:
    """Every file cycle, room cycle and upward import under ``root``, each naming its imports."""
    edges = import_edges(root)
    out = []
    files: dict[str, set[str]] = defaultdict(set)
    rooms: dict[str, set[str]] = defaultdict(set)
    room_edge: dict[tuple[str, str], str] = {}
    for (a, b), where in edges.items():
        files[a].add(b)
        if room(a) != room(b):
            rooms[room(a)].add(room(b))
            room_edge.setdefault((room(a), room(b)), f"{where} ({a} imports {b})")
    # One cycle at a time: report it, cut its edges, look again.
    for graph, where_of, kind in ((files, edges, "file"), (rooms, room_edge, "room")):
        while (cycle := _cycle(graph)) is not None:
            # graphlib lists the cycle with each node depending on the previous one.
            path = cycle[::-1]
            steps = list(itertools.pairwise(path))
            out.append(f"{kind} cycle {' -> '.join(path)}: "
                       + "; ".join(where_of[step] for step in steps))
            for a, b in steps:
                graph[a].discard(b)
    floor = {r: i for i, rooms_ in enumerate(LAYERS) for r in rooms_}
    for r in sorted({room(m) for m in _modules(root)} - set(floor)):
        out.append(f"room {r} is on no floor: add it to LAYERS and abstab/core's docstring")
    for (a, b), where in sorted(edges.items()):
        ra, rb = room(a), room(b)
        if ra in floor and rb in floor and floor[rb] > floor[ra]:
            out.append(f"upward import {where}: {a} ({ra}) imports {b} ({rb})")
    return out


def test_abstab_imports_have_no_cycle_and_go_down_only() -> None:
    assert problems(ROOT) == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    pkg = tmp_path / "abstab"
    for rel, text in {
        "__init__.py": "",
        "errors.py": "",
        "core/__init__.py": "",
        "core/words.py": "from abstab.errors import x\n",
        "bench/__init__.py": "",
        "bench/normalize.py": "",
        "bench/run.py": "from abstab.core.words import zipf\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    return tmp_path


def test_a_clean_tree_has_no_problem(tree: Path) -> None:
    assert problems(tree) == []


def test_an_import_inside_a_function_still_makes_a_cycle(tree: Path) -> None:
    (tree / "abstab/core/words.py").write_text(
        "from abstab.core.headers import classify\n")
    (tree / "abstab/core/headers.py").write_text(
        "def classify():\n    from abstab.core import words\n")
    assert problems(tree) == [
        ("file cycle abstab.core.words -> abstab.core.headers -> abstab.core.words: "
        "abstab/core/words.py:1; abstab/core/headers.py:2"),
    ]


def test_an_upward_import_and_the_room_cycle_it_makes_are_named(tree: Path) -> None:
    (tree / "abstab/core/words.py").write_text(
        "def zipf():\n    from ..bench.normalize import parse_number\n")
    assert problems(tree) == [
        ("room cycle bench -> core -> bench: "
        "abstab/bench/run.py:1 (abstab.bench.run imports abstab.core.words); "
        "abstab/core/words.py:2 (abstab.core.words imports abstab.bench.normalize)"),
        ("upward import abstab/core/words.py:2: abstab.core.words (core) imports "
        "abstab.bench.normalize (bench)"),
    ]


def test_a_new_room_must_be_placed_on_a_floor(tree: Path) -> None:
    (tree / "abstab/plugins.py").write_text("")
    assert problems(tree) == [
        "room plugins is on no floor: add it to LAYERS and abstab/core's docstring"]
