"""Configuration that cannot be used: exit 2 and one line naming the file and the key (the cases
tests/test_cli.py does not already cover)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.cli import cli
from tests.conftest import write


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (b"[tool.fastlint]\nrespect-gitignore = ['yes']\n", "'tool.fastlint.respect-gitignore'"),
        (b"[tool.fastlint]\ncall-depth = 'deep'\n", "'tool.fastlint.call-depth'"),
        (b"[tool.fastlint]\nextend-exclude = 'build'\n", "'tool.fastlint.extend-exclude' must be a list of strings"),
        (b"[tool.fastlint.per-file-ignores]\n'x.py' = ['FL99X']\n", "'FL99X'"),
        (b"[tool.fastlint.options.FL205]\nmax-page-size = 'big'\n", "max-page-size"),
        (b"[tool.fastlint.options.FL205]\nmax_page_sise = 10\n", "max_page_sise"),
        (b"[tool.fastlint]\nselect = ['FL1']\n\xff\xfe = 1\n", "pyproject.toml"),
        (b"[tool.fastlint]\nselect = ['FL1']\nselect = ['FL2']\n", "invalid TOML"),
        (b"[tool]\nfastlint = 3\n", "pyproject.toml"),
    ],
)
def test_unusable_configuration_is_one_line_and_exit_2(in_tmp: Path, toml: bytes, message: str) -> None:
    write(in_tmp, "pyproject.toml", toml)
    write(in_tmp, "m.py", "X = 1\n")
    result = CliRunner().invoke(cli, ["check", "."])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output
    assert message in lines[0]
