"""Hostile source files through `fastlint check` in-process: exact FL001s, no tracebacks, bounded time."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.cli import cli
from tests.conftest import write

ARGS = ["check", "--isolated", "--extend-select", "ALL", "--format", "json", "--exit-zero"]


def run(*extra: str) -> tuple[int, list[tuple[str, str, int, int, str]]]:
    result = CliRunner().invoke(cli, [*ARGS, *extra])
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2)
    payload = json.loads(result.stdout)
    return result.exit_code, [(d["path"], d["code"], d["line"], d["column"], d["message"]) for d in payload["diagnostics"]]


def cpython_error(data: bytes) -> tuple[str, int, int]:
    try:
        compile(data, "f", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1
    raise AssertionError("CPython accepts this")


SYNTAX_ERRORS = {
    "python2_print": b'print "x"\n',
    "unterminated_string": b'x = "abc\n',
    "unterminated_triple": b'x = 1\ny = """abc\n\nz\n',
    "unexpected_indent": b"def f():\n    x = 1\n      y = 2\n",
    "bad_dedent": b"def f():\n    x = 1\n  y = 2\n",
    "unclosed_bracket": b"x = (1, 2\ny = 3\n",
    "unmatched_closer": b"x = 1)\n",
    "cut_mid_statement": b"def f(a, b):\n    return a +",
}


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_syntax_errors_are_fl001_where_cpython_says(in_tmp: Path, name: str) -> None:
    data = SYNTAX_ERRORS[name]
    write(in_tmp, "bad.py", data)
    write(in_tmp, "good.py", "import os\n")
    message, line, column = cpython_error(data)
    code, diags = run("bad.py", "good.py")
    assert code == 0
    assert diags == [("bad.py", "FL001", line, column, message)]


def test_expected_cpython_positions_are_the_documented_ones() -> None:
    # pin a few so that a change in CPython's reporting shows up here, not as a silent drift
    assert cpython_error(SYNTAX_ERRORS["python2_print"])[1:] == (1, 1)
    assert cpython_error(SYNTAX_ERRORS["unterminated_triple"])[1:] == (2, 5)
    assert cpython_error(SYNTAX_ERRORS["cut_mid_statement"])[1:] == (2, 15)


CLEAN = {
    "latin1_cookie": "# -*- coding: latin-1 -*-\ns = 'caf\xe9 \xfc'\n".encode("latin-1"),
    "cp1252_cookie": "# coding: cp1252\ns = '\u20ac \u2019'\n".encode("cp1252"),
    "utf8_bom": b"\xef\xbb\xbfx = '\xc3\xa9'\n",
    "crlf": b"def f():\r\n    return 1\r\n",
    "cr_only": b"def f():\r    return 1\r",
    "mixed_endings": b"def f():\r\n    x = 1\r    return x\n",
    "tabs": b"def f(x):\n\tif x:\n\t\treturn 1\n",
    "empty": b"",
    "match": b"match x:\n    case [1, *rest]:\n        pass\n    case {'a': b}:\n        pass\n    case _:\n        pass\n",
    "walrus": b"if (n := 10) > 5:\n    print(n)\n",
    "decorators": b"@(lambda f: f)\ndef g():\n    pass\n\n\n@a[0].b(c)\ndef h():\n    pass\n",
    # Python 3.12 syntax: LibCST parses it on every Python, so it lints cleanly even on 3.10/3.11
    # (where CPython itself would refuse it); on 3.12+ CPython accepts it too.
    "pep695_type_alias": b"type X = int\n",
    "pep695_generic_def": b"def f[T](x: T) -> T:\n    return x\n",
    "pep701_fstring_same_quotes": b'x = {"a": 1}\ny = f"{x["a"]}"\n',
}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_valid_files_lint_cleanly(in_tmp: Path, name: str) -> None:
    write(in_tmp, "m.py", CLEAN[name])
    assert run("m.py") == (0, [])


