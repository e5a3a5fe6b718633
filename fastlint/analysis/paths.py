"""What a file is for, from its path: tests, scripts and migrations are not application code."""

from __future__ import annotations

from pathlib import PurePosixPath

_TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__"})
_SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "tools"})
_MIGRATION_DIRS = frozenset({"alembic", "migrations", "_migrations", "migration"})
_EXAMPLE_DIRS = frozenset({"examples", "example", "example_dags", "docs_src", "samples", "tutorial", "tutorials"})


def _parts(path: str) -> tuple[str, ...]:
    return PurePosixPath(path.replace("\\", "/")).parts


def is_test_path(path: str) -> bool:
    parts = _parts(path)
    if not parts:
        return False
    name = parts[-1]
    if name == "conftest.py" or name.startswith("test_") or name.endswith(("_test.py", "_tests.py")):
        return True
    return any(p in _TEST_DIRS or p.startswith("tests_") for p in parts[:-1])


def is_script_path(path: str) -> bool:
    parts = _parts(path)
    if not parts:
        return False
    if parts[-1] in ("manage.py", "__main__.py", "setup.py", "noxfile.py", "fabfile.py"):
        return True
    return any(p in _SCRIPT_DIRS for p in parts[:-1])


def is_migration_path(path: str) -> bool:
    """An Alembic (or other) migrations folder, or a module of hand-written migrations
    (`persistence/migrations.py`, `db_migrations.py`, `migrate_v2.py`)."""
    parts = _parts(path)
    if not parts:
        return False
    name = parts[-1]
    if name in ("migrations.py", "migration.py") or name.endswith("_migrations.py") or name.startswith("migrate"):
        return True
    return any(p in _MIGRATION_DIRS for p in parts[:-1])


def is_example_path(path: str) -> bool:
    """Example, tutorial and documentation code (`examples/`, `example_dags/`, `docs_src/`)."""
    return any(p in _EXAMPLE_DIRS for p in _parts(path)[:-1])


def is_application_path(path: str) -> bool:
    return not (is_test_path(path) or is_script_path(path) or is_migration_path(path) or is_example_path(path))
