"""Codes fastlint itself emits: FL001 (the file cannot be read as Python) and FL003 (internal error)."""

from __future__ import annotations

from fastlint.rule import MetaRule


class SyntaxError_(MetaRule):
    """The file cannot be read as Python: it does not decode or does not parse.

    ## Why is this bad?
    A file fastlint cannot parse is a file it cannot check: every other rule is silent on it. The
    interpreter would refuse it too (or the file is not Python at all, such as a binary file with a
    `.py` name). fastlint reports the first error at its position and goes on with the other files.

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


class InternalError(MetaRule):
    """fastlint failed on this file: a rule (or the analysis) raised an exception.

    ## Why is this bad?
    It is a bug in fastlint, not in your code. The failing rule is switched off for this file, the
    other rules' findings still stand, and the run exits with code 2 so that CI notices. Please
    report it with the file (or a reduced copy of it).

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
