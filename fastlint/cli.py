"""The command line: `fastlint check`, `fastlint rules`, `fastlint explain`."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fastlint import __version__
from fastlint.config import ConfigError, Selection, Settings, build_options, check_option_codes, load_settings, select_rules
from fastlint.engine import RuleSetup
from fastlint.registry import REMOVED, Registry, default_registry
from fastlint.report import FORMATS, ReportOptions, renderer
from fastlint.rule import MetaRule, Rule

if TYPE_CHECKING:
    from fastlint.baseline import Baseline
    from fastlint.changes import Revision
    from fastlint.runner import Plan, RunResult
    from fastlint.suppression import UnusedCheck

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
META_ALWAYS = frozenset({"FL003"})


def _codes(values: Sequence[str]) -> tuple[str, ...] | None:
    """`--select FL1,FL2 --select FL3` -> ("FL1", "FL2", "FL3"); None when not given."""
    if not values:
        return None
    return tuple(c.strip().upper() if c.strip().upper() != "ALL" else "ALL" for v in values for c in v.split(",") if c.strip())


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


#: Ctrl-C: 128 + SIGINT, as shells and other tools exit
EXIT_INTERRUPTED = 130


def _interruptible(command):  # type: ignore[no-untyped-def]
    """Ctrl-C stops the command with one line and exit code 130, not a traceback (the runner has
    stopped its workers; files and cache entries are written whole or not at all)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def _use_color(no_color: bool, output_file: str | None) -> bool:
    if no_color or os.environ.get("NO_COLOR") or output_file:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _fix(result, lint, unsafe: bool, diff: bool, quiet: bool, exit_zero: bool):  # type: ignore[no-untyped-def]
    """`--fix` / `--diff`: fix in rounds (see `fastlint.fixes`); with --diff print the diff and
    exit, with --fix write the files and return the lint of what remains."""
    from fastlint.diagnostics import FixSafety
    from fastlint.fixes import diff_changes, fix_run, write_changes

    outcome = fix_run(lambda sources: lint(sources=sources), unsafe, first=result)
    final = outcome.result
    final.errors.extend(outcome.errors)
    final.fixed = outcome.fixed
    hidden = 0 if unsafe else sum(1 for d in final.diagnostics if d.fix is not None and d.fix.safety is FixSafety.UNSAFE)
    if diff:
        click.echo(diff_changes(outcome), nl=False)
        for message in final.errors:
            click.echo(f"error: {message}", err=True)
        if not quiet:
            if outcome.fixed:
                noun = "problem" if outcome.fixed == 1 else "problems"
                click.echo(f"Would fix {outcome.fixed} {noun} ({len(final.diagnostics)} remaining).", err=True)
            else:
                click.echo("No problems would be fixed.", err=True)
            _hidden_note(hidden)
        if final.internal_error or final.errors:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_FINDINGS if outcome.fixed and not exit_zero else EXIT_CLEAN)
    final.errors.extend(write_changes(outcome))
    if not quiet:
        _hidden_note(hidden)
    return final


def _hidden_note(hidden: int) -> None:
    if hidden:
        fixes = "fix is" if hidden == 1 else "fixes are"
        click.echo(f"{hidden} unsafe {fixes} available with `--unsafe-fixes` (see `fastlint explain` for each rule's fix safety).", err=True)


def plan_rules(
    registry: Registry, settings: Settings, cli_layer: Selection | None
) -> tuple[list[RuleSetup], frozenset[str]]:
    """The enabled visitor rules with their options, and the meta codes to drop."""
    for code in (*(settings.select or ()), *settings.extend_select, *settings.ignore):
        if code in REMOVED:
            click.echo(f"warning: {settings.source}: {code} was removed: {REMOVED[code]}", err=True)
    layers = [
        Selection(settings.select, settings.extend_select, settings.ignore, f"{settings.source or 'defaults'}"),
    ]
    if cli_layer is not None:
        layers.append(cli_layer)
    check_option_codes(settings, registry.codes)
    options = {rule.code: build_options(rule, settings.options.get(rule.code), settings.source or "") for rule in registry.rules}
    enabled = select_rules(registry.rules, layers)  # type: ignore[arg-type]
    enabled_codes = {r.code for r in enabled}
    setups = [RuleSetup(r, options[r.code]) for r in enabled if isinstance(r, type) and issubclass(r, Rule)]
    # FL001 shows unless a selector drops it; FL003 always shows.
    dropped = frozenset(r.code for r in registry.rules if issubclass(r, MetaRule) and r.code not in enabled_codes and r.code not in META_ALWAYS)
    return setups, dropped


