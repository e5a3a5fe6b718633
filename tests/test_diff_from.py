"""`--diff-from REV`: only findings on lines added or changed since a git revision, in a real git
repository in a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.changes import FileChanges, parse_diff
from fastlint.cli import cli
from tests.conftest import write

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

OLD = """\
from sqlalchemy import text


def users(session):
    return session.execute(text("SELECT * FROM users")).all()


def orders(session):
    return session.execute(text("SELECT id FROM orders")).all()
"""


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout


def check(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["check", "--isolated", "--format", "concise", "--quiet", *args], catch_exceptions=False)


def repo(root: Path) -> None:
    git(root, "init", "-q")
    write(root, "app/queries.py", OLD)
    write(root, "app/helpers.py", 'from sqlalchemy import text\n\nALL = text("SELECT * FROM accounts")\n\n\ndef run(s):\n    return s.execute(ALL)\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")


@needs_git
def test_only_findings_on_new_or_changed_lines(in_tmp: Path) -> None:
    repo(in_tmp)
    assert len(check().output.splitlines()) == 2, "two old findings"
    assert check("--diff-from", "HEAD").exit_code == 0, "nothing changed"

    # lines added above the old finding (it moves down), and one changed line that now has a finding
    new = OLD.replace("from sqlalchemy import text\n", "from sqlalchemy import text\n\nLIMIT = 10\n").replace("SELECT id FROM orders", "SELECT * FROM orders")
    write(in_tmp, "app/queries.py", new)
    result = check("--diff-from", "HEAD")
    assert result.exit_code == 1
    assert result.output.splitlines() == ["app/queries.py:11:33: FL201 `SELECT *` reads every column of `orders`"]

    # committed changes count too, against an older revision; untracked files count whole
    git(in_tmp, "commit", "-q", "-am", "orders")
    write(in_tmp, "app/new_module.py", 'from sqlalchemy import text\n\n\ndef f(s):\n    return s.execute(text("SELECT * FROM logs"))\n')
    assert [line.split(":")[0] for line in check("--diff-from", "HEAD~1").output.splitlines()] == ["app/new_module.py", "app/queries.py"]
    assert [line.split(":")[0] for line in check("--diff-from", "HEAD").output.splitlines()] == ["app/new_module.py"]

    # the whole project is still linted: the filter applies to the report only
    stats = check("--diff-from", "HEAD", "--statistics")
    assert "3 files" in stats.output


@needs_git
def test_from_a_subdirectory_and_with_a_config(in_tmp: Path) -> None:
    repo(in_tmp)
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\n")
    write(in_tmp, "app/queries.py", OLD.replace("SELECT id FROM orders", "SELECT * FROM orders"))
    import os

    os.chdir(in_tmp / "app")
    result = CliRunner().invoke(cli, ["check", "--format", "concise", "--quiet", "--diff-from", "HEAD", "."], catch_exceptions=False)
    assert result.output.splitlines() == ["queries.py:9:33: FL201 `SELECT *` reads every column of `orders`"]


@needs_git
def test_not_a_repository_or_unknown_revision_is_exit_2(in_tmp: Path) -> None:
    write(in_tmp, "app/queries.py", OLD)
    result = check("--diff-from", "HEAD")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --diff-from: ") and "is not in a git repository" in lines[0]

    repo(in_tmp)
    for rev in ("no-such-branch", "HEAD~5"):
        result = check("--diff-from", rev)
        assert result.exit_code == 2
        assert result.output.strip() == f"error: --diff-from: unknown git revision '{rev}' (is the history fetched? e.g. fetch-depth: 0)"
    result = check("--diff-from", "--output=x")
    assert result.exit_code == 2 and "is not a git revision" in result.output


def test_parse_diff_counts_hunk_lines_whatever_they_start_with() -> None:
    patch = b"\n".join(
        [
            b"diff --git a/app/a.py b/app/a.py",
            b"index 1..2 100644",
            b"--- a/app/a.py",
            b"+++ b/app/a.py",
            b"@@ -3,0 +4,2 @@ def f():",
            b"+++ x  # an added line that starts with ++",
            b"+y = 1",
            b"@@ -10,2 +11,0 @@",
            b"-gone",
            b"--- also gone",
            b"@@ -20 +19 @@",
            b"-old",
            b"+new",
            b"\\ No newline at end of file",
            b'diff --git "a/app/t\\303\\251st b.py" "b/app/t\\303\\251st b.py"',
            b"new file mode 100644",
            b"--- /dev/null",
            b'+++ "b/app/t\\303\\251st b.py"',
            b"@@ -0,0 +1 @@",
            b"+z = 2",
            b"diff --git a/gone.py b/gone.py",
            b"deleted file mode 100644",
            b"--- a/gone.py",
            b"+++ /dev/null",
            b"@@ -1 +0,0 @@",
            b"-q = 1",
        ]
    )
    files = parse_diff(patch)
    assert set(files) == {"app/a.py", "app/tést b.py"}
    a = files["app/a.py"]
    assert a.lines == {4, 5, 19}
    assert a.deleted_after == {11}
    assert files["app/tést b.py"].lines == {1}


def test_a_finding_is_touched_by_a_changed_line_or_a_deletion_inside_it() -> None:
    changes = FileChanges(lines={10}, deleted_after={20})
    assert changes.touches(10, 10) and changes.touches(8, 12)
    assert not changes.touches(11, 15)
    assert changes.touches(19, 21), "lines deleted between 20 and 21, inside the finding"
    assert not changes.touches(21, 25) and not changes.touches(18, 20)
    assert FileChanges(lines=None).touches(1, 1), "untracked: every line"
