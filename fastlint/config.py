"""`[tool.fastlint]` in pyproject.toml, read into a frozen `Settings`.

Every error is a `ConfigError` whose message is one line naming the file and the key, with the
closest valid spelling when there is one. Rule codes and options are checked against the registry
in `resolve_rules` (the registry is passed in: this module imports no rule).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".fastlint_cache",
    "site-packages",
    "__pypackages__",
    ".eggs",
)

KEYS = (
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "sql-dialect",
    "jobs",
    "call-depth",
    "respect-gitignore",
    "options",
)

#: The documentation of each key: (TOML type, meaning, default as prose or None to show the
#: `Settings` default). The README's configuration reference is generated from it
#: (`python -m fastlint.docs`); a test checks that every key has an entry.
KEY_DOCS: dict[str, tuple[str, str, str | None]] = {
    "select": (
        "list of codes",
        "The rules to run, as codes or prefixes (`FL1`, `FL201`, `ALL`); replaces the default selection",
        "the rules that are on by default",
    ),
    "extend-select": ("list of codes", "Rules to run in addition, e.g. rules that are off by default", None),
    "ignore": ("list of codes", "Rules not to run. Within one layer the most specific selector wins, and `ignore` wins a tie", None),
    "exclude": (
        "list of patterns",
        "Paths not linted (gitignore-style, relative to the configuration's directory); replaces the default excludes",
        None,
    ),
    "extend-exclude": ("list of patterns", "Paths not linted, in addition to `exclude`", None),
    "per-file-ignores": ("table of pattern = list of codes", "Codes ignored in the files a pattern matches", None),
    "sql-dialect": (
        "string",
        "The sqlglot dialect that SQL in strings is parsed in (`postgres`, `mysql`, `sqlite`, `tsql`...)",
        "sqlglot's generic dialect",
    ),
    "jobs": ("integer", "Worker processes; 0 means one per CPU (`--jobs` overrides it)", "one per CPU"),
    "call-depth": ("integer, 0 to 10", "How many calls deep the cross-module rules follow helpers from routes", None),
    "respect-gitignore": ("boolean", "Honour the `.gitignore` files of the linted directories", None),
    "options": ("table per rule code", "Rule options: `[tool.fastlint.options.FL402]` (see the table below)", "none"),
}


class ConfigError(Exception):
    """A configuration or usage error: printed as one line, exit code 2."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sql_dialect: str | None = None
    jobs: int | None = None
    call_depth: int = 3
    respect_gitignore: bool = True
    #: code -> {option_name (snake_case): value}, as written (validated in `resolve_rules`)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the file the settings came from, or None for the defaults
    source: str | None = None
    #: the project root: module names and exclude patterns are relative to it
    root: str = "."

    @property
    def excludes(self) -> tuple[str, ...]:
        base = DEFAULT_EXCLUDES if self.exclude is None else self.exclude
        return tuple(base) + tuple(self.extend_exclude)


def _suggest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.fastlint]`` table, from `start` upward."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_dir():
            return candidate  # a directory where the configuration should be: say so, do not guess
        if candidate.is_file():
            try:
                data = _read_toml(candidate)
            except ConfigError:
                return candidate  # report the broken file rather than skipping it silently
            if "fastlint" in data.get("tool", {}):
                return candidate
    return None


def _read_toml(path: Path, display: str | None = None) -> dict[str, Any]:
    shown = display or str(path)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown}: is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: not UTF-8 ({exc.reason})") from None


def load_settings(config: str | None, cwd: Path, *, isolated: bool = False) -> Settings:
    """Settings from `--config FILE`, else the nearest pyproject.toml, else the defaults."""
    if isolated:
        return Settings(root=str(cwd))
    if config is not None:
        path = Path(config)
        if not path.exists():
            raise ConfigError(f"{config}: no such configuration file")
        data = _read_toml(path, config)
        table = data.get("tool", {}).get("fastlint") if "tool" in data else data
        prefix = "tool.fastlint" if "tool" in data else ""
        return parse_settings(table or {}, str(path), str(path.resolve().parent), prefix)
    found = find_config(cwd)
    if found is None:
        return Settings(root=str(cwd))
    display = _display(found, cwd)
    data = _read_toml(found, display)
    table = data.get("tool", {}).get("fastlint", {})
    return parse_settings(table, display, str(found.parent), "tool.fastlint")


