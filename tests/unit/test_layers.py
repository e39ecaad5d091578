"""Layers point one way (ARCHITECTURE.md rule 14), read from the source with ``ast``.

Every ``import recurra.x`` / ``from recurra.x import ...`` under recurra/ (not
migrations) counts: top-level, inside a function, inside ``if TYPE_CHECKING:``.
A package may import from its own layer or below; within one layer the imports
between packages must not form a cycle (invoicing -> payments is fine, payments
-> invoicing as well would not be). No module imports another recurra module's
``_private`` name (tests may). A need to call upward is a job or a port.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import recurra

# ARCHITECTURE.md rule 14, lowest first. Top-level modules (cli.py, demo.py, the
# project glue) and the worker sit on top.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("jobs", "accounts", "crm", "catalog"),
    ("notifications",),
    ("payments", "invoicing"),
    ("subscriptions",),
    ("billing",),
    ("commerce",),
    ("automation", "insights", "exports", "saved_views"),
    ("api", "web", "ops"),
    ("worker", "cli", "demo", "server", "urls", "wsgi", "settings", "config"),
)
LAYER_OF = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}
ROOT = Path(recurra.__file__).parent


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join(("recurra", *parts)), path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every recurra import, absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found += [(node.lineno, target, alias.name) for alias in node.names]
    return [(line, target, name) for line, target, name in found if target.split(".")[0] == "recurra"]


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _problems() -> list[str]:
    problems: list[str] = []
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    modules = {module for module, _ in _modules()}
    for module, path in _modules():
        source = _package(module)
        for line, target, name in _imports(module, path):
            where = f"{path.relative_to(ROOT.parent)}:{line}"
            if name is not None and f"{target}.{name}" in modules:
                target, name = f"{target}.{name}", None
            if name and name.startswith("_") and not name.startswith("__") and target != module:
                problems.append(f"{where}: private name {target}.{name}")
            to = _package(target)
            if not source or not to or to == source:
                continue
            if source not in LAYER_OF or to not in LAYER_OF:
                problems.append(f"{where}: {source} -> {to}: package missing from LAYERS")
            elif LAYER_OF[to] > LAYER_OF[source]:
                problems.append(f"{where}: upward {source} -> {target}")
            elif LAYER_OF[to] == LAYER_OF[source]:
                edges[source][to].append(where)
    problems += [
        f"{where}: {source} -> {to} closes a cycle within a layer"
        for source, targets in edges.items()
        for to, wheres in targets.items()
        if _reaches(edges, to, source)
        for where in wheres
    ]
    return list(dict.fromkeys(problems))


def _reaches(edges: dict[str, dict[str, list[str]]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for following in edges.get(todo.pop(), {}):
            if following == goal:
                return True
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return False


def test_every_package_sits_in_a_layer() -> None:
    packages = {_package(module) for module, _ in _modules()} - {""}
    assert packages - LAYER_OF.keys() == set()


def test_imports_point_down_without_cycles_or_private_names() -> None:
    problems = _problems()
    assert problems == [], "\n" + "\n".join(problems)


def test_the_scan_sees_indented_and_type_checking_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from recurra.billing.outcomes import Outcomes\n"
        "def f():\n"
        "    import recurra.worker.testclock\n"
        "    from .notices import _draft\n"
    )
    assert _imports("recurra.subscriptions.m", source) == [
        (3, "recurra.billing.outcomes", "Outcomes"),
        (5, "recurra.worker.testclock", None),
        (6, "recurra.subscriptions.notices", "_draft"),
    ]
