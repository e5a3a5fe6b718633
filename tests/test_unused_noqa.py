"""FL002 unused-noqa: directives that silence nothing, with `--warn-unused-ignores` or FL002
selected; never by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.cli import cli
from fastlint.registry import default_registry
from fastlint.suppression import Silenced, UnusedCheck, parse_suppressions, unused_diagnostics
from tests.conftest import write

HEAD = "from sqlalchemy.orm import Session\nfrom fastapi import FastAPI\napp = FastAPI()\n"
TAIL = "\n@app.get('/')\ndef r():\n    return s.get(1)\n"
FIRST = HEAD.count("\n") + 1  # the line of the body's first statement


def run(root: Path, body: str, *args: str) -> list[str]:
    write(root, "m.py", HEAD + body + TAIL)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--format", "concise", "--quiet", *args, "m.py"], catch_exceptions=False)
    return result.output.splitlines()


def unused(root: Path, body: str, *args: str) -> list[tuple[int, str]]:
    """(line relative to the body, message) of each FL002 finding."""
    out = []
    for line in run(root, body, "--warn-unused-ignores", *args):
        match = re.match(r"m\.py:(\d+):\d+: FL002 (.*)", line)
        if match:
            out.append((int(match.group(1)) - FIRST + 1, match.group(2)))
    return out


def test_off_by_default(in_tmp: Path) -> None:
    assert run(in_tmp, "s = Session()\nx = 1  # noqa: FL101\n") == ["m.py:4:5: FL101 `Session()` creates a session at module level that every request shares"]


@pytest.mark.parametrize(
    "body",
    [
        "s = Session()  # noqa: FL101\n",
        "s = Session()  # noqa: FL1\n",
        "s = Session()  # noqa: FL101, E501\n",
        "s = Session()  # fastlint: ignore[FL101] -- a script\n",
        "# noqa: FL101\ns = Session()\n",
        "s = Session(\n    bind=None,\n)  # noqa: FL101\n",
        "x = 1  # noqa: E501\ns = Session()  # noqa\n",
        "x = 1  # noqa\ns = Session()  # noqa\n",
        "x = 1  # noqa: FL207\ns = Session()  # noqa\n",
        "x = 1  # noqa: FL002, FL101\ns = Session()  # noqa\n",
    ],
    ids=["code", "prefix", "with-another-tools-code", "fastlint-ignore", "line-above", "last-line", "other-tool", "bare", "rule-off", "names-fl002"],
)
def test_directives_in_use_or_not_fastlints_business(in_tmp: Path, body: str) -> None:
    assert unused(in_tmp, body) == []


def test_unused_codes_are_reported_at_the_directive(in_tmp: Path) -> None:
    body = "s = Session()  # noqa: FL101\nx = 1  # noqa: FL101\ny = 2  # noqa: FL201, E501\nz = 3  # fastlint: ignore[FL1O1]\nt = 4  # noqa: FL999\n"
    assert unused(in_tmp, body) == [
        (2, "Unused suppression `# noqa: FL101` (unused: `FL101`)"),
        (3, "Unused suppression `# noqa: FL201, E501` (unused: `FL201`)"),
        (4, "Unused suppression `# fastlint: ignore[FL1O1]` (unknown: `FL1O1`)"),
        (5, "Unused suppression `# noqa: FL999` (unknown: `FL999`)"),
    ]
    lines = run(in_tmp, "s = Session()\nx = 1  # noqa: FL101, E501\n", "--warn-unused-ignores")
    assert lines[-1] == "m.py:5:8: FL002 Unused suppression `# noqa: FL101, E501` (unused: `FL101`)", "at the `#`"


@pytest.mark.parametrize("directive", ["# noqa: FL1O1", "# fastlint: ignore[FL1O1]", "# fastlint: ignore[FL1O1, E5]"])
def test_a_mistyped_code_silences_nothing(in_tmp: Path, directive: str) -> None:
    """`FL1O1` is one unknown code, not the prefix `FL1` followed by noise."""
    lines = run(in_tmp, f"s = Session()  {directive}\n", "--warn-unused-ignores")
    assert [line.split(" ")[1] for line in lines] == ["FL101", "FL002"], lines
    assert "unknown: `FL1O1`" in lines[1]


def test_partly_used_directive_names_the_unused_codes(in_tmp: Path) -> None:
    write(in_tmp, "m.py", HEAD + "s = Session()  # noqa: FL101, FL203\n" + TAIL)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--warn-unused-ignores", "m.py"], catch_exceptions=False)
    assert "Unused suppression `# noqa: FL101, FL203` (unused: `FL203`)" in result.output
    assert "hint: Remove `FL203` from the comment" in result.output
    assert result.exit_code == 1


def test_only_rules_that_ran_count(in_tmp: Path) -> None:
    body = "s = Session()\nx = 1  # noqa: FL101\ny = 2  # noqa: FL201\n"
    assert [line for line, _ in unused(in_tmp, body, "--select", "FL2")] == [3]
    assert [line for line, _ in unused(in_tmp, body, "--ignore", "FL101")] == [3]
    assert [line for line, _ in unused(in_tmp, body)] == [2, 3]


def test_file_level_directive(in_tmp: Path) -> None:
    write(in_tmp, "m.py", "# fastlint: ignore-file[FL4, FL2, FL101]\n" + HEAD + "s = Session()\n" + TAIL)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--format", "concise", "--warn-unused-ignores", "m.py"], catch_exceptions=False)
    # FL2 names FL207, which is off by default: it cannot be judged
    assert result.output.splitlines()[0] == "m.py:1:1: FL002 Unused suppression `# fastlint: ignore-file[FL4, FL2, FL101]` (unused: `FL4`)"


def test_selected_in_the_configuration_and_bare_noqa_option(in_tmp: Path) -> None:
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\nextend-select = ['FL002']\n[tool.fastlint.options.FL002]\nbare-noqa = true\n")
    write(in_tmp, "m.py", HEAD + "s = Session()  # noqa\nx = 1  # noqa\ny = 2  # noqa: E501\n" + TAIL)
    # the whole project: a run over some files leaves a bare `# noqa` alone when a finding of the
    # file waits on other files
    result = CliRunner().invoke(cli, ["check", "--format", "concise", "--quiet"], catch_exceptions=False)
    assert result.output.splitlines() == ["m.py:5:8: FL002 Unused blanket `# noqa`: fastlint reports nothing here"]
    write(in_tmp, "pyproject.toml", "[tool.fastlint.options.FL002]\nbare-nqa = true\n")
    result = CliRunner().invoke(cli, ["check", "m.py"], catch_exceptions=False)
    assert result.exit_code == 2 and "unknown option 'bare-nqa' (did you mean 'bare-noqa'?)" in result.output


def test_fl002_is_silenced_only_by_naming_it(in_tmp: Path) -> None:
    assert unused(in_tmp, "x = 1  # noqa: FL101, FL002\n") == []
    write(in_tmp, "pyproject.toml", "[tool.fastlint.per-file-ignores]\n'm.py' = ['FL002']\n")
    write(in_tmp, "m.py", HEAD + "x = 1  # noqa: FL101\n" + TAIL)
    result = CliRunner().invoke(cli, ["check", "--warn-unused-ignores", "m.py"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_findings_confirmed_by_another_file(in_tmp: Path) -> None:
    """A finding that needs another module's facts uses its directive in a full run; a run over
    the one file cannot tell, and leaves the directive alone."""
    write(in_tmp, "app/__init__.py", "")
    write(in_tmp, "app/db.py", "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n")
    write(
        in_tmp,
        "app/routes.py",
        "from fastapi import FastAPI\nfrom app.db import SessionLocal\n\napp = FastAPI()\n\n\n@app.get('/')\ndef r():\n"
        "    db = SessionLocal()  # noqa: FL102\n    return db.get(1)\n",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["check", "--isolated", "--warn-unused-ignores"]).exit_code == 0
    assert runner.invoke(cli, ["check", "--isolated", "--warn-unused-ignores", "app/routes.py"]).exit_code == 0
    assert runner.invoke(cli, ["check", "--isolated", "--warn-unused-ignores", "--project-context", "app/routes.py"]).exit_code == 0
    write(in_tmp, "app/db.py", "SessionLocal = dict\n")
    result = runner.invoke(cli, ["check", "--isolated", "--format", "concise", "--warn-unused-ignores"])
    assert result.output.startswith("app/routes.py:9:26: FL002 Unused suppression `# noqa: FL102`"), result.output


def test_docstring_example_fires_and_use_instead_does_not() -> None:
    rule = default_registry().get("FL002")
    assert rule is not None and not rule.default_enabled
    doc = rule.documentation()
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    check = UnusedCheck(frozenset(default_registry().codes), tuple(default_registry().codes))
    example, use_instead = blocks[0], blocks[1]
    assert [d.code for d in unused_diagnostics("x.py", parse_suppressions(example), [], check)] == ["FL002"]
    assert unused_diagnostics("x.py", parse_suppressions(use_instead), [], check) == []


def test_unused_diagnostics_unit() -> None:
    check = UnusedCheck(frozenset({"FL101", "FL102", "FL201"}), ("FL001", "FL002", "FL003", "FL101", "FL102", "FL201", "FL207"), frozenset({"FL150"}))
    text = "a = 1  # noqa: FL1\nb = 2  # noqa: FL2\nc = 3  # noqa: FL150\n# noqa: FL201\nd = 4\n"
    found = unused_diagnostics("x.py", parse_suppressions(text), [Silenced("FL101", 1, 1), Silenced("FL201", 5, 5)], check)
    assert [(d.location.line, d.message) for d in found] == [(3, "Unused suppression `# noqa: FL150` (removed: `FL150`)")]
    # FL207 did not run: FL2 cannot be judged; undecided findings leave their codes alone
    assert unused_diagnostics("x.py", parse_suppressions("a = 1  # noqa: FL102\n"), [], check, undecided={"FL102"}) == []
