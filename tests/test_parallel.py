"""Output does not depend on the number of workers (and the pool is really used)."""

from __future__ import annotations

from pathlib import Path

from fastlint import runner
from tests.harness import FIXTURES, lint, settings_for


def test_parallel_equals_serial(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(runner, "MIN_FILES_FOR_POOL", 2)
    settings = settings_for(FIXTURES)
    serial = lint([FIXTURES], FIXTURES, settings, select=("ALL",), jobs=1)
    parallel = lint([FIXTURES], FIXTURES, settings, select=("ALL",), jobs=2)
    assert serial.files > 10
    assert serial.diagnostics, "the fixtures have findings"
    assert parallel.diagnostics == serial.diagnostics
    assert [d.to_json() for d in parallel.diagnostics] == [d.to_json() for d in serial.diagnostics]


def test_chunks_cover_every_job() -> None:
    jobs = list(range(103))
    chunks = runner._chunks(jobs, 2)  # type: ignore[arg-type]
    assert [j for c in chunks for j in c] == jobs


def test_the_token_precheck_never_changes_results(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A rule skipped because its tokens are absent could not have fired: same output without it."""
    from fastlint.registry import default_registry
    from fastlint.rule import Rule

    settings = settings_for(FIXTURES)
    with_check = lint([FIXTURES], FIXTURES, settings, select=("ALL",))
    for rule in default_registry().rules:
        if issubclass(rule, Rule):
            monkeypatch.setattr(rule, "requires", ())
    without_check = lint([FIXTURES], FIXTURES, settings, select=("ALL",))
    assert [d.to_json() for d in with_check.diagnostics] == [d.to_json() for d in without_check.diagnostics]