def _display(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def parse_settings(table: Any, source: str, root: str, prefix: str = "tool.fastlint") -> Settings:
    def key_name(key: str) -> str:
        return f"{prefix}.{key}" if prefix else key

    if not isinstance(table, dict):
        raise ConfigError(f"{source}: '{prefix or 'the file'}' must be a table")
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{source}: unknown key '{key_name(key)}'{_suggest(key, KEYS)}")

    def str_list(key: str) -> tuple[str, ...] | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: '{key_name(key)}' must be a list of strings, got {_type_name(value)}")
        return tuple(value)

    per_file: list[tuple[str, tuple[str, ...]]] = []
    raw_pfi = table.get("per-file-ignores", {})
    if not isinstance(raw_pfi, dict):
        raise ConfigError(f"{source}: '{key_name('per-file-ignores')}' must be a table of glob = [codes], got {_type_name(raw_pfi)}")
    for pattern, codes in raw_pfi.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(
                f"{source}: '{key_name('per-file-ignores')}.\"{pattern}\"' must be a list of strings, got {_type_name(codes)}"
            )
        per_file.append((pattern, tuple(codes)))

    dialect = table.get("sql-dialect")
    if dialect is not None and not isinstance(dialect, str):
        raise ConfigError(f"{source}: '{key_name('sql-dialect')}' must be a string, got {_type_name(dialect)}")
    jobs = table.get("jobs")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0):
        raise ConfigError(f"{source}: '{key_name('jobs')}' must be a non-negative integer, got {jobs!r}")
    depth = table.get("call-depth", 3)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 0 <= depth <= 10:
        raise ConfigError(f"{source}: '{key_name('call-depth')}' must be an integer from 0 to 10, got {depth!r}")
    gitignore = table.get("respect-gitignore", True)
    if not isinstance(gitignore, bool):
        raise ConfigError(f"{source}: '{key_name('respect-gitignore')}' must be true or false, got {gitignore!r}")

    options_table = table.get("options", {})
    if not isinstance(options_table, dict):
        raise ConfigError(f"{source}: '{key_name('options')}' must be a table, got {_type_name(options_table)}")
    options: dict[str, dict[str, Any]] = {}
    for code, values in options_table.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: '{key_name('options')}.{code}' must be a table, got {_type_name(values)}")
        options[code] = dict(values)

    return Settings(
        select=str_list("select"),
        extend_select=str_list("extend-select") or (),
        ignore=str_list("ignore") or (),
        exclude=str_list("exclude"),
        extend_exclude=str_list("extend-exclude") or (),
        per_file_ignores=tuple(per_file),
        sql_dialect=dialect,
        jobs=jobs,
        call_depth=depth,
        respect_gitignore=gitignore,
        options=options,
        source=source,
        root=root,
    )


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


# -- rule selection ------------------------------------------------------------------------------------


class RuleLike(Protocol):
    code: str
    name: str
    default_enabled: bool
    Options: type


def _check_selectors(selectors: Iterable[str], codes: Sequence[str], where: str) -> None:
    for selector in selectors:
        if selector == "ALL":
            continue
        if not any(code.startswith(selector) for code in codes) or not selector.startswith("FL"):
            raise ConfigError(f"{where}: unknown rule code or prefix '{selector}'{_suggest(selector, codes)}")


@dataclass(frozen=True)
class Selection:
    """One layer of select/extend-select/ignore (the config file, then the command line)."""

    select: tuple[str, ...] | None
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    where: str


def _specificity(selector: str) -> int:
    return 100 if selector == "ALL" else len(selector)


def select_rules(rules: Sequence[RuleLike], layers: Sequence[Selection]) -> list[RuleLike]:
    """Apply selection layers in order. Within a layer the most specific selector wins, and
    `ignore` wins a tie; a layer's `select` replaces what the layers before it chose."""
    codes = [r.code for r in rules]
    enabled = {r.code for r in rules if r.default_enabled}
    for layer in layers:
        for selectors in (layer.select or (), layer.extend_select, layer.ignore):
            _check_selectors(selectors, codes, layer.where)
        chosen = set(enabled) if layer.select is None else set()
        positive = tuple(layer.select or ()) + tuple(layer.extend_select)
        for code in codes:
            best_pos = max((_specificity(s) for s in positive if s == "ALL" or code.startswith(s)), default=-1)
            best_neg = max((_specificity(s) for s in layer.ignore if s == "ALL" or code.startswith(s)), default=-1)
            if best_neg >= 0 and best_neg >= best_pos:
                chosen.discard(code)
            elif best_pos >= 0:
                chosen.add(code)
        enabled = chosen
    return [r for r in rules if r.code in enabled]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def build_options(rule: RuleLike, raw: Mapping[str, Any] | None, source: str) -> Any:
    """The rule's frozen Options from the `[tool.fastlint.options.FLxxx]` table."""
    fields = {f.name: f for f in dataclasses.fields(rule.Options)}
    if not raw:
        return rule.Options()
    where = f"{source}: 'tool.fastlint.options.{rule.code}'"
    kwargs: dict[str, Any] = {}
    hints = typing.get_type_hints(rule.Options)
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in fields:
            choices = [_kebab(f) for f in fields]
            if not choices:
                raise ConfigError(f"{where}: rule {rule.code} has no options")
            raise ConfigError(f"{where}: unknown option '{key}'{_suggest(key, choices)}")
        expected = hints.get(name, object)
        if not _type_ok(value, expected):
            raise ConfigError(f"{where}: option '{key}' must be {_describe_type(expected)}, got {_type_name(value)}")
        kwargs[name] = tuple(value) if isinstance(value, list) else value
    return rule.Options(**kwargs)


def _type_ok(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if origin in (tuple, list, Sequence, typing.Sequence):
        args = typing.get_args(expected)
        item = args[0] if args else object
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is object or expected is Any:
        return True
    return isinstance(value, expected)


def _describe_type(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (tuple, list, Sequence, typing.Sequence):
        return "a list"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(expected, str(expected))


def check_option_codes(settings: Settings, known_codes: Iterable[str]) -> None:
    codes = list(known_codes)
    for code in settings.options:
        if code not in codes:
            raise ConfigError(
                f"{settings.source}: unknown rule code '{code}' in 'tool.fastlint.options'{_suggest(code, codes)}"
            )
    for pattern, selectors in settings.per_file_ignores:
        _check_selectors(selectors, codes, f"{settings.source}: 'tool.fastlint.per-file-ignores'")