def unused_check(registry: Registry, settings: Settings, setups: Sequence[RuleSetup], dropped: frozenset[str]) -> UnusedCheck | None:
    """What FL002 (unused suppressions) needs to know about the run; None when it is off."""
    from fastlint.suppression import UNUSED_NOQA, UnusedCheck

    rule = registry.get(UNUSED_NOQA[0])
    if rule is None or rule.code in dropped:
        return None
    options = build_options(rule, settings.options.get(rule.code), settings.source or "")
    enabled = {s.rule.code for s in setups} | {r.code for r in registry.rules if issubclass(r, MetaRule) and r.code not in dropped}
    return UnusedCheck(frozenset(enabled), tuple(registry.codes), frozenset(REMOVED), bool(getattr(options, "bare_noqa", False)))


def make_plan(registry: Registry, settings: Settings, cli_layer: Selection | None) -> Plan:
    """The run's plan: the enabled rules with their options, the dropped meta codes, FL002's view."""
    from fastlint.runner import Plan

    setups, dropped = plan_rules(registry, settings, cli_layer)
    return Plan(tuple(setups), settings, dropped, unused_check(registry, settings, setups, dropped))


def _prepare_gate(baseline_path: str | None, write_baseline: str | None, diff_from: str | None, root: str) -> tuple[Baseline | None, Revision | None]:
    """Read the baseline and check the git revision before linting: a bad one fails fast."""
    from fastlint import baseline as baselines
    from fastlint import changes

    if write_baseline and (baseline_path or diff_from):
        raise ConfigError("--write-baseline records every finding: it cannot be combined with --baseline or --diff-from")
    try:
        baseline = baselines.load(baseline_path) if baseline_path else None
        revision = changes.resolve(diff_from, root) if diff_from is not None else None
    except (baselines.BaselineError, changes.ChangesError) as exc:
        raise ConfigError(str(exc)) from None
    return baseline, revision


def _write_baseline(path: str, result: RunResult, root: str, cwd: str, quiet: bool) -> None:
    """`--write-baseline`: record every finding and exit (0, or 2 if the run had an error)."""
    from fastlint import baseline as baselines

    if result.errors:
        _fail(f"{path}: baseline not written: the run had errors")
    try:
        baselines.write(path, result.diagnostics, root, cwd, __version__)
    except baselines.BaselineError as exc:
        _fail(str(exc))
    if not quiet:
        n = len(result.diagnostics)
        click.echo(f"Wrote {n} finding{'s' if n != 1 else ''} to the baseline {path}.")
    sys.exit(EXIT_ERROR if result.internal_error else EXIT_CLEAN)


