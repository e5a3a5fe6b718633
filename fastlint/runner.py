"""One lint run: discover files, lint them (in parallel), run the project pass, sort.

Worker processes start once per run, import the rules once (the pool initializer receives the
plan) and lint chunks of files. The main process merges every file's facts into the project index,
settles the findings that were waiting on other files, applies per-file ignores and sorts.
Output is the same whatever the number of workers.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from fastlint.analysis.index import ProjectIndex
from fastlint.conditions import decide
from fastlint.config import Settings
from fastlint.diagnostics import Diagnostic
from fastlint.discovery import discover
from fastlint.engine import FileJob, FileResult, RuleSetup, lint_file, materialize_pending
from fastlint.suppression import UnusedCheck, unused_diagnostics

#: Below this many files a pool costs more than it saves.
MIN_FILES_FOR_POOL = 16


@dataclass(frozen=True)
class Plan:
    rules: tuple[RuleSetup, ...]
    settings: Settings
    #: codes whose findings are dropped (FL001 may be ignored explicitly; FL003 never is)
    dropped_meta: frozenset[str] = frozenset()
    #: FL002 (unused `# noqa`): what it needs to know about the run; None when it is off
    unused: UnusedCheck | None = None


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    errors: list[str] = field(default_factory=list)
    internal_error: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    #: display path -> the path linted (where `--fix` reads and writes the file)
    job_paths: dict[str, str] = field(default_factory=dict)
    #: findings `--fix` fixed (the diagnostics are those that remain)
    fixed: int = 0


_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def tune_gc() -> None:
    """For a process that lints: LibCST allocates millions of short-lived, acyclic nodes, and
    the default thresholds run the cycle collector every 700 of them. Objects alive now (the
    imported modules) are moved out of its sight; young collections run 70x less often."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 50)


def _start_worker(plan: Plan) -> None:
    tune_gc()
    _init_worker(plan)


def _lint_chunk(jobs: Sequence[FileJob]) -> list[tuple[FileResult, str]]:
    assert _PLAN is not None
    directives = _PLAN.unused is not None
    return [(lint_file(job, _PLAN.rules, _PLAN.settings, _PLAN.settings.call_depth, directives), job.relpath) for job in jobs]


