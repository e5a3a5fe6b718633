"""`--project-context` (report on the files given, read the whole project for facts) and
`--force-exclude` (the excludes apply to files named explicitly): what the pre-commit hook runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from fastlint.cli import cli
from tests.conftest import write
from tests.harness import PROJECTS


def check(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["check", "--format", "concise", "--quiet", *args], catch_exceptions=False)


def test_given_files_are_reported_with_the_facts_of_the_whole_project(in_tmp: Path) -> None:
    shutil.copytree(PROJECTS / "sample_app", in_tmp / "svc")
    os.chdir(in_tmp / "svc")
    full = check().output.splitlines()
    router = [line for line in full if line.startswith("app/routers/users.py:")]
    assert len(router) == 2, full

    # the router alone cannot tell that `SessionLocal` (app/database.py) makes sessions
    assert check("app/routers/users.py").output == ""
    result = check("--project-context", "app/routers/users.py")
    assert result.output.splitlines() == router
    assert result.exit_code == 1
    stats = check("--project-context", "--statistics", "app/routers/users.py").output
    assert "1 files" in stats, "only the file given is linted and reported"

    # the same answer from a subdirectory (the project is the configuration's root)
    write(in_tmp / "svc", "pyproject.toml", "[tool.fastlint]\n")
    os.chdir(in_tmp / "svc" / "app")
    assert check("--project-context", "routers/users.py").output.splitlines() == [line[len("app/") :] for line in router]


def test_force_exclude_skips_excluded_files_named_explicitly(in_tmp: Path) -> None:
    bad = "from sqlalchemy import text\n\n\ndef f(s):\n    return s.execute(text('SELECT * FROM t'))\n"
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\nextend-exclude = ['fixtures/', 'legacy_*.py']\n")
    write(in_tmp, "fixtures/deep/case.py", bad)
    write(in_tmp, "app/legacy_api.py", bad)
    write(in_tmp, "build/gen.py", bad)
    write(in_tmp, "app/main.py", bad)
    files = ("fixtures/deep/case.py", "app/legacy_api.py", "build/gen.py", "app/main.py")
    assert len(check(*files).output.splitlines()) == 4, "named files are always linted"
    assert [line.split(":")[0] for line in check("--force-exclude", *files).output.splitlines()] == ["app/main.py"]
    empty = check("--force-exclude", "--project-context", "build/gen.py")
    assert empty.exit_code == 0 and empty.output == ""
