"""The HTTP handlers (techscaniq/api, techscaniq/web) reach storage only through the service modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "techscaniq"
HANDLER_MODULES = sorted([*PACKAGE.glob("api/*.py"), *PACKAGE.glob("web/*.py")])
STORAGE = "techscaniq.storage"


def storage_imports(source: str) -> list[str]:
    """Every module named by an import (anywhere in the file, lazy ones too) that lies in techscaniq.storage."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.extend(name for name in names if name == STORAGE or name.startswith(f"{STORAGE}."))
    return found


def test_the_walk_sees_every_form_of_a_storage_import() -> None:
    source = (
        "import techscaniq.storage.repo\n"
        "from techscaniq.storage import repo\n"
        "from techscaniq import storage\n"
        "def f():\n    from techscaniq.storage.db import session_scope\n"
        "from techscaniq.scans import service\n"
    )
    assert set(storage_imports(source)) == {
        "techscaniq.storage.repo",
        "techscaniq.storage",
        "techscaniq.storage.db",
        "techscaniq.storage.db.session_scope",
    }


def test_there_are_handler_modules_to_check() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in HANDLER_MODULES}
    assert {"api/scans.py", "api/reports.py", "api/events.py", "web/views.py"} <= names


@pytest.mark.parametrize("path", HANDLER_MODULES, ids=lambda path: path.relative_to(PACKAGE).as_posix())
def test_a_handler_module_imports_no_storage_module(path: Path) -> None:
    assert storage_imports(path.read_text(encoding="utf-8")) == []


BROKER_SIDE = ("broker", "celery_app", "ops_status", "reaper", "tasks", "worker")


def techscaniq_imports(path: Path) -> set[str]:
    """The techscaniq modules a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name.removeprefix("techscaniq.") for name in names if name.startswith("techscaniq.")}


def test_the_broker_side_modules_import_each_other_without_a_circle() -> None:
    graph = {name: techscaniq_imports(PACKAGE / f"{name}.py") & set(BROKER_SIDE) for name in BROKER_SIDE}
    assert graph["reaper"] == {"broker", "tasks"}  # the walk does see these modules' imports
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import circle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, (*path, name))
        done.add(name)

    for name in BROKER_SIDE:
        visit(name, ())


TESTS = PACKAGE.parent / "tests"


def test_no_test_module_or_conftest_is_imported_by_another_module() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            for module in modules:
                last = module.rsplit(".", 1)[-1]
                if module.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                    offenders.append(f"{path.relative_to(TESTS.parent)} imports {module}")
    assert offenders == [], "move shared helpers to tests/support/"