@pytest.mark.parametrize(
    ("data", "message", "line", "column"),
    [
        (b"x = 1\ny = '\xc3\x28'\n", "cannot decode the file as utf-8: invalid continuation byte", 2, 6),
        (b"x = 1\n\x00\n", "source contains a NUL byte (is this a binary file?)", 2, 1),
        (b"# coding: latin-1\nx = 1\0\n", "source contains a NUL byte (is this a binary file?)", 2, 6),
    ],
)
def test_undecodable_files_are_fl001_and_others_still_lint(in_tmp: Path, data: bytes, message: str, line: int, column: int) -> None:
    write(in_tmp, "bad.py", data)
    write(in_tmp, "other.py", b"x = (\n")
    code, diags = run("bad.py", "other.py")
    assert code == 0
    assert diags[0] == ("bad.py", "FL001", line, column, message)
    assert [d[:2] for d in diags[1:]] == [("other.py", "FL001")]


DEEP = {
    # (source, CPython-derived FL001 message or None for a clean result)
    "100k_parens": ("x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n", "syntax error: too many nested parentheses"),
    "3000_deep_list": ("x = " + "[" * 3000 + "]" * 3000 + "\n", "syntax error: too many nested parentheses"),
    "5000_part_attribute": ("x = a" + ".b" * 5000 + "\n", "syntax error: the file is nested too deeply to parse"),
    "2000_deep_if": ("".join("    " * i + "if x:\n" for i in range(2000)) + "    " * 2000 + "pass\n", "syntax error: too many levels of indentation"),
    "100k_unary_minus": ("x = " + "-" * 100_000 + "1\n", "syntax error: the file is nested too deeply to parse"),
    "100k_binary_chain": ("x = " + "a + " * 100_000 + "1\n", "syntax error: the file is nested too deeply to parse"),
    "multiline_brackets": ("x = " + "(\n" * 3000 + "1" + ")" * 3000 + "\n", "syntax error: too many nested parentheses"),
    # deep nesting over short lines: no long line, no run of brackets (crashed or hung LibCST)
    "20k_elif_chain": ("x = 0\nif x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 20_000)), "syntax error: the file is nested too deeply to parse"),
    "20k_not_per_line": ("y = (\n" + "not\n" * 20_000 + "x)\n", "syntax error: the file is nested too deeply to parse"),
    "20k_ternary_per_line": ("y = (\n" + "a if b else\n" * 20_000 + "c)\n", "syntax error: the file is nested too deeply to parse"),
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_nesting_is_fl001_never_a_crash(in_tmp: Path, name: str) -> None:
    # before the fix LibCST's native parser overflowed the C stack here: a segfault of the process
    text, message = DEEP[name]
    write(in_tmp, "deep.py", text)
    started = time.perf_counter()
    code, diags = run("deep.py")
    assert time.perf_counter() - started < 10
    assert code == 0
    assert [(d[1], d[4]) for d in diags] == [("FL001", message)]


def test_a_long_function_and_a_long_line(in_tmp: Path) -> None:
    write(in_tmp, "long.py", "def f():\n" + "".join(f"    x{i} = {i}\n" for i in range(20_000)) + "    return x0\n")
    write(in_tmp, "line.py", "x = '" + "a" * 1_000_000 + "'\ny = (\n")  # a 1 MB line, then an error on line 2
    started = time.perf_counter()
    code, diags = run("long.py", "line.py")
    assert time.perf_counter() - started < 15
    assert code == 0
    assert [(d[0], d[1], d[2]) for d in diags] == [("line.py", "FL001", 2)]


def test_a_10_mb_file_in_bounded_time(in_tmp: Path) -> None:
    # ~10 MB: 1,000 small functions, the rest comment lines (parsing 10 MB of code alone takes
    # over a minute here, too slow for the suite); one syntax error at the end pins the line count
    body = "".join(f"def f{i}(a, b):\n    return a + b * {i}\n\n\n" for i in range(1000))
    filler = ("# " + "x" * 97 + "\n") * 100_000
    tail = "x = (\n"
    text = body + filler + tail
    assert len(text) > 10_000_000
    write(in_tmp, "big.py", text)
    started = time.perf_counter()
    code, diags = run("big.py")
    assert time.perf_counter() - started < 30
    line = text.count("\n")
    assert code == 0
    assert [(d[1], d[2], d[3], d[4]) for d in diags] == [("FL001", line, 5, "syntax error: '(' was never closed")]


def test_the_pool_with_hostile_files(in_tmp: Path) -> None:
    names = sorted(SYNTAX_ERRORS)
    for i in range(24):
        write(in_tmp, f"pkg/ok{i:02}.py", f"x{i} = {i}\n")
    for name in names:
        write(in_tmp, f"pkg/{name}.py", SYNTAX_ERRORS[name])
    write(in_tmp, "pkg/deep.py", DEEP["100k_parens"][0])
    write(in_tmp, "pkg/nul.py", b"\0")
    code, diags = run("--jobs", "2", "pkg")
    assert code == 0
    expected = {f"pkg/{n}.py": cpython_error(SYNTAX_ERRORS[n]) for n in names}
    expected["pkg/deep.py"] = ("syntax error: too many nested parentheses", 1, 205)
    expected["pkg/nul.py"] = ("source contains a NUL byte (is this a binary file?)", 1, 1)
    assert {d[0]: (d[4], d[2], d[3]) for d in diags} == expected
    assert all(d[1] == "FL001" for d in diags) and len(diags) == len(expected)


def test_pool_exit_code_without_exit_zero(in_tmp: Path) -> None:
    for i in range(21):
        write(in_tmp, f"m{i:02}.py", "x = 1\n" if i else "x = (\n")
    result = CliRunner().invoke(cli, ["check", "--isolated", "--jobs", "2", "--format", "concise", "-q", "."])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == ["m00.py:1:5: FL001 syntax error: '(' was never closed"]
    assert "Traceback" not in result.output


def test_running_python_version_note() -> None:
    # the PEP 695/701 cases above are asserted clean on whatever Python runs the suite
    assert sys.version_info >= (3, 10)


def test_new_syntax_with_a_long_line_is_judged_by_libcst(in_tmp: Path) -> None:
    """A long line sends the file through CPython's parser first (LibCST's native parser would
    overflow its stack on deep nesting); an error that is not about nesting, such as 3.12 syntax
    on an older Python, is left to LibCST, which parses it."""
    write(in_tmp, "new.py", "type Vector = list[float]\n\nCOMMENTED = 1  # " + "x" * 2100 + "\n")
    code, findings = run()
    assert (code, findings) == (0, [])


CHAIN_SCRIPT = r"""
import sys, threading
from fastlint.api import lint_source

def module(n, op):
    terms = f" {op} ".join(f"a{i % 7}" for i in range(n))
    return f"from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/')\nasync def ok(a0, a1, a2, a3, a4, a5, a6):\n    return {terms}\n"

def codes(source):
    return [(d.code, d.location.line) for d in lint_source(source, "app.py", select="ALL")]

out = {}
# a 20,000-term chain needs about 22 MB of C stack in LibCST's parser: more than a default
# 8 MB main thread (before: a segfault of the process)
out["and"] = codes(module(20_000, "and"))
out["or"] = codes(module(20_000, "or"))
out["too_long"] = [(d.code, d.location.line, d.message) for d in lint_source(module(100_001, "or"), "app.py", select="ALL")]
# a caller on a thread with a small stack (editors, language servers; musl gives 128 KB)
threading.stack_size(512 * 1024)
thread = threading.Thread(target=lambda: out.update(thread=codes(module(3_000, "and"))))
thread.start()
thread.join()
print(repr(out))
"""


def test_long_and_or_chains_parse_on_any_stack() -> None:
    """LibCST's parser recurses once per term of an `and`/`or` chain (CPython's does not): the
    parse runs on a thread with a stack of its own, and chains beyond MAX_BOOL_CHAIN terms are
    FL001 at the chain's line. In a subprocess: a regression here is a segfault."""
    import subprocess

    from fastlint.engine import MAX_BOOL_CHAIN

    done = subprocess.run([sys.executable, "-c", CHAIN_SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    out = eval(done.stdout)  # noqa: S307 - our own repr of plain tuples
    assert out["and"] == out["or"] == out["thread"] == []
    message = f"an `and`/`or` chain of 100,001 terms is longer than fastlint's parser takes ({MAX_BOOL_CHAIN:,})"
    assert out["too_long"] == [("FL001", 8, message)]
