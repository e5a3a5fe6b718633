"""`--format github`: one GitHub Actions workflow command per finding, which the Actions runner
turns into an annotation on the pull request's diff:

    ::error file=app/db.py,line=5,col=6,endLine=5,endColumn=20,title=FL101 global-db-session::message%0Ahint: ...

`error` / `warning` / `notice` follow the rule's severity. GitHub takes `col` and `endColumn` only
on a one-line range, so a range over several lines gives `line` and `endLine` alone.
"""

from __future__ import annotations

from typing import Any

from fastlint.diagnostics import Diagnostic, Severity
from fastlint.report import ReportOptions
from fastlint.report._common import message_with_hint, posix_path

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A command's message, as the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value (`file=`, `title=`): data escaping plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(d: Diagnostic) -> str:
    loc = d.location
    props = [("file", posix_path(d.path)), ("line", str(loc.line))]
    if loc.end_line == loc.line:
        props += [("col", str(loc.column)), ("endLine", str(loc.end_line)), ("endColumn", str(max(loc.end_column, loc.column)))]
    else:
        props.append(("endLine", str(loc.end_line)))
    props.append(("title", f"{d.code} {d.name}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS.get(d.severity, 'error')} {joined}::{escape_data(message_with_hint(d))}"


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "github") -> str:
    return "".join(command(d) + "\n" for d in result.diagnostics)
