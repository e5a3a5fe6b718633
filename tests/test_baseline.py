"""`--write-baseline` / `--baseline`, end to end with the CLI on a temporary project: moved code
keeps matching its entry, a new copy of a flagged line is reported, a bad baseline is exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from fastlint.cli import cli
from tests.conftest import write

QUERIES = """\
from sqlalchemy import text


def users(session):
    return session.execute(text("SELECT * FROM users")).all()


def orders(session):
    return session.execute(text("SELECT * FROM orders")).all()
"""


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["check", "--isolated", "--format", "concise", *args], catch_exceptions=False)


def test_write_then_check_reports_only_new_findings(in_tmp: Path) -> None:
    write(in_tmp, "app/queries.py", QUERIES)
    assert invoke().exit_code == 1

    written = invoke("--write-baseline", "baseline.json")
    assert written.exit_code == 0, written.output
    assert written.output.strip() == "Wrote 2 findings to the baseline baseline.json."
    data = json.loads((in_tmp / "baseline.json").read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["fingerprint_version"] == "1"
    assert [(e["code"], e["path"]) for e in data["findings"]] == [("FL201", "app/queries.py")] * 2
    assert all(set(e) == {"code", "path", "fingerprint", "message"} for e in data["findings"]), "no line numbers"
    assert data["findings"] == sorted(data["findings"], key=lambda e: (e["path"], e["code"], e["fingerprint"]))

    clean = invoke("--baseline", "baseline.json")
    assert clean.exit_code == 0, clean.output
    assert clean.output.strip() == "All checks passed."


def test_moved_code_stays_silenced_and_a_new_copy_is_reported(in_tmp: Path) -> None:
    write(in_tmp, "app/queries.py", QUERIES)
    assert invoke("--write-baseline", "baseline.json").exit_code == 0

    # lines added above, the functions swapped and re-indented: every finding moved
    moved = QUERIES.replace("from sqlalchemy import text\n", "from sqlalchemy import text\n\nLIMIT = 10\n\n\n")
    head, users, orders = moved.split("\n\n\ndef ")
    moved = f"{head}\n\n\ndef {orders.rstrip()}\n\n\ndef {users}".replace('    return session.execute(text("SELECT * FROM users"))', '    return   session.execute(text("SELECT * FROM users"))')
    write(in_tmp, "app/queries.py", moved)
    result = invoke("--baseline", "baseline.json")
    assert result.exit_code == 0, result.output

    # a second copy of a flagged line is new: one finding
    copied = moved + '\n\ndef users_again(session):\n    return session.execute(text("SELECT * FROM users")).all()\n'
    write(in_tmp, "app/queries.py", copied)
    result = invoke("--baseline", "baseline.json")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len([line for line in lines if "FL201" in line]) == 1, result.output
    assert "`SELECT *` reads every column of `users`" in lines[0]

    # a changed flagged line is a new finding too
    write(in_tmp, "app/queries.py", QUERIES.replace("FROM orders", "FROM orders_archive"))
    result = invoke("--baseline", "baseline.json")
    assert result.exit_code == 1 and "orders_archive" in result.output


def test_baseline_paths_are_relative_to_the_project_root(in_tmp: Path) -> None:
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\n")
    write(in_tmp, "app/queries.py", QUERIES)
    runner = CliRunner()
    assert runner.invoke(cli, ["check", "--write-baseline", "baseline.json"]).exit_code == 0
    os.chdir(in_tmp / "app")
    result = runner.invoke(cli, ["check", "--baseline", "../baseline.json", "."], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_missing_or_corrupt_baseline_is_one_line_and_exit_2(in_tmp: Path) -> None:
    write(in_tmp, "app/queries.py", QUERIES)
    write(in_tmp, "corrupt.json", '{"version": 1, "findings": [')
    write(in_tmp, "other.json", '{"version": 7, "fingerprint_version": "1", "findings": []}')
    write(in_tmp, "list.json", "[]")
    cases = {
        "missing.json": "error: missing.json: no such baseline file (create it with --write-baseline missing.json)",
        "corrupt.json": "error: corrupt.json: not a fastlint baseline: invalid JSON",
        "other.json": "error: other.json: baseline format version 7 is not supported",
        "list.json": "error: list.json: not a fastlint baseline",
    }
    for name, message in cases.items():
        result = invoke("--baseline", name)
        assert result.exit_code == 2, (name, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), result.output


def test_write_baseline_is_not_combined_with_filters(in_tmp: Path) -> None:
    write(in_tmp, "app/queries.py", QUERIES)
    write(in_tmp, "baseline.json", '{"version": 1, "fingerprint_version": "1", "findings": []}')
    result = invoke("--write-baseline", "new.json", "--baseline", "baseline.json")
    assert result.exit_code == 2
    assert "cannot be combined" in result.output
    assert not (in_tmp / "new.json").exists()


def test_a_run_with_errors_writes_no_baseline(in_tmp: Path) -> None:
    write(in_tmp, "app/queries.py", QUERIES)
    result = invoke("app/queries.py", "nope.py", "--write-baseline", "baseline.json")
    assert result.exit_code == 2
    assert "baseline not written" in result.output
    assert not (in_tmp / "baseline.json").exists()
