"""The progress bar: only on an interactive terminal, only for runs that take a while."""

from __future__ import annotations

import io

import pytest

from fastlint.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_on_a_terminal_shows_files_done_and_erases_the_line() -> None:
    stream = Tty()
    bar = Progress(stream, delay=0.0)
    bar.start(10, done=2)
    bar.advance(3)
    assert "5/10 files" in stream.getvalue()
    bar.finish()
    assert stream.getvalue().endswith("\r\033[K")


def test_a_short_run_prints_nothing() -> None:
    stream = Tty()
    bar = Progress(stream, delay=60.0)
    bar.start(10)
    bar.advance(10)
    bar.finish()
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("tty", "env", "quiet", "wanted"),
    [(True, {}, False, True), (False, {}, False, False), (True, {"CI": "true"}, False, False), (True, {"TERM": "dumb"}, False, False), (True, {}, True, False)],
)
def test_wanted_only_on_an_interactive_terminal(tty: bool, env: dict[str, str], quiet: bool, wanted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert Progress.wanted(quiet, Tty() if tty else io.StringIO()) is wanted


def test_the_cli_prints_no_bar_into_a_pipe(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    for n in range(40):
        (tmp_path / f"m{n}.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "fastlint", "check", "--isolated", "--exit-zero", "."], cwd=tmp_path, capture_output=True, text=True)
    assert "files" not in proc.stderr and "\r" not in proc.stderr
