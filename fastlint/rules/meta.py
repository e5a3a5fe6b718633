"""Codes fastlint itself emits: FL001 (the file cannot be read as Python), FL002 (a suppression
that silences nothing) and FL003 (internal error)."""

from __future__ import annotations

from dataclasses import dataclass

from fastlint.diagnostics import Severity
from fastlint.rule import MetaRule


class SyntaxError_(MetaRule):
    """The file cannot be read as Python: it does not decode or does not parse.

    ## Why is this bad?
    A file fastlint cannot parse is a file it cannot check: every other rule is silent on it. The
    interpreter would refuse it too (or the file is not Python at all, such as a binary file with a
    `.py` name). fastlint reports the first error at its position, with the interpreter's message,
    and goes on with the other files. Rarely, valid Python is beyond the limits of LibCST, the
    parser fastlint uses (an `and`/`or` chain of more than 100,000 terms, thousands of adjacent
    string literals): the message then says that Python accepts the file.

    ## Example
    ```python
    def broken(:
        pass
    ```

    ## Use instead
    ```python
    def fixed():
        pass
    ```

    ## References
    - [PEP 263: source code encodings](https://peps.python.org/pep-0263/)
    """

    code = "FL001"
    name = "syntax-error"
    message = "{message}"
    fix_hint = "Fix the syntax or encoding so that Python can read the file"


@dataclass(frozen=True)
class UnusedNoqaOptions:
    #: also report a bare `# noqa` on a line where fastlint finds nothing
    bare_noqa: bool = False


class UnusedNoqa(MetaRule):
    """A `# noqa` or `# fastlint: ignore` directive silences no fastlint finding.

    ## Why is this bad?
    A suppression outlives the code it was written for: the query was fixed, the line moved, the
    rule got smarter. Left in place it silences the next real finding on that line without anyone
    deciding to, and it tells the reader that something is wrong where nothing is. Unknown codes
    (a typo such as `FL1O1`) silence nothing at all.

    Off by default: run `fastlint check --warn-unused-ignores`, or select `FL002`. A code is
    reported only when its rule ran in this run (`# noqa: FL207` is left alone while FL207 is
    off), unknown `FL` codes always. Codes of other tools (`# noqa: E501`) are not fastlint's
    business, and a bare `# noqa` is left alone too (flake8 and ruff read it as well) unless the
    `bare-noqa` option is set. A run over some files only does not report codes whose findings
    depend on files it did not read. Only a directive that names `FL002` silences FL002.

    ## Example
    ```python
    from sqlalchemy import text

    query = text("SELECT id, name FROM users")  # noqa: FL201
    ```

    ## Use instead
    ```python
    from sqlalchemy import text

    query = text("SELECT id, name FROM users")
    ```

    ## Options
    - `bare-noqa` (boolean, default false): also report a bare `# noqa` on a line where fastlint
      finds nothing (for projects where no other tool reads `# noqa`).

    ## References
    - [ruff: unused-noqa (RUF100)](https://docs.astral.sh/ruff/rules/unused-noqa/)
    - [mypy: --warn-unused-ignores](https://mypy.readthedocs.io/en/stable/command_line.html#cmdoption-mypy-warn-unused-ignores)
    """

    code = "FL002"
    name = "unused-noqa"
    message = "{message}"
    fix_hint = "Remove the comment, or the codes it no longer needs"
    severity = Severity.WARNING
    default_enabled = False
    Options = UnusedNoqaOptions


class InternalError(MetaRule):
    """fastlint failed on this file: a rule raised an exception, or the worker linting it died or hung.

    A rule (or the analysis) raised an exception, or the worker process linting the file died
    (killed, out of memory) or was stopped after `FASTLINT_FILE_TIMEOUT` seconds (default 300).

    ## Why is this bad?
    It is a bug in fastlint, not in your code. The failing rule is switched off for this file, the
    other rules' findings still stand (when the worker died or was stopped, none of this file's
    findings are known), the other files are linted as usual, and the run exits with code 2 so
    that CI notices. Please report it with the file (or a reduced copy of it).

    ## Example
    ```python
    # any file on which a rule raised an exception
    ```

    ## Use instead
    ```python
    # nothing to change in your code; upgrade fastlint or report the bug
    ```

    ## References
    - [fastlint issue tracker](https://github.com/fastlint/fastlint/issues)
    """

    code = "FL003"
    name = "internal-error"
    message = "{message}"
    fix_hint = "Report this at the fastlint issue tracker"
