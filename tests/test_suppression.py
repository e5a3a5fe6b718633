from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.cli import cli
from fastlint.suppression import parse_suppressions
from tests.conftest import write

HEAD = "from sqlalchemy.orm import Session\nfrom fastapi import FastAPI\napp = FastAPI()\n"
TAIL = "\n@app.get('/')\ndef r():\n    return s.get(1)\n"


def findings(root: Path, body: str) -> list[str]:
    write(root, "m.py", HEAD + body + TAIL)
    result = CliRunner().invoke(cli, ["check", "--format", "concise", "--quiet", "m.py"], catch_exceptions=False)
    return result.output.splitlines()


@pytest.mark.parametrize(
    "body",
    [
        "s = Session()  # noqa: FL101\n",
        "s = Session()  # noqa:FL101,FL102\n",
        "s = Session()  # NOQA\n",
        "s = Session()  # noqa: FL1\n",
        "s = Session()  # fastlint: ignore[FL101] -- a script\n",
        "# fastlint: ignore[FL101]\ns = Session()\n",
        "# noqa: FL101\ns = Session()\n",
        "s = Session(\n    bind=None,\n)  # noqa: FL101\n",
    ],
)
def test_directives_that_silence(in_tmp: Path, body: str) -> None:
    assert findings(in_tmp, body) == []


@pytest.mark.parametrize(
    "body",
    [
        "s = Session()  # noqa: E501\n",
        "s = Session()  # fastlint: ignore[FL102]\n",
        "s = Session()  # fastlint: ignore\n",
        "x = '# noqa'; s = Session()\n",
        "# fastlint: ignore[FL101]\n\ns = Session()\n",
        "t = 1  # noqa: FL101\ns = Session()\n",
    ],
)
def test_directives_that_do_not(in_tmp: Path, body: str) -> None:
    assert len(findings(in_tmp, body)) == 1


def test_file_level_directive_in_the_header_only(in_tmp: Path) -> None:
    write(in_tmp, "a.py", '"""Doc."""\n# fastlint: ignore-file[FL1]\n' + HEAD + "s = Session()\n" + TAIL)
    write(in_tmp, "b.py", HEAD + "# fastlint: ignore-file[FL1]\ns2 = 1\ns = Session()\n" + TAIL)
    result = CliRunner().invoke(cli, ["check", "--format", "concise", "--quiet"], catch_exceptions=False)
    assert [line.split(":")[0] for line in result.output.splitlines()] == ["b.py"]


def test_parser_survives_broken_tokens() -> None:
    result = parse_suppressions("x = '''unterminated  # noqa\n")
    assert result.lines == {}