def _chunks(items: Sequence[FileJob], workers: int) -> list[list[FileJob]]:
    size = max(1, min(64, len(items) // (workers * 8) or 1))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def lint_jobs(jobs: Sequence[FileJob], plan: Plan, workers: int) -> tuple[list[tuple[FileResult, str]], list[str]]:
    """Lint every job; returns the results in job order and any run-level errors."""
    if workers <= 1 or len(jobs) < MIN_FILES_FOR_POOL:
        _init_worker(plan)
        return _lint_chunk(jobs), []
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    results: list[tuple[FileResult, str]] = []
    chunks = _chunks(jobs, workers)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(plan,)) as pool:
            for chunk_result in pool.map(_lint_chunk, chunks):
                results.extend(chunk_result)
    except BrokenProcessPool:
        return results, ["a worker process died; the results are incomplete (rerun with --jobs 1 to find the file)"]
    return results, []


def covers_project(paths: Sequence[str], root: str, cwd: str) -> bool:
    """The run reads the whole project: a path given is the project root or above it."""
    top = Path(os.path.abspath(root))
    for given in paths:
        path = Path(os.path.abspath(os.path.join(cwd, given)))
        if path == top or path in top.parents:
            return True
    return False


def _history_context(
    jobs: Sequence[FileJob], results: Sequence[tuple[FileResult, str]], plan: Plan, workers: int, cwd: str
) -> list[FileResult]:
    """On a run over some files only (a pre-commit hook's changed files), the other revision
    files of each Alembic versions folder a given revision sits in: their facts complete the
    history (heads, missing parents), their findings are not reported."""
    folders = sorted({os.path.dirname(job.path) for job, (result, _) in zip(jobs, results) if result.facts and "alembic" in result.facts})
    if not folders:
        return []
    settings = plan.settings
    given = {job.path for job in jobs}
    found = discover(folders, settings.root, cwd, settings.excludes, settings.respect_gitignore)
    extra = [job for job in found.jobs if job.path not in given and _mentions(job.path, b"down_revision")]
    # facts only: no rule runs on these files
    context, _ = lint_jobs(extra, replace(plan, rules=()), workers)
    return [result for result, _ in context]


def _project_context(jobs: Sequence[FileJob], plan: Plan, workers: int, cwd: str) -> list[FileResult]:
    """`--project-context`: every other file of the project (the configuration's root), read for
    its facts only (no rule runs on it, nothing in it is reported), so that a run over a few files
    (a pre-commit hook's) sees the same routes, dependencies and Alembic history as a full run."""
    settings = plan.settings
    given = {job.path for job in jobs}
    found = discover([settings.root], settings.root, cwd, settings.excludes, settings.respect_gitignore)
    extra = [job for job in found.jobs if job.path not in given]
    context, _ = lint_jobs(extra, replace(plan, rules=(), unused=None), workers)
    return [result for result, _ in context]


def _mentions(path: str, token: bytes) -> bool:
    try:
        with open(path, "rb") as fh:
            return token in fh.read()
    except OSError:
        return False


def run(
    paths: Sequence[str],
    plan: Plan,
    workers: int,
    cwd: str,
    *,
    project_context: bool = False,
    force_exclude: bool = False,
    sources: Mapping[str, str] | None = None,
) -> RunResult:
    """Lint `paths`. A run over part of the project reads the Alembic revision files next to the
    given ones for their facts; with `project_context`, every file of the project (the cross-file
    rules then see what a full run sees, and only the given files are reported). With
    `force_exclude`, the configured excludes apply to files named explicitly too. `sources` (path
    -> text) stands in for the content of those files (a `--fix` round's texts, not yet written)."""
    started = time.perf_counter()
    settings = plan.settings
    found = discover(paths, settings.root, cwd, settings.excludes, settings.respect_gitignore, force_exclude=force_exclude)
    if sources:
        found.jobs = [replace(job, source=sources[job.path]) if job.path in sources else job for job in found.jobs]
    outcome = RunResult(files=len(found.jobs), errors=list(found.errors), job_paths={job.display_path: job.path for job in found.jobs})
    file_results, errors = lint_jobs(found.jobs, plan, workers)
    outcome.errors.extend(errors)
    linted = time.perf_counter()

    complete = covers_project(paths, settings.root, cwd)
    if complete:
        context: list[FileResult] = []
    elif project_context and found.jobs:
        context, complete = _project_context(found.jobs, plan, workers, cwd), True
    else:
        context = _history_context(found.jobs, file_results, plan, workers, cwd)
    facts = [r.facts for r, _ in file_results if r.facts is not None] + [r.facts for r in context if r.facts is not None]
    index = ProjectIndex(facts, call_depth=settings.call_depth)
    ignores = _PerFileIgnores(settings.per_file_ignores)
    diagnostics: list[Diagnostic] = []
    pending = 0
    rules = {setup.rule.code: setup.rule for setup in plan.rules}
    for result, relpath in file_results:
        pending += len(result.pending)
        diagnostics.extend(settle(result, relpath, index, plan, outcome, rules=rules, ignores=ignores, complete=complete))
    diagnostics.sort(key=lambda d: d.sort_key)
    outcome.diagnostics = diagnostics
    sql = Counter()
    for result, _ in file_results:
        sql.update(result.stats)
    outcome.stats = {
        **{key: sql.get(key, 0) for key in ("sql_found", "sql_parsed", "sql_skipped")},
        "files": len(found.jobs),
        "parse_errors": sum(1 for r, _ in file_results if not r.parsed),
        "pending_findings": pending,
        "context_files": len(context),
        "lint_seconds": round(linted - started, 3),
        "project_seconds": round(time.perf_counter() - linted, 3),
        "by_code": dict(sorted(Counter(d.code for d in diagnostics).items())),
    }
    return outcome


def settle(
    result: FileResult,
    relpath: str,
    index: ProjectIndex,
    plan: Plan,
    outcome: RunResult,
    *,
    rules: dict[str, Any] | None = None,
    ignores: _PerFileIgnores | None = None,
    complete: bool = True,
) -> list[Diagnostic]:
    """One file's final findings: its own, the pending ones the project index confirms, FL002
    (directives that silenced nothing), less the dropped codes and the per-file ignores.
    `complete`: the index holds the whole project (else FL002 leaves alone the codes whose
    findings another file might have confirmed)."""
    if rules is None:
        rules = {setup.rule.code: setup.rule for setup in plan.rules}
    if ignores is None:
        ignores = _PerFileIgnores(plan.settings.per_file_ignores)
    outcome.internal_error = outcome.internal_error or result.internal_error
    kept = list(result.diagnostics)
    confirmed = [f for f in result.pending if decide(f.condition, index.oracle)]
    if confirmed:
        try:
            kept.extend(materialize_pending(result, confirmed, rules, index))
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - keep the run going
            outcome.internal_error = True
            outcome.errors.append(f"{result.path}: internal error while placing findings: {type(exc).__name__}: {exc}")
    if plan.unused is not None and result.suppressions is not None and result.parsed and not result.internal_error:
        placed = {id(f) for f in confirmed}
        undecided = () if complete else {f.code for f in result.pending if id(f) not in placed}
        kept.extend(unused_diagnostics(result.path, result.suppressions, result.silenced, plan.unused, undecided))
    return [d for d in kept if d.code not in plan.dropped_meta and not ignores.ignored(relpath, d.code)]


class _PerFileIgnores:
    def __init__(self, entries: Sequence[tuple[str, Sequence[str]]]) -> None:
        self.entries = [(pathspec.GitIgnoreSpec.from_lines([pattern]), tuple(codes)) for pattern, codes in entries]

    def ignored(self, relpath: str, code: str) -> bool:
        if not self.entries:
            return False
        path = PurePosixPath(relpath).as_posix()
        for spec, codes in self.entries:
            if spec.match_file(path) and any(c == "ALL" or code.startswith(c) for c in codes):
                return True
        return False
