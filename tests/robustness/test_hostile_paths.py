"""Odd paths: each gives a finding, FL001 or one `error:` line, and the other files are linted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.cli import cli
from tests.conftest import write

BAD = "from sqlalchemy import text\n\nQ = text('SELECT * FROM users')\n"  # FL201 on line 3


def check(*paths: str, fmt: str = "json") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", "--isolated", "--format", fmt, *paths])
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def findings(out: str) -> list[tuple[str, str, int]]:
    return [(d["path"], d["code"], d["line"]) for d in json.loads(out)["diagnostics"]]


def test_a_directory_named_like_a_module_is_walked_not_read(in_tmp: Path) -> None:
    write(in_tmp, "x.py/inner.py", BAD)
    code, out, err = check(".")
    assert (code, findings(out), err) == (1, [("x.py/inner.py", "FL201", 3)], "")


def test_a_dangling_symlink_is_skipped_when_walking_and_an_error_when_named(in_tmp: Path) -> None:
    write(in_tmp, "good.py", BAD)
    os.symlink(in_tmp / "missing.py", in_tmp / "dangling.py")
    code, out, err = check(".")
    assert (code, findings(out), err) == (1, [("good.py", "FL201", 3)], "")
    code, out, err = check("dangling.py", "good.py")
    assert code == 2 and findings(out) == [("good.py", "FL201", 3)]
    assert err == "error: dangling.py: No such file or directory\n"
    # the summary never says "All checks passed." on a run that exits 2
    code, out, err = check("dangling.py", fmt="text")
    assert (code, out) == (2, 'No problems found, but the run had 1 error (the "error:" lines).\n')
    code, out, err = check("dangling.py", "good.py", fmt="text")
    assert code == 2 and out.endswith('Found 1 problem in 1 file; the run had 1 error (the "error:" lines).\n')


def test_a_non_python_file_named_explicitly_is_fl001_not_a_crash(in_tmp: Path) -> None:
    write(in_tmp, "README.md", "# Title\n\nSome *text*.\n")
    write(in_tmp, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(in_tmp, "good.py", BAD)
    code, out, _ = check("README.md", "logo.png", "good.py")
    got = findings(out)
    assert code == 1
    assert ("good.py", "FL201", 3) in got
    assert [(p, c) for p, c, _ in got if p != "good.py"] == [("README.md", "FL001"), ("logo.png", "FL001")]


def test_a_file_deleted_after_discovery_is_fl001_and_the_run_goes_on(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastlint import runner

    write(in_tmp, "gone.py", BAD)
    write(in_tmp, "good.py", BAD)
    real = runner.discover

    def discover_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = real(*args, **kwargs)
        (in_tmp / "gone.py").unlink()
        return found

    monkeypatch.setattr(runner, "discover", discover_then_delete)
    code, out, _ = check(".")
    got = findings(out)
    assert code == 1 and ("good.py", "FL201", 3) in got
    gone = [d for d in json.loads(out)["diagnostics"] if d["path"] == "gone.py"]
    assert [(d["code"], d["message"]) for d in gone] == [("FL001", "cannot read the file: No such file or directory")]


def test_a_file_changed_after_discovery_is_linted_as_it_is_now(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastlint import runner

    write(in_tmp, "moving.py", "X = 1\n")
    real = runner.discover

    def discover_then_change(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = real(*args, **kwargs)
        write(in_tmp, "moving.py", BAD)
        return found

    monkeypatch.setattr(runner, "discover", discover_then_change)
    code, out, _ = check(".")
    assert (code, findings(out)) == (1, [("moving.py", "FL201", 3)])


def _without_permission_override() -> None:  # pragma: no cover - runs in the child before exec
    """As root, drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set: the program
    then runs as root, but file permissions bind it like any user."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _check_unreadable(folder: Path) -> tuple[int, list[tuple[str, str, int, str]], str]:
    """`fastlint check .` in a subprocess that permissions bind, twice: cold, then warm."""
    import subprocess
    import sys

    outs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "fastlint", "check", "--isolated", "--format", "json", "."],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_without_permission_override if os.geteuid() == 0 else None,
            env={k: v for k, v in os.environ.items() if k != "FASTLINT_NO_CACHE"},
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        payload = json.loads(done.stdout)
        outs.append((done.returncode, [(d["path"], d["code"], d["line"], d["message"]) for d in payload["diagnostics"]], done.stderr))
    assert outs[0] == outs[1]  # the warm run (cache) says the same: a read error is not cached as a pass
    return outs[0]


def test_an_unreadable_file_is_fl001_and_the_others_are_linted(in_tmp: Path) -> None:
    """A file without read permission: FL001 "cannot read the file: Permission denied"; a folder
    that cannot be listed: one error line; the other files are linted, cold and warm alike. As root
    (permissions do not bind it) the run drops the capabilities that override them."""
    write(in_tmp, "good.py", BAD)
    write(in_tmp, "secret.py", BAD)
    write(in_tmp, "sub/closed.py", BAD)
    (in_tmp / "secret.py").chmod(0)
    (in_tmp / "sub").chmod(0)
    try:
        code, got, err = _check_unreadable(in_tmp)
    except subprocess_error() as exc:  # pragma: no cover - a sandbox that forbids dropping capabilities
        pytest.skip(f"cannot drop the permission override here: {exc}")
    finally:
        (in_tmp / "sub").chmod(0o755)
        (in_tmp / "secret.py").chmod(0o644)
    # files left unchecked are not a pass: one error line for the folder, exit 2
    assert (code, err) == (2, "error: sub: cannot read directory: Permission denied\n")
    assert [(p, c, n) for p, c, n, _ in got] == [("good.py", "FL201", 3), ("secret.py", "FL001", 1)]
    assert got[1][3] == "cannot read the file: Permission denied"


def subprocess_error() -> type[BaseException]:
    import subprocess

    return subprocess.SubprocessError


@pytest.mark.parametrize("name", ["with space/my module.py", "données/café.py", "日本/モジュール.py"])
def test_spaces_and_non_ascii_names_in_json_and_sarif(in_tmp: Path, name: str) -> None:
    write(in_tmp, name, BAD)
    code, out, _ = check(".")
    assert (code, findings(out)) == (1, [(name, "FL201", 3)])
    code, out, _ = check(".", fmt="sarif")
    uri = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    from urllib.parse import unquote

    assert unquote(uri) == name


def test_a_pyproject_that_is_a_directory_is_one_error_line(in_tmp: Path) -> None:
    (in_tmp / "pyproject.toml").mkdir()
    write(in_tmp, "good.py", BAD)
    result = CliRunner().invoke(cli, ["check", "--format", "json", "."])
    assert result.exit_code == 2
    assert result.stderr == "error: pyproject.toml: is a directory, not a TOML file\n"


def test_an_empty_fastlint_table_is_the_defaults(in_tmp: Path) -> None:
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\n")
    write(in_tmp, "good.py", BAD)
    result = CliRunner().invoke(cli, ["check", "--format", "json", "."])
    assert (result.exit_code, findings(result.stdout)) == (1, [("good.py", "FL201", 3)])
