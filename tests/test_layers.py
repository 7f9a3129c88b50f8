"""The house's floor plan, enforced: imports between surveyapp's rooms point down the declared layers.

The order is the README's "For developers" diagram. Every import counts, wherever it is written: at module
level, inside a function, or under ``if TYPE_CHECKING:`` (a type-only import of a higher room is still a
two-way dependency, just one the import system cannot see).
"""
from __future__ import annotations

import ast
import pathlib
from collections import defaultdict
from dataclasses import dataclass

import surveyapp

#: Bottom to top. A room may import its own layer and the layers below it, never one above.
#: A root module (``surveyapp/pdf.py``) is a room of its own; a package is one room.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("infrastructure", frozenset({
        "config", "db", "clock", "collector", "errors", "inputs", "urls", "resources", "extensions", "locks", "terminal",
        "geo", "print_font", "pdf", "charts", "photo_store", "photos", "photos_cli", "tabular", "pagination",
        "webforms", "i18n", "i18n_tool", "labels", "nav", "bulk", "bulk_cli", "migrate", "security",
    })),
    ("auth", frozenset({"auth"})),
    ("audit", frozenset({"audit"})),
    ("jobs", frozenset({"jobs"})),
    ("notifications", frozenset({"notifications"})),
    ("org", frozenset({"org"})),
    ("users", frozenset({"users"})),
    ("demo", frozenset({"demo"})),
    ("checklists", frozenset({"checklists"})),
    ("visits", frozenset({"visits"})),
    ("planning", frozenset({"planning"})),
    ("assessment", frozenset({"assessment"})),
    ("notices", frozenset({"notices"})),
    ("feedback", frozenset({"feedback"})),
    ("insight", frozenset({"insight"})),
    ("shell", frozenset({"home", "bulk_views", "cli", "models", "__init__"})),
)


@dataclass(frozen=True)
class Import:
    module: str  #: the importing module, e.g. ``surveyapp.notices.document``
    line: int
    target: str  #: the imported module (or module.name), e.g. ``surveyapp.feedback.queries``


def room(module: str) -> str:
    """``surveyapp.notices.document`` → ``notices``; ``surveyapp.pdf`` → ``pdf``; ``surveyapp`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(root: pathlib.Path) -> list[Import]:
    """Every import of a module of the package at ``root``, absolute or relative."""
    package = root.name
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        module = ".".join(parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parts if is_package else parts[:-1]
                    base = base[: len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # ``from surveyapp import pdf`` imports the module surveyapp.pdf; ``import create_app``, the package.
                targets = [f"{source}.{a.name}" if _is_module(root, a.name) else source for a in node.names] \
                    if source == package else [source]
            else:
                continue
            # ``import surveyapp`` (for ``__path__`` or ``__version__``) is what every submodule's import does anyway.
            found += [Import(module, node.lineno, t) for t in targets if t.startswith(package + ".")]
    return found


def _is_module(root: pathlib.Path, name: str) -> bool:
    return (root / f"{name}.py").is_file() or (root / name / "__init__.py").is_file()


def problems(found: list[Import], layers: tuple[tuple[str, frozenset[str]], ...] = LAYERS) -> list[str]:
    """What breaks the plan: rooms missing from it, imports against the order, cycles between rooms."""
    level = {name: i for i, (_layer, rooms) in enumerate(layers) for name in rooms}
    out = []
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in found:
        a, b = room(imp.module), room(imp.target)
        unplaced = [name for name in (a, b) if name not in level]
        out += [f"{name}: a room the declared layers do not place (add it to LAYERS and the README)" for name in unplaced]
        if a == b or unplaced:
            continue
        graph[a].add(b)
        if level[a] < level[b]:
            out.append(f"{imp.module}:{imp.line} imports {imp.target}: {layers[level[a]][0]} "
                       f"may not import {layers[level[b]][0]}, which sits above it")
    out += [f"import cycle between rooms: {' -> '.join(c)}" for c in _cycles(graph)]
    return sorted(set(out))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle for every group of rooms that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [group + [group[0]] for group in groups]


def test_imports_point_down_the_declared_layers():
    found = imports_of(pathlib.Path(surveyapp.__file__).parent)
    assert len(found) > 500  # the walk sees the code, not an empty folder
    assert problems(found) == []


def _write(root: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "surveyapp"


def test_the_check_fails_on_an_upward_import_and_on_a_cycle(tmp_path):
    """A hidden type-only import, a relative one and one inside a function all count."""
    root = _write(tmp_path, {
        "surveyapp/__init__.py": "",
        "surveyapp/db.py": "",
        "surveyapp/auth/__init__.py": "",
        "surveyapp/auth/models.py": "from surveyapp.db import x\n",
        "surveyapp/notices/__init__.py": "",
        "surveyapp/notices/document.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                         "    from surveyapp.feedback.queries import overdue\n",
        "surveyapp/feedback/__init__.py": "",
        "surveyapp/feedback/services.py": "def f():\n    from ..notices import services\n",
        "surveyapp/org/__init__.py": "",
        "surveyapp/org/models.py": "from surveyapp import auth\n",
    })
    found = imports_of(root)
    upward = ("surveyapp.notices.document:3 imports surveyapp.feedback.queries: "
              "notices may not import feedback, which sits above it")
    assert problems(found) == [
        "import cycle between rooms: feedback -> notices -> feedback",
        upward,
    ]
    assert problems([*found, Import("surveyapp.attic.box", 1, "surveyapp.db")]) == [
        "attic: a room the declared layers do not place (add it to LAYERS and the README)",
        "import cycle between rooms: feedback -> notices -> feedback",
        upward,
    ]
