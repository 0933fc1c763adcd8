"""The package's import graph: no cycles, and no private name used across packages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import esorm

pytestmark = pytest.mark.unit

ROOT = Path(esorm.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(module: str) -> Iterator[tuple[str, str | None]]:
    """(imported module, imported name or None) for every esorm import of `module`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full, None) if full in MODULES else (base, alias.name)


def _owner(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rsplit(".", 1)[0] if "." in target else ""
    return target or None


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_imports_a_private_name_of_another_package() -> None:
    offences = []
    for module in MODULES:
        for target, name in _imports(module):
            if not target.startswith("esorm.") or target.startswith("esorm._internal"):
                continue
            if _package(target) == _package(module):
                continue
            hidden = any(_private(part) for part in target.split(".")[2:])
            if hidden or (name is not None and _private(name)):
                offences.append(f"{module} imports {target}:{name}")
    assert not offences, "private names used across packages:\n" + "\n".join(offences)


def test_the_import_graph_has_no_cycle() -> None:
    edges = {
        module: {
            owner
            for target, _ in _imports(module)
            if target.startswith("esorm")
            and (owner := _owner(target)) is not None
            and owner != module
        }
        for module in MODULES
    }
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(edges.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(MODULES):
        visit(module, [])
