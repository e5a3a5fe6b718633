"""The command line as a user meets it (click's CliRunner, in a temporary directory)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint import __version__
from fastlint.cli import cli
from tests.conftest import write

BAD = """\
from sqlalchemy.orm import sessionmaker
from fastapi import FastAPI

SessionLocal = sessionmaker()
db = SessionLocal()
app = FastAPI()


@app.get("/")
def index():
    return db.execute("SELECT 1")
"""


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_text_output_and_exit_code(in_tmp: Path) -> None:
    write(in_tmp, "app/main.py", BAD)
    result = invoke("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "app/main.py:5:6: FL101 [global-db-session] `SessionLocal()` creates a session at module level that every request shares"
    assert lines[1].startswith("    hint: ")
    assert lines[-1] == "Found 1 problem in 1 file."


def test_clean_tree(in_tmp: Path) -> None:
    write(in_tmp, "ok.py", "x = 1\n")
    result = invoke("check", ".")
    assert result.exit_code == 0
    assert result.output.strip() == "All checks passed."


def test_concise_quiet_statistics(in_tmp: Path) -> None:
    write(in_tmp, "main.py", BAD)
    concise = invoke("check", "--format", "concise", "--quiet")
    assert concise.output.splitlines() == [
        "main.py:5:6: FL101 `SessionLocal()` creates a session at module level that every request shares"
    ]
    stats = invoke("check", "--statistics")
    assert "1  FL101  global-db-session" in stats.output
    assert "1 files (0 from the cache, 1 linted, 0 read again to place findings), 0 unparsable" in stats.output


def test_select_ignore_and_exit_zero(in_tmp: Path) -> None:
    write(in_tmp, "main.py", BAD)
    assert invoke("check", "--ignore", "FL1").exit_code == 0
    assert invoke("check", "--select", "FL102,FL103").exit_code == 0
    assert invoke("check", "--select", "FL1", "--ignore", "FL10").exit_code == 0
    assert invoke("check", "--select", "FL10", "--ignore", "FL1").exit_code == 1, "the more specific selector wins"
    assert invoke("check", "--exit-zero").exit_code == 0


def test_unknown_code_on_the_command_line(in_tmp: Path) -> None:
    result = invoke("check", "--select", "FL1O1")
    assert result.exit_code == 2
    assert "unknown rule code or prefix 'FL1O1'" in result.output


def test_json_output_file(in_tmp: Path) -> None:
    write(in_tmp, "main.py", BAD)
    result = invoke("check", "--format", "json", "--output-file", "report.json")
    assert result.exit_code == 1
    assert result.output == ""
    payload = json.loads((in_tmp / "report.json").read_text())
    assert payload["version"] == 1
    assert payload["fastlint"] == __version__
    assert payload["summary"] == {"files": 1, "diagnostics": 1}


def test_color_only_when_forced_and_never_with_no_color(in_tmp: Path) -> None:
    write(in_tmp, "main.py", BAD)
    assert "\x1b[" not in invoke("check").output, "not a terminal: no colour"
    assert "\x1b[" in invoke("check", env={"FORCE_COLOR": "1"}).output
    assert "\x1b[" not in invoke("check", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).output
    assert "\x1b[" not in invoke("check", "--no-color", env={"FORCE_COLOR": "1"}).output


def test_missing_path_is_an_error_but_the_run_goes_on(in_tmp: Path) -> None:
    write(in_tmp, "main.py", BAD)
    result = invoke("check", "main.py", "nope.py")
    assert result.exit_code == 2
    assert "error: nope.py:" in result.output
    assert "FL101" in result.output


def test_rules_and_explain() -> None:
    listing = invoke("rules")
    assert listing.exit_code == 0
    assert re.search(r"FL103  session-dependency-without-finally  sessions +on", listing.output)
    rows = json.loads(invoke("rules", "--format", "json").output)
    assert {"code": "FL101", "name": "global-db-session", "family": "sessions", "default": "on", "fixable": "no"}.items() <= next(r for r in rows if r["code"] == "FL101").items()
    explained = invoke("explain", "FL101")
    assert explained.exit_code == 0
    assert explained.output.startswith("# FL101 global-db-session")
    assert "## Why is this bad?" in explained.output
    assert invoke("explain", "global-db-session").output == explained.output
    unknown = invoke("explain", "FL1001")
    assert unknown.exit_code == 2 and "did you mean" in unknown.output


def test_version() -> None:
    assert invoke("--version").output.strip() == f"fastlint, version {__version__}"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.fastlint]\nselct = ['FL1']\n", "unknown key 'tool.fastlint.selct' (did you mean 'select'?)"),
        ("[tool.fastlint]\nselect = 'FL1'\n", "'tool.fastlint.select' must be a list of strings, got a string"),
        ("[tool.fastlint]\nselect = ['FL9']\n", "unknown rule code or prefix 'FL9'"),
        ("[tool.fastlint]\nignore = ['FL1O4']\n", "unknown rule code or prefix 'FL1O4' (did you mean 'FL104'?)"),
        ("[tool.fastlint]\njobs = -1\n", "'tool.fastlint.jobs' must be a non-negative integer"),
        ("[tool.fastlint\nselect = []\n", "invalid TOML"),
        ("[tool.fastlint.options.FL101]\nmax = 1\n", "rule FL101 has no options"),
        ("[tool.fastlint.options.FL999]\nmax = 1\n", "unknown rule code 'FL999' in 'tool.fastlint.options'"),
        ("[tool.fastlint]\nsql-dialect = 'postgress'\n", "unknown SQL dialect 'postgress' (did you mean 'postgres'?)"),
        ("[tool.fastlint.per-file-ignores]\n'x.py' = 'FL1'\n", "must be a list of strings"),
    ],
)
def test_config_errors_are_one_line_with_exit_2(in_tmp: Path, toml: str, message: str) -> None:
    write(in_tmp, "pyproject.toml", toml)
    write(in_tmp, "main.py", "x = 1\n")
    result = invoke("check")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: pyproject.toml: ")
    assert message in lines[0]


def test_config_from_a_parent_directory_and_per_file_ignores(in_tmp: Path) -> None:
    write(
        in_tmp,
        "pyproject.toml",
        "[tool.fastlint]\nextend-exclude = ['generated/']\n[tool.fastlint.per-file-ignores]\n'src/legacy/*.py' = ['FL101']\n",
    )
    write(in_tmp, "src/generated/x.py", BAD)
    write(in_tmp, "src/legacy/y.py", BAD)
    write(in_tmp, "src/app/z.py", BAD)
    import os

    os.chdir(in_tmp / "src")
    result = invoke("check", "--format", "concise", "--quiet")
    assert [line.split(":")[0] for line in result.output.splitlines()] == ["app/z.py"]


def test_config_flag_and_isolated(in_tmp: Path) -> None:
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\nignore = ['FL101']\n")
    write(in_tmp, "other.toml", "select = ['FL102']\n")
    write(in_tmp, "main.py", BAD)
    assert invoke("check").exit_code == 0
    assert invoke("check", "--isolated").exit_code == 1
    assert invoke("check", "--config", "other.toml").exit_code == 0
    assert invoke("check", "--config", "missing.toml").exit_code == 2


def test_python_dash_m(in_tmp: Path) -> None:
    import subprocess
    import sys

    write(in_tmp, "main.py", BAD)
    proc = subprocess.run([sys.executable, "-m", "fastlint", "check", "--format", "concise"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.startswith("main.py:5:6: FL101")
