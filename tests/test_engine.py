"""One file through the engine: decoding, parse errors, fault isolation, positions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import libcst as cst
import pytest
from click.testing import CliRunner
from libcst.metadata import MetadataWrapper, PositionProvider

from fastlint.cli import cli
from fastlint.engine import FileJob, RuleSetup, decode_source, SourceError, lint_source
from fastlint.positions import positions_of
from fastlint.rule import Rule
from fastlint.rules.sessions.global_db_session import GlobalDbSession
from tests.conftest import write
from tests.harness import FIXTURES, ROOT

SCHEMA = json.loads((ROOT / "tests" / "contracts" / "json-output-v1.schema.json").read_text())
JOB = FileJob(path="m.py", display_path="m.py", relpath="m.py", module_name="m", is_package=False)


def check_json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["check", "--format", "json", *args], catch_exceptions=False)
    payload = json.loads(result.output)
    jsonschema.validate(payload, SCHEMA)
    return result.exit_code, payload


def test_acceptance_tree_with_bad_files(in_tmp: Path) -> None:
    """A syntax error and a binary .py give FL001; a latin-1 file and an empty one give nothing."""
    write(in_tmp, "broken.py", "def f(:\n    pass\n")
    write(in_tmp, "binary.py", bytes(range(256)) * 4)
    write(in_tmp, "latin.py", "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    write(in_tmp, "empty.py", b"")
    code, payload = check_json(".")
    assert code == 1
    found = [(d["path"], d["code"], d["line"]) for d in payload["diagnostics"]]
    assert found == [("binary.py", "FL001", 1), ("broken.py", "FL001", 1)]
    assert payload["summary"] == {"files": 4, "diagnostics": 2}


def test_sample_project_json_matches_the_contract(in_tmp: Path) -> None:
    import os

    os.chdir(FIXTURES / "projects" / "sample_app")
    code, payload = check_json("--isolated")
    assert code == 1
    assert [(d["path"], d["code"]) for d in payload["diagnostics"]] == [
        ("app/database.py", "FL101"),
        ("app/database.py", "FL103"),
        ("app/main.py", "FL106"),
        ("app/reports.py", "FL104"),
        ("app/routers/users.py", "FL105"),
        ("app/routers/users.py", "FL102"),
    ]
    create_all = payload["diagnostics"][2]
    assert create_all == {
        "code": "FL106",
        "name": "create-all-at-runtime",
        "message": "`Base.metadata.create_all()` creates tables from application code",
        "fix_hint": "Manage the schema with Alembic migrations (`alembic revision --autogenerate`, `alembic upgrade head`)",
        "severity": "error",
        "path": "app/main.py",
        "line": 6,
        "column": 1,
        "end_line": 6,
        "end_column": 25,
        "fixable": False,
    }
    keys = [(d["path"], d["line"], d["column"], d["code"]) for d in payload["diagnostics"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("data", "message", "line", "column"),
    [
        (b"x = 1\n\xff\xfe = 2\n", "cannot decode the file as utf-8", 2, 1),
        (b"x = 1\ny = '\x00'\n", "NUL byte", 2, 6),
        (bytes(range(256)), "NUL byte", 1, 1),
        (b"# -*- coding: klingon -*-\nx = 1\n", "cannot decode the file", 1, 1),
    ],
)
def test_undecodable_sources(data: bytes, message: str, line: int, column: int) -> None:
    with pytest.raises(SourceError) as info:
        decode_source(data)
    assert message in info.value.message
    assert (info.value.line, info.value.column) == (line, column)


def test_bom_crlf_and_cookie_decode() -> None:
    assert decode_source(b"\xef\xbb\xbfx = 1\r\n") == "x = 1\r\n"
    assert decode_source("# coding: cp1252\ns = '\u20ac'\n".encode("cp1252")) == "# coding: cp1252\ns = '\u20ac'\n"


def test_syntax_error_position() -> None:
    result = lint_source("x = 1\nif True\n    y = 2\n", JOB, [])
    assert [(d.code, d.location.line, d.location.column) for d in result.diagnostics] == [("FL001", 2, 8)]
    assert result.diagnostics[0].message == "syntax error: expected ':'"
    assert not result.parsed


class Exploding(Rule):
    """A rule that fails on every call, to test fault isolation.

    ## Why is this bad?
    It is a test double.

    ## Example
    ```python
    f()
    ```

    ## Use instead
    ```python
    pass
    ```

    ## References
    - https://example.invalid
    """

    code = "FL199"
    name = "exploding"
    message = "boom"
    fix_hint = "none"

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("kaboom")


def test_a_failing_rule_is_isolated() -> None:
    source = "from sqlalchemy.orm import Session\nfrom fastapi import FastAPI\napp = FastAPI()\ns = Session()\n@app.get('/')\ndef r():\n    return s.get(1)\n"
    setups = [RuleSetup(Exploding, Exploding.Options()), RuleSetup(GlobalDbSession, GlobalDbSession.Options())]
    result = lint_source(source, JOB, setups)
    codes = sorted(d.code for d in result.diagnostics)
    assert codes == ["FL003", "FL101"]
    internal = next(d for d in result.diagnostics if d.code == "FL003")
    assert "FL199 (exploding)" in internal.message and "kaboom" in internal.message
    assert result.internal_error


def test_columns_count_characters_not_bytes() -> None:
    source = "from sqlalchemy.orm import Session\nfrom fastapi import FastAPI\napp = FastAPI()\nnom = 'é'; s = Session()\n@app.get('/')\ndef r():\n    return s.get(1)\n"
    result = lint_source(source, JOB, [RuleSetup(GlobalDbSession, GlobalDbSession.Options())])
    (d,) = result.diagnostics
    assert (d.location.line, d.location.column, d.location.end_column) == (4, 16, 25)


def _all_fixture_modules() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("path", _all_fixture_modules()[:40], ids=lambda p: p.name)
def test_targeted_positions_equal_position_provider(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = list(expected.keys())
    got = positions_of(module, nodes)
    for node in nodes:
        r = expected[node]
        assert got[id(node)] == ((r.start.line, r.start.column), (r.end.line, r.end.column)), type(node).__name__


@pytest.mark.parametrize("path", _all_fixture_modules(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_positions_by_statement_equal_position_provider(path: Path) -> None:
    """Positions computed from the top-level statements that hold the nodes (the fast path) are
    the ones PositionProvider gives, for every node the walk enters, in every fixture file."""
    from fastlint.engine import walk
    from fastlint.positions import _by_statement

    text = path.read_text(encoding="utf-8")
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    order: list[cst.CSTNode] = []
    walk(module, {}, {}, order)
    nodes = [n for n in order if n is not module]
    if not nodes:
        return
    got = _by_statement(module, {id(n) for n in nodes}, text, order)
    assert got is not None, "the fast path gave up on a plain file"
    for node in nodes:
        r = expected[node]
        assert got[id(node)] == ((r.start.line, r.start.column), (r.end.line, r.end.column)), type(node).__name__


@pytest.mark.parametrize(
    "text",
    [
        "import os\r\n\r\n# c\r\n@dec\r\ndef f():\r\n    return os.getcwd()\r\n",
        "x = 1; y = (\n  2)\n\n\nclass A:\n    z = 3",  # no trailing newline
        "x = 1\ry = 2\r",  # CR line endings
        "s = '''\u2028'''\nt = 1\n",  # a line separator CPython does not count as a line end
        "@(lambda f: f)\n# between\n@d\nclass C: pass\n",
        "if True:\n    a = 1\nelse:\n    a = 2\nb = a\n",
        "type X = int\ny: X = 1\n",  # CPython < 3.12 rejects it: the whole module is generated
    ],
)
def test_positions_fast_path_or_fallback_agree_on_odd_layouts(text: str) -> None:
    from fastlint.engine import walk

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        pytest.skip("LibCST rejects it too")
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    order: list[cst.CSTNode] = []
    walk(module, {}, {}, order)
    nodes = [n for n in order if n is not module]
    got = positions_of(module, nodes, text, order)
    for node in nodes:
        r = expected[node]
        assert got[id(node)] == ((r.start.line, r.start.column), (r.end.line, r.end.column)), type(node).__name__


@pytest.mark.parametrize("path", _all_fixture_modules()[:20], ids=lambda p: p.name)
def test_ordinals_of_the_lint_walk_and_the_placing_walk_agree(path: Path) -> None:
    """Pending findings name nodes by walk order; the walk that places them must see the same order."""
    from fastlint.engine import _ordered_nodes, walk

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    order: list[cst.CSTNode] = []
    walk(module, {}, {}, order)
    again = list(_ordered_nodes(cst.parse_module(path.read_text(encoding="utf-8"))))
    assert [type(n).__name__ for n in order] == [type(n).__name__ for n in again]
    assert len(order) >= len(module.body) + 1


def test_an_unexpected_failure_becomes_fl003_for_that_file(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fastlint import engine

    path = write(tmp_path, "m.py", "x = 1\n")
    monkeypatch.setattr(engine, "parse_source", lambda text: (_ for _ in ()).throw(RecursionError("deep")))
    job = FileJob(path=str(path), display_path="m.py", relpath="m.py", module_name="m", is_package=False)
    result = engine.lint_file(job, [])
    assert [d.code for d in result.diagnostics] == ["FL003"]
    assert "RecursionError: deep" in result.diagnostics[0].message
    assert result.internal_error


def test_sqlglot_is_not_loaded_for_files_without_sql(tmp_path: Path) -> None:
    """sqlglot runs only on strings that reach a sink and look like SQL."""
    import subprocess
    import sys

    write(tmp_path, "app.py", "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/')\ndef r(q: str):\n    return {'q': q.execute}\n")
    write(tmp_path, "calls.py", "def f(cur):\n    cur.execute('not sql at all')\n    return cur.fetch_all('ls -la')\n")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from fastlint.cli import cli\n"
        f"CliRunner().invoke(cli, ['check', '--isolated', '--jobs', '1', {str(tmp_path)!r}])\n"
        "print('sqlglot' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("path", _all_fixture_modules(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fast_children_are_libcst_children(path: Path) -> None:
    """`chains.children` (learned field orders) gives exactly `node.children`, for every node."""
    from fastlint.analysis.chains import children

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        exact = list(node.children)
        assert [id(c) for c in children(node)] == [id(c) for c in exact], type(node).__name__
        assert [id(c) for c in children(node)] == [id(c) for c in exact], type(node).__name__  # learned path
        stack.extend(exact)