def _apply_gate(result: RunResult, baseline: Baseline | None, revision: Revision | None, root: str, cwd: str) -> None:
    """`--baseline` / `--diff-from`: keep only the new findings, on changed lines. Fingerprints are
    computed over every finding of the run (as when the baseline was written), then filtered."""
    from collections import Counter

    from fastlint import changes

    shown = result.diagnostics
    if baseline is not None:
        new = baseline.new_findings(shown, root, cwd)
        result.stats["baseline_matched"] = len(shown) - len(new)
        shown = new
    if revision is not None:
        try:
            kept = changes.changed_lines(revision).keep(shown, cwd)
        except changes.ChangesError as exc:
            _fail(str(exc))
            return
        result.stats["outside_diff"] = len(shown) - len(kept)
        shown = kept
    result.diagnostics = shown
    result.stats["by_code"] = dict(sorted(Counter(d.code for d in shown).items()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="fastlint")
def cli() -> None:
    """fastlint: find the anti-patterns that make FastAPI + SQLAlchemy services slow, leaky or insecure."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes (comma-separated; replaces the config's select).")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Enable these codes or prefixes in addition.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Disable these codes or prefixes.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format: text, concise (one line per finding), json (versioned contract), sarif (SARIF 2.1.0 for "
    "GitHub code scanning), github (Actions annotations), gitlab (Code Quality report), junit (JUnit XML).",
)
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (errors still exit 2).")
@click.option("--config", "config_path", type=click.Path(), help="Read settings from this TOML file.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (0 or unset: one per CPU).")
@click.option("--statistics", is_flag=True, help="Count findings per rule and show run figures.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary line.")
@click.option("--no-color", is_flag=True, help="Do not colour the output (also: NO_COLOR=1; FORCE_COLOR=1 colours a pipe).")
@click.option(
    "--show-source/--no-show-source",
    default=None,
    help="text format: print each flagged line with a caret under the finding (default: on at a terminal, off in a pipe or file).",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: apply the unsafe fixes too (they may change behaviour).")
@click.option("--diff", is_flag=True, help="Print a unified diff of what --fix would change, and change nothing (exit 1 if there is something to fix).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), metavar="FILE", help="Report only the findings that are not in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE", help="Record every finding in this baseline file instead of reporting them (exit 0).")
@click.option("--diff-from", metavar="REV", help="Report only findings on lines added or changed since this git revision (untracked files count as changed).")
@click.option("--warn-unused-ignores", is_flag=True, help="Report `# noqa` / `# fastlint: ignore` directives that silence nothing (FL002).")
@click.option("--project-context", is_flag=True, help="Read the whole project for the cross-file rules, report only on PATHS (the pre-commit hook).")
@click.option("--force-exclude", is_flag=True, help="Apply the excludes to files named on the command line too (the pre-commit hook).")
@click.option("--no-cache", is_flag=True, help="Lint every file again; read and write no cache (also: FASTLINT_NO_CACHE=1).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Where the cache lives (default: .fastlint_cache at the project root; also: FASTLINT_CACHE_DIR).")
@_interruptible
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    output_file: str | None,
    exit_zero: bool,
    config_path: str | None,
    isolated: bool,
    jobs: int | None,
    statistics: bool,
    quiet: bool,
    no_color: bool,
    show_source: bool | None,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    baseline_path: str | None,
    write_baseline: str | None,
    diff_from: str | None,
    warn_unused_ignores: bool,
    project_context: bool,
    force_exclude: bool,
    no_cache: bool,
    cache_dir: str | None,
) -> None:
    """Lint PATHS (default: the current directory)."""
    from fastlint.cache import cache_dir as cache_location
    from fastlint.cache import enabled as caching
    from fastlint.progress import Progress
    from fastlint.runner import Plan, default_jobs, make_cache, run, tune_gc

    tune_gc()

    cwd = os.getcwd()
    registry = default_registry()
    try:
        settings = load_settings(config_path, Path(cwd), isolated=isolated)
        if settings.sql_dialect:
            from fastlint.sql import check_dialect

            problem = check_dialect(settings.sql_dialect)
            if problem:
                raise ConfigError(f"{settings.source}: 'tool.fastlint.sql-dialect': {problem}")
        cli_layer = None
        if select or extend_select or ignore or warn_unused_ignores:
            extend = (*(_codes(extend_select) or ()), *(("FL002",) if warn_unused_ignores else ()))
            cli_layer = Selection(_codes(select), extend, _codes(ignore) or (), "command line")
        setups, dropped = plan_rules(registry, settings, cli_layer)
        unused = unused_check(registry, settings, setups, dropped)
        baseline, revision = _prepare_gate(baseline_path, write_baseline, diff_from, settings.root)
    except ConfigError as exc:
        _fail(str(exc))
        return
    workers = jobs if jobs else (settings.jobs or default_jobs())
    plan = Plan(tuple(setups), settings, dropped, unused)
    cache = make_cache(plan, cache_location(settings.root, cache_dir)) if caching(no_cache) else None
    progress = Progress() if Progress.wanted(quiet) else None
    lint = functools.partial(
        run, paths or (".",), plan, workers, cwd, project_context=project_context, force_exclude=force_exclude, cache=cache, progress=progress
    )
    result = lint()
    if fix or diff:
        result = _fix(result, lint, unsafe_fixes, diff, quiet, exit_zero)
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)
    for message in result.errors:
        click.echo(f"error: {message}", err=True)
    if write_baseline:
        _write_baseline(write_baseline, result, settings.root, cwd, quiet)
    if baseline is not None or revision is not None:
        _apply_gate(result, baseline, revision, settings.root, cwd)

    if show_source is None:
        show_source = not output_file and sys.stdout.isatty()
    options = ReportOptions(
        color=_use_color(no_color, output_file) and fmt in ("text", "concise"),
        quiet=quiet,
        statistics=statistics,
        version=__version__,
        show_source=show_source,
        root=cwd,
    )
    output = renderer(fmt)(result, registry, options, fmt)
    if output_file:
        try:
            Path(output_file).write_text(output, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output_file}: cannot write: {exc.strerror or exc}")
    else:
        click.echo(output, nl=False, color=options.color)

    if result.internal_error or result.errors:
        sys.exit(EXIT_ERROR)
    if result.diagnostics and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this pyproject.toml (its folder is the project root).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Remove this cache folder instead of the project's.")
def clean(config_path: str | None, cache_dir: str | None) -> None:
    """Remove the project's cache (.fastlint_cache at the project root, or --cache-dir)."""
    from fastlint.cache import cache_dir as cache_location
    from fastlint.cache import clean as remove_cache

    try:
        settings = load_settings(config_path, Path(os.getcwd()))
    except ConfigError as exc:
        _fail(str(exc))
        return
    where = cache_location(settings.root, cache_dir)
    try:
        removed = remove_cache(where)
    except OSError as exc:
        _fail(f"cannot remove the cache: {exc}")
        return
    click.echo(f"removed {where}" if removed else f"no cache at {where}", err=True)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every rule: code, name, family, default, fixable."""
    registry = default_registry()
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "family": r.family(),
            "default": "on" if r.default_enabled else "off",
            "fixable": r.fix.value if r.fix else "no",
            "summary": r.summary(),
        }
        for r in registry.rules
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    widths = {k: max(len(k), *(len(row[k]) for row in rows)) for k in ("code", "name", "family", "default", "fixable")}
    header = "  ".join(k.upper().ljust(widths[k]) for k in widths)
    click.echo(header)
    for row in rows:
        click.echo("  ".join(row[k].ljust(widths[k]) for k in widths))


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of a rule (by code or name)."""
    registry = default_registry()
    rule = registry.get(code)
    if rule is None:
        if code.upper() in REMOVED:
            _fail(f"{code.upper()} was removed: {REMOVED[code.upper()]}")
        import difflib

        match = difflib.get_close_matches(code.upper(), registry.codes, n=1) or difflib.get_close_matches(code, list(registry.by_name), n=1)
        _fail(f"unknown rule '{code}'" + (f" (did you mean '{match[0]}'?)" if match else ""))
        return
    default = "on by default" if rule.default_enabled else "off by default (enable with extend-select)"
    fixable = f"fix: {rule.fix.value}" if rule.fix else "no automatic fix"
    click.echo(f"# {rule.code} {rule.name}\n")
    click.echo(f"Family: {rule.family()}; {default}; {fixable}; severity: {rule.severity.value}.\n")
    click.echo(rule.documentation())


def main() -> None:
    cli(prog_name="fastlint")


if __name__ == "__main__":  # pragma: no cover
    main()
