"""The pre-filter (files no rule or fact collector can use are not parsed) never changes a result."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from fastlint.cli import plan_rules
from fastlint.config import Selection
from fastlint.engine import FileJob, lint_source, worth_parsing
from fastlint.registry import default_registry
from fastlint.runner import Plan, run

from .harness import FIXTURES, PROJECTS, ROOT, settings_for

JOB = FileJob(path="pkg/m.py", display_path="pkg/m.py", relpath="pkg/m.py", module_name="pkg.m", is_package=False)


def _all_rules(root: Path) -> Plan:
    settings = settings_for(root)
    setups, dropped = plan_rules(default_registry(), settings, Selection(None, ("ALL",), (), "test"))
    return Plan(tuple(setups), settings, dropped)


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", '"""A docstring."""\n', "__all__\n", "pass\n"])
def test_files_with_nothing_to_use_are_not_parsed_and_look_empty(text: str) -> None:
    plan = _all_rules(ROOT)
    assert not worth_parsing(text, plan.rules)
    skipped = lint_source(text, JOB, plan.rules, plan.settings)
    parsed = lint_source(text, JOB, plan.rules, plan.settings, prefilter=False)
    assert skipped.prefiltered and not parsed.prefiltered
    assert skipped.facts == parsed.facts and skipped.diagnostics == parsed.diagnostics == []


@pytest.mark.parametrize(
    "text",
    ["import os\n", "x = 1\n", "print()\n", "def f(): pass\n", "x: int\n", "for x in y: pass\n", ")))\n", "x +\n", "# noqa: FL101\n"],
)
def test_files_that_may_matter_are_parsed(text: str) -> None:
    plan = _all_rules(ROOT)
    directives = "noqa" in text
    assert worth_parsing(text, plan.rules, directives)


def _json(root: Path, paths: list[str], prefilter: bool) -> list[dict[str, object]]:
    plan = replace(_all_rules(root), prefilter=prefilter)
    result = run(paths, plan, 1, str(root))
    assert not result.errors
    return [d.to_json() for d in result.diagnostics]


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()))
def test_fixture_projects_same_with_and_without_the_prefilter(name: str) -> None:
    root = PROJECTS / name
    assert _json(root, [str(root)], True) == _json(root, [str(root)], False)


def test_rule_fixtures_same_with_and_without_the_prefilter() -> None:
    root = FIXTURES / "rules"
    assert _json(root, [str(root)], True) == _json(root, [str(root)], False)


CORPORA = Path(os.environ.get("FASTLINT_BENCH_CACHE", ROOT / "bench" / ".cache")) / "corpora"


@pytest.mark.skipif(os.environ.get("FASTLINT_CORPUS_TESTS") != "1" or not CORPORA.is_dir(), reason="set FASTLINT_CORPUS_TESTS=1 after `python bench/corpus.py fetch`")
@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPORA.iterdir() if p.is_dir() and not p.name.startswith(".")) if CORPORA.is_dir() else [])
def test_corpora_same_with_and_without_the_prefilter(corpus: str) -> None:
    root = CORPORA / corpus
    with_filter = _json(root, [str(root)], True)
    assert with_filter == _json(root, [str(root)], False)
    print(json.dumps({"corpus": corpus, "findings": len(with_filter)}))
