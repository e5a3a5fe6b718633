"""The command line: `fastlint check`, `fastlint rules`, `fastlint explain`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from fastlint import __version__
from fastlint.config import ConfigError, Selection, Settings, build_options, check_option_codes, load_settings, select_rules
from fastlint.engine import RuleSetup
from fastlint.registry import REMOVED, Registry, default_registry
from fastlint.report import FORMATS, ReportOptions, renderer
from fastlint.rule import MetaRule, Rule

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


def _use_color(no_color: bool, output_file: str | None) -> bool:
    if no_color or os.environ.get("NO_COLOR") or output_file:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="fastlint")
def cli() -> None:
    """fastlint: find the anti-patterns that make FastAPI + SQLAlchemy services slow, leaky or insecure."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes (comma-separated; replaces the config's select).")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Enable these codes or prefixes in addition.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Disable these codes or prefixes.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (errors still exit 2).")
@click.option("--config", "config_path", type=click.Path(), help="Read settings from this TOML file.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (0 or unset: one per CPU).")
@click.option("--statistics", is_flag=True, help="Count findings per rule and show run figures.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary line.")
@click.option("--no-color", is_flag=True, help="Do not colour the output (also: NO_COLOR=1).")
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
) -> None:
    """Lint PATHS (default: the current directory)."""
    from fastlint.runner import Plan, default_jobs, run

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
        if select or extend_select or ignore:
            cli_layer = Selection(_codes(select), _codes(extend_select) or (), _codes(ignore) or (), "command line")
        setups, dropped = plan_rules(registry, settings, cli_layer)
    except ConfigError as exc:
        _fail(str(exc))
        return
    workers = jobs if jobs else (settings.jobs or default_jobs())
    result = run(paths or (".",), Plan(tuple(setups), settings, dropped), workers, cwd)
    for message in result.errors:
        click.echo(f"error: {message}", err=True)

    options = ReportOptions(color=_use_color(no_color, output_file) and fmt != "json", quiet=quiet, statistics=statistics, version=__version__)
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
