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
