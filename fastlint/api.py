"""The Python API, for editors and tools: `lint_source` and `lint_paths`.

Both return the findings a `fastlint check` run would print, as `fastlint.diagnostics.Diagnostic`
values (frozen; `.code`, `.name`, `.message`, `.fix_hint`, `.severity`, `.path`, `.location`
with 1-based `line`/`column`/`end_line`/`end_column`, `.to_json()`), sorted by path, line,
column and code. They never print, never exit, and never change a file.

    import fastlint

    for d in fastlint.lint_source(buffer_text, path="app/routes/users.py"):
        print(d.location.line, d.code, d.message)

    findings = fastlint.lint_paths(["app/"], root="/path/to/project", select=["FL1", "FL2"])

Bad settings or selectors raise `fastlint.config.ConfigError` (its message is one line).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastlint.config import Settings
    from fastlint.diagnostics import Diagnostic
    from fastlint.runner import Plan


class LintError(Exception):
    """`lint_paths` could not read every path (or a worker died): `errors` lists the one-line
    problems, `diagnostics` holds the findings of what could be linted."""

    def __init__(self, errors: Sequence[str], diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)
        self.diagnostics = list(diagnostics)


def _selectors(values: str | Sequence[str] | None) -> tuple[str, ...] | None:
    from fastlint.cli import _codes

    if values is None:
        return None
    return _codes([values] if isinstance(values, str) else list(values)) or ()


def _plan(settings: Settings, select: str | Sequence[str] | None, extend_select: str | Sequence[str] | None, ignore: str | Sequence[str] | None) -> Plan:
    from fastlint.cli import make_plan
    from fastlint.config import ConfigError, Selection
    from fastlint.registry import default_registry

    if settings.sql_dialect:
        from fastlint.sql import check_dialect

        problem = check_dialect(settings.sql_dialect)
        if problem:
            raise ConfigError(f"{settings.source}: 'tool.fastlint.sql-dialect': {problem}")
    layer = None
    if select is not None or extend_select or ignore:
        layer = Selection(_selectors(select), _selectors(extend_select) or (), _selectors(ignore) or (), "the API call")
    return make_plan(default_registry(), settings, layer)


def _settings(settings: Settings | None, start: str) -> Settings:
    from fastlint.config import load_settings

    if settings is None:
        return load_settings(None, Path(start))
    if settings.root == ".":  # the default: the project is where the call points
        return replace(settings, root=os.path.abspath(start))
    return settings


def lint_source(
    source: str,
    path: str = "<stdin>",
    settings: Settings | None = None,
    select: str | Sequence[str] | None = None,
    *,
    project: bool = False,
) -> list[Diagnostic]:
    """Lint Python source text, such as an editor's unsaved buffer, and return its findings.

    - `path`: where the text lives (or would live). It need not exist. It names the module
      (through the packages on disk around it), decides `per-file-ignores` and the rules that
      treat tests or scripts differently, and is the `path` of every finding, as given.
    - `settings`: a `fastlint.config.Settings`; by default the `[tool.fastlint]` table of the
      nearest `pyproject.toml` above `path` (above the working directory for `"<stdin>"`) is read,
      as `fastlint check` would. Pass `Settings()` for the defaults.
    - `select`: codes or prefixes (`"FL1,FL201"` or `["FL1", "FL201"]`) that replace the
      configured selection, like `--select`. FL002 (unused `# noqa`) runs when it is selected.
    - `project`: also read every other file of the project (the settings' root) for its facts,
      so that the cross-file rules see the routes, dependencies and models defined elsewhere,
      as `--project-context` does. Without it the text is linted as a project of one file.
    """
    from fastlint.analysis.index import ProjectIndex
    from fastlint.discovery import file_job
    from fastlint.engine import lint_file
    from fastlint.runner import RunResult, _project_context, default_jobs, settle

    cwd = os.getcwd()
    start = Path(os.path.abspath(path)).parent if path != "<stdin>" else Path(cwd)
    while not start.is_dir() and start != start.parent:  # a file not written yet: its nearest folder
        start = start.parent
    settings = _settings(settings, str(start))
    plan = _plan(settings, select, None, None)
    job = replace(file_job(path, settings.root, cwd), display_path=path, source=source)
    result = lint_file(job, plan.rules, settings, settings.call_depth, plan.unused is not None)
    facts = [result.facts] if result.facts is not None else []
    if project:
        context = _project_context([job], plan, settings.jobs or default_jobs(), cwd, None, None)
        facts += [r.facts for r, _ in context.results if r.facts is not None]
    index = ProjectIndex(facts, call_depth=settings.call_depth)
    # alone, the text cannot tell whether another file would confirm a finding: FL002 leaves those codes alone
    diagnostics = settle(result, job.relpath, index, plan, RunResult(), complete=project)
    return sorted(diagnostics, key=lambda d: d.sort_key)


def lint_paths(
    paths: Sequence[str | os.PathLike[str]],
    root: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    select: str | Sequence[str] | None = None,
    *,
    extend_select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] | None = None,
    jobs: int | None = None,
    project_context: bool = False,
) -> list[Diagnostic]:
    """Lint files and directories as `fastlint check PATHS` does, and return the findings.

    - `root`: the directory the run starts from (the working directory of `fastlint check`):
      relative `paths` and the findings' paths are relative to it, and the configuration is
      looked up from it. Default: the current directory.
    - `settings`: a `fastlint.config.Settings`; by default read from the nearest
      `pyproject.toml` with `[tool.fastlint]` above `root`. `Settings()` gives the defaults
      (with `root` as the project root).
    - `select`, `extend_select`, `ignore`: codes or prefixes, as on the command line.
    - `jobs`: worker processes (default: the configured `jobs`, else one per CPU; 1 lints in
      this process).
    - `project_context`: when `paths` are part of the project, read the rest of it for facts
      only (`--project-context`).

    A path that cannot be read raises `LintError` (with the findings of the others attached);
    a file that does not parse is an FL001 finding, as on the command line.
    """
    from fastlint.runner import default_jobs, run

    cwd = os.path.abspath(os.fspath(root)) if root is not None else os.getcwd()
    settings = _settings(settings, cwd)
    plan = _plan(settings, select, extend_select, ignore)
    workers = jobs if jobs else (settings.jobs or default_jobs())
    result = run([os.fspath(p) for p in paths] or ["."], plan, workers, cwd, project_context=project_context)
    if result.errors:
        raise LintError(result.errors, result.diagnostics)
    return result.diagnostics
