from __future__ import annotations

import os
from pathlib import Path

from fastlint.config import DEFAULT_EXCLUDES
from fastlint.discovery import discover
from tests.conftest import write


def names(root: Path, *paths: str, excludes=DEFAULT_EXCLUDES, gitignore: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    found = discover(list(paths) or ["."], str(root), str(root), excludes, gitignore)
    assert not found.errors, found.errors
    return [j.display_path for j in found.jobs]


def test_py_and_pyi_default_excludes_and_gitignore(tmp_path: Path) -> None:
    for rel in ("a.py", "b.pyi", "c.txt", ".venv/x.py", "node_modules/y.py", "build/z.py", "pkg/m.py", "pkg/gen/g.py", "pkg/__pycache__/c.py"):
        write(tmp_path, rel, "x = 1\n")
    write(tmp_path, ".gitignore", "pkg/gen/\n*.tmp.py\n")
    write(tmp_path, "pkg/skip.tmp.py", "x = 1\n")
    write(tmp_path, "pkg/.gitignore", "m.py\n")
    assert names(tmp_path) == ["a.py", "b.pyi"]
    assert names(tmp_path, gitignore=False) == ["a.py", "b.pyi", "pkg/gen/g.py", "pkg/m.py", "pkg/skip.tmp.py"]


def test_explicit_files_are_always_linted(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "ignored.py\n")
    write(tmp_path, "ignored.py", "x = 1\n")
    write(tmp_path, ".venv/lib.py", "x = 1\n")
    write(tmp_path, "notes.txt", "x = 1\n")
    assert names(tmp_path, "ignored.py", ".venv/lib.py", "notes.txt") == [".venv/lib.py", "ignored.py", "notes.txt"]


def test_user_excludes_are_relative_to_the_root(tmp_path: Path) -> None:
    write(tmp_path, "app/legacy/old.py", "x = 1\n")
    write(tmp_path, "app/new.py", "x = 1\n")
    write(tmp_path, "legacy/top.py", "x = 1\n")
    assert names(tmp_path, excludes=("/legacy/",)) == ["app/legacy/old.py", "app/new.py"]
    assert names(tmp_path, excludes=("legacy/",)) == ["app/new.py"]


def test_a_named_directory_inside_an_excluded_one_is_linted(tmp_path: Path) -> None:
    write(tmp_path, "fixtures/demo/app.py", "x = 1\n")
    write(tmp_path, "fixtures/demo/build/gen.py", "x = 1\n")
    assert names(tmp_path, excludes=("fixtures/",)) == []
    assert names(tmp_path, "fixtures/demo", excludes=("fixtures/", "build")) == ["fixtures/demo/app.py"]


def test_symlink_loops_terminate(tmp_path: Path) -> None:
    write(tmp_path, "pkg/m.py", "x = 1\n")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    os.symlink(tmp_path, tmp_path / "pkg" / "up")
    assert names(tmp_path) == ["pkg/m.py"]


def test_a_path_given_twice_is_linted_once(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    assert names(tmp_path, "a.py", ".", "./a.py") == ["a.py"]


def test_missing_paths_are_errors(tmp_path: Path) -> None:
    found = discover(["missing.py"], str(tmp_path), str(tmp_path), DEFAULT_EXCLUDES)
    assert found.jobs == [] and found.errors == ["missing.py: No such file or directory"]


def test_module_names(tmp_path: Path) -> None:
    write(tmp_path, "src/pkg/__init__.py", "")
    write(tmp_path, "src/pkg/sub/__init__.py", "")
    write(tmp_path, "src/pkg/sub/mod.py", "")
    write(tmp_path, "backend/app/main.py", "")  # a namespace layout: no __init__.py
    jobs = {j.display_path: (j.module_name, j.is_package) for j in discover(["."], str(tmp_path), str(tmp_path), DEFAULT_EXCLUDES).jobs}
    assert jobs["src/pkg/sub/mod.py"] == ("pkg.sub.mod", False)
    assert jobs["src/pkg/sub/__init__.py"] == ("pkg.sub", True)
    assert jobs["backend/app/main.py"] == ("backend.app.main", False)
