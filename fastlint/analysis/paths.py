"""What a file is for, from its path: tests, scripts and migrations are not application code."""

from __future__ import annotations

from pathlib import PurePosixPath

_TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__"})
_SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "tools"})
_MIGRATION_DIRS = frozenset({"alembic", "migrations", "_migrations", "migration"})


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
    parts = _parts(path)
    return any(p in _MIGRATION_DIRS for p in parts[:-1])


def is_application_path(path: str) -> bool:
    return not (is_test_path(path) or is_script_path(path) or is_migration_path(path))
