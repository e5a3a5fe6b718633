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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from fastlint.analysis.index import ProjectIndex
from fastlint.cache import Cache, run_key
from fastlint.conditions import decide
from fastlint.config import Settings
from fastlint.diagnostics import Diagnostic
from fastlint.discovery import discover
from fastlint.engine import INTERNAL_ERROR, FileJob, FileResult, RuleSetup, _meta_diagnostic, lint_file, materialize_pending
from fastlint.progress import Progress
from fastlint.suppression import UnusedCheck, unused_diagnostics

#: Below this many files a pool costs more than it saves.
MIN_FILES_FOR_POOL = 16
#: From this many files to lint, `--jobs 1` lints in one worker process rather than in the main one
MIN_FILES_FOR_ONE_WORKER = 200
#: From this many files in a run, findings confirmed by the project pass are placed in a child
#: process (`_confirm_and_place`; starting it costs about 0.3 s, nothing on a run this size)
MIN_FILES_TO_PLACE_APART = 2000


def _file_timeout() -> float:
    """Seconds one file may take in a pool worker before the worker is stopped and the file
    gets FL003 (a hang in a parser or a rule must not hang a CI job). The largest real file we
    lint takes a few seconds and a 10 MB generated one under a minute: 300 s is only for hangs.
    `FASTLINT_FILE_TIMEOUT` sets it."""
    try:
        value = float(os.environ.get("FASTLINT_FILE_TIMEOUT", "") or 300.0)
    except ValueError:
        return 300.0
    return value if value > 0 else 300.0


@dataclass(frozen=True)
class Plan:
    rules: tuple[RuleSetup, ...]
    settings: Settings
    #: codes whose findings are dropped (FL001 may be ignored explicitly; FL003 never is)
    dropped_meta: frozenset[str] = frozenset()
    #: FL002 (unused `# noqa`): what it needs to know about the run; None when it is off
    unused: UnusedCheck | None = None
    #: skip parsing files no rule or fact collector can use (`engine.worth_parsing`); off only
    #: to prove that it changes nothing
    prefilter: bool = True


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    errors: list[str] = field(default_factory=list)
    #: problems that do not change the result (the cache could not be written)
    warnings: list[str] = field(default_factory=list)
    internal_error: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    #: display path -> the path linted (where `--fix` reads and writes the file)
    job_paths: dict[str, str] = field(default_factory=dict)
    #: findings `--fix` fixed (the diagnostics are those that remain)
    fixed: int = 0


_PLAN: Plan | None = None
_CACHE: Cache | None = None


def _init_worker(plan: Plan, cache: Cache | None = None) -> None:
    global _PLAN, _CACHE
    _PLAN = plan
    _CACHE = cache


def tune_gc() -> None:
    """For a process that lints: LibCST allocates millions of short-lived, acyclic nodes, and
    the default thresholds run the cycle collector every 700 of them. Objects alive now (the
    imported modules) are moved out of its sight; young collections run 70x less often."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 50)


#: A pool worker marks each file's slot (a byte shared with the main process) STARTED before it
#: lints the file and DONE after: when a worker dies, the files left STARTED are those it was on.
_STARTED, _DONE = 1, 2
#: pools tried on the files whose results a broken pool lost, before the rest go one per process
_POOL_ROUNDS = 3
_SLOTS: Any = None
#: per slot: when the file started (`time.monotonic()`, shared by every process) and in which
#: worker (pid): what the main process's watch needs to stop a worker stuck on one file
_STARTS: Any = None
_PIDS: Any = None
#: the worker is inside `_lint_chunk` (SIGTERM unwinds it there, so a cache write is undone)
_LINTING = False


class _Terminated(SystemExit):
    """SIGTERM in a worker: the run was interrupted, or the pool broke."""


def _on_sigterm(signum: int, frame: Any) -> None:
    if _LINTING:
        raise _Terminated(signum)
    _die_of(signum)


def _die_of(signum: int) -> None:
    """End this worker now, by the signal's default action (its parent sees which signal)."""
    import signal

    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)


def _start_worker(plan: Plan, cache: Cache | None, slots: Any = None, starts: Any = None, pids: Any = None) -> None:
    import signal

    global _SLOTS, _STARTS, _PIDS, _LINTING
    _LINTING = False
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, _on_sigterm)  # the main process's way to stop a worker
    tune_gc()
    _init_worker(plan, cache)
    _SLOTS, _STARTS, _PIDS = slots, starts, pids


def _lint_chunk(items: Sequence[tuple[FileJob, str | None]], slots: Sequence[int] | None = None) -> tuple[list[tuple[FileResult, str]], str | None]:
    """Lint a chunk of jobs (each with its cache key, None for no caching); returns the results
    and the first error met writing the cache. In a pool, `slots` are the jobs' places in the
    shared `_SLOTS`, marked as each file starts and ends. A worker told to stop (SIGTERM) leaves
    from here, after the half-written cache entry, if any, is removed."""
    global _LINTING
    assert _PLAN is not None
    directives = _PLAN.unused is not None
    marks = _SLOTS if slots is not None else None
    out = []
    try:
        # set and cleared inside `try`: wherever SIGTERM lands, the worker ends (see `_on_sigterm`)
        _LINTING = True
        for n, (job, key) in enumerate(items):
            if marks is not None:
                if _STARTS is not None:
                    _STARTS[slots[n]] = time.monotonic()  # type: ignore[index]
                    _PIDS[slots[n]] = os.getpid()  # type: ignore[index]
                marks[slots[n]] = _STARTED  # type: ignore[index]
            data = None
            if key is not None and _CACHE is not None:
                # lint the very bytes the entry is keyed by: a file edited since the main
                # process read it is linted as it is now, and not cached under the old key
                try:
                    with open(job.path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    key = None
                if data is not None and _CACHE.entry_key(job, data) != key:
                    key = None
            result = lint_file(job, _PLAN.rules, _PLAN.settings, _PLAN.settings.call_depth, directives, prefilter=_PLAN.prefilter, data=data)
            result.pack()
            if key is not None and _CACHE is not None:
                _CACHE.store(key, result)
                result.key_held = True
            out.append((result, job.relpath))
            if marks is not None:
                marks[slots[n]] = _DONE  # type: ignore[index]
        _LINTING = False
    except _Terminated as stop:
        if _CACHE is not None:
            # SIGTERM may land between `mkstemp` and the `try` that would remove its file
            _CACHE.remove_temporary([os.getpid()])
        _die_of(stop.code if isinstance(stop.code, int) else 15)
    return out, _CACHE.write_error if _CACHE is not None else None


def _chunks(items: Sequence[Any], workers: int) -> list[list[Any]]:
    size = max(1, min(64, len(items) // (workers * 8) or 1))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Linted:
    """The results of `lint_jobs`, in job order, with each one's cache key."""

    results: list[tuple[FileResult, str]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hits: int = 0
    #: a context pass's jobs, plan and cache (to read its stubs' entries if need be: `_unstub`)
    jobs: Sequence[FileJob] = ()
    plan: Plan | None = None
    cache: Cache | None = None


def lint_jobs(
    jobs: Sequence[FileJob],
    plan: Plan,
    workers: int,
    cache: Cache | None = None,
    progress: Progress | None = None,
    *,
    keys: Sequence[str | None] | None = None,
    stubs: Mapping[int, FileResult] | None = None,
) -> Linted:
    """Lint every job: results from the cache where an entry matches, the others linted (in a
    pool of `workers` processes for more than a few files) and stored. `keys`: the jobs' cache
    keys if known; `stubs`: stand-ins (by job) for files whose entries need not be read."""
    out = Linted()
    if keys is None:
        keys = [cache.job_key(job) for job in jobs] if cache is not None else [None] * len(jobs)
    keys = list(keys)
    results: list[tuple[FileResult, str] | None] = [None] * len(jobs)
    todo: list[int] = []
    for i, (job, key) in enumerate(zip(jobs, keys)):
        if stubs and i in stubs:
            results[i] = (stubs[i], job.relpath)
            out.hits += 1
            continue
        hit = cache.load(key) if cache is not None and key is not None else None
        if hit is not None:
            results[i] = (hit, job.relpath)
            out.hits += 1
        else:
            todo.append(i)
    if progress is not None:
        progress.start(len(jobs), done=out.hits)
    items = [(jobs[i], keys[i] if jobs[i].source is None else None) for i in todo]
    done: list[tuple[FileResult, str]] = []
    write_error: str | None = None
    try:
        # `--jobs 1` over many files still lints in one worker process: the parse trees then
        # never share a heap with the results the main process keeps for the project pass (in
        # one process, the two interleaved took a cold run over 6,500 files from 400 to 600 MB)
        if len(items) < MIN_FILES_FOR_POOL or (workers <= 1 and len(items) < MIN_FILES_FOR_ONE_WORKER):
            _init_worker(plan, cache)
            for chunk in _chunks(items, 1):
                chunk_results, error = _lint_chunk(chunk)
                done.extend(chunk_results)
                write_error = write_error or error
                if progress is not None:
                    progress.advance(len(chunk_results))
        else:
            done, write_error = _lint_in_pool(items, plan, cache, workers, progress)
    finally:
        if progress is not None:
            progress.finish()
    for i, result in zip(todo, done):
        results[i] = result
        if not result[0].key_held:  # not linted from the bytes keyed (edited meanwhile), or no cache
            keys[i] = None
    out.results = [r for r in results if r is not None]
    out.keys = [k for r, k in zip(results, keys) if r is not None]
    if write_error:
        out.warnings.append(f"{write_error} (the run goes on without it; --no-cache silences this)")
    return out


Item = tuple[FileJob, "str | None"]


def _lint_in_pool(
    items: Sequence[Item], plan: Plan, cache: Cache | None, workers: int, progress: Progress | None
) -> tuple[list[tuple[FileResult, str]], str | None]:
    """Lint `items` in a pool of `workers` processes; the results in the order of `items`, and
    the first error met writing the cache.

    A worker that dies (killed, out of memory) breaks the pool. The files whose results were lost
    with it are linted again in a fresh pool, except those a worker had started and not finished:
    each of those is linted alone in a process of its own, so a file that was only a bystander
    (on a worker the broken pool stopped) gets its real result, and the file that kills its
    process again gets FL003 saying so."""
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    results: list[tuple[FileResult, str] | None] = [None] * len(items)
    write_error: str | None = None
    order = list(range(len(items)))
    alone: list[int] = []
    timeout = _file_timeout()
    for _ in range(_POOL_ROUNDS):
        retry, suspects, error, stopped = _pool_round(order, items, results, plan, cache, workers, context, progress, timeout)
        write_error = write_error or error
        for i in stopped:
            results[i] = _internal_error(items[i][0], f"fastlint stopped linting this file after {timeout:g} s (a hang in a parser or a rule?)")
            if progress is not None:
                progress.advance(1)
        alone.extend(i for i in suspects if i not in stopped)
        stuck = len(retry) == len(order)  # no file got anywhere: no pool will
        order = retry
        if not order or stuck:
            break
    alone.extend(order)  # what the pools could not lint
    for i in sorted(alone):
        results[i], error = _lint_alone(items[i], plan, cache, context, timeout)
        write_error = write_error or error
        if progress is not None:
            progress.advance(1)
    return [r for r in results if r is not None], write_error


def _pool_round(
    order: Sequence[int],
    items: Sequence[Item],
    results: list[tuple[FileResult, str] | None],
    plan: Plan,
    cache: Cache | None,
    workers: int,
    context: Any,
    progress: Progress | None,
    timeout: float,
) -> tuple[list[int], list[int], str | None, set[int]]:
    """One pool over `items[i] for i in order`, filling `results`. Returns, if the pool broke,
    the files to lint again (their results were lost, but no worker died on them) and the
    suspects (a worker had started them and not finished), the first cache write error, and the
    files whose worker was stopped after `timeout` seconds on them (`_Watch`). Ctrl-C stops the
    workers (`_stop_pool`) and goes on up."""
    slots = context.RawArray("b", len(items))
    starts = context.RawArray("d", len(items))
    pids = context.RawArray("i", len(items))
    watch = _Watch(slots, starts, pids, timeout)
    chunks = _chunks(order, workers)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=context, initializer=_start_worker, initargs=(plan, cache, slots, starts, pids)
    )
    retry: list[int] = []
    suspects: list[int] = []
    write_error: str | None = None
    try:
        futures = []
        for chunk in chunks:
            try:
                futures.append(pool.submit(_lint_chunk, [items[i] for i in chunk], chunk))
            except BrokenProcessPool:
                futures.append(None)
        for chunk, future in zip(chunks, futures):
            try:
                if future is None:
                    raise BrokenProcessPool("not submitted")
                chunk_results, error = watch.result(future)
            except BrokenProcessPool:
                for i in chunk:
                    (suspects if slots[i] == _STARTED else retry).append(i)
                continue
            except Exception:  # noqa: BLE001 - the chunk's results could not come back: file by file
                suspects.extend(chunk)
                continue
            for i, result in zip(chunk, chunk_results):
                results[i] = result
            write_error = write_error or error
            if progress is not None:
                progress.advance(len(chunk_results))
    except BaseException:
        _stop_pool(pool, cache)
        raise
    pool.shutdown()
    if cache is not None and watch.killed:
        cache.remove_temporary(watch.killed)
    return retry, suspects, write_error, watch.stopped


class _Watch:
    """The main process's watch over a pool: while it waits for a chunk, once a second (at most)
    it looks for a file started more than `timeout` seconds ago and not done, and stops the
    worker on it: SIGTERM (the worker cleans up and exits), then SIGKILL two seconds later if it
    is still there (a native parser holding the interpreter runs no signal handler). The pool
    breaks, as when a worker dies; the files stopped on get FL003, the others are linted again."""

    def __init__(self, slots: Any, starts: Any, pids: Any, timeout: float) -> None:
        self.slots, self.starts, self.pids, self.timeout = slots, starts, pids, timeout
        self.stopped: set[int] = set()
        self.killed: list[int] = []  # pids sent SIGKILL
        self._terminated: dict[int, float] = {}  # slot -> when SIGTERM was sent

    def result(self, future: Any) -> Any:
        from concurrent.futures import TimeoutError as FutureTimeout

        tick = min(1.0, self.timeout / 4)
        while True:
            try:
                return future.result(timeout=tick)
            except FutureTimeout:
                self.check()

    def check(self) -> None:
        import signal

        now = time.monotonic()
        slots, starts = self.slots, self.starts
        for i in range(len(slots)):
            if slots[i] != _STARTED:
                continue
            if i in self._terminated:
                if now - self._terminated[i] > 2.0 and self.pids[i] not in self.killed:
                    _signal(self.pids[i], signal.SIGKILL)
                    self.killed.append(self.pids[i])
                continue
            if now - starts[i] > self.timeout:
                self.stopped.add(i)
                self._terminated[i] = now
                _signal(self.pids[i], signal.SIGTERM)


def _signal(pid: int, signum: int) -> None:
    if pid > 0 and pid != os.getpid():
        try:
            os.kill(pid, signum)
        except OSError:  # gone already
            pass


def _internal_error(job: FileJob, message: str) -> tuple[FileResult, str]:
    result = FileResult(path=job.display_path, internal_error=True)
    result.diagnostics.append(
        _meta_diagnostic(
            INTERNAL_ERROR,
            job.display_path,
            message,
            "Report this at the fastlint issue tracker with the file if you can; the other files' results are complete",
        )
    )
    return result, job.relpath


def _stop_pool(pool: ProcessPoolExecutor, cache: Cache | None = None) -> None:
    """Ctrl-C during a pool: cancel the chunks not started and stop the workers. SIGTERM makes a
    worker remove the cache entry it was writing, if any, and exit; one still there a second
    later is killed, and its temporary file, if any, removed."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + 1.0
    killed = []
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            process.kill()
            process.join()
            killed.append(process.pid)
    if cache is not None and killed:
        cache.remove_temporary(killed)


def _lint_alone(item: Item, plan: Plan, cache: Cache | None, context: Any, timeout: float) -> tuple[tuple[FileResult, str], str | None]:
    """Lint one file in a process of its own (a file a worker was on when the pool broke): its
    real result, or FL003 when that process dies too, takes more than `timeout` seconds, or its
    result cannot come back."""
    job = item[0]
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_alone, args=(send, plan, cache, item), daemon=True)
    try:
        process.start()
        send.close()
        stuck = False
        try:
            if receive.poll(timeout):
                payload = receive.recv()
            else:
                payload, stuck = None, True
                process.terminate()
                process.join(2.0)
                if process.exitcode is None:
                    process.kill()
                    process.join()
                    if cache is not None:
                        cache.remove_temporary([process.pid])
        except EOFError:  # it died
            payload = None
        except Exception as exc:  # noqa: BLE001 - a result that cannot be read back
            payload = ("error", f"{type(exc).__name__}: {exc}"[:200])
        process.join()
    except BaseException:
        if process.pid is not None and process.exitcode is None:
            process.terminate()
            process.join()
        raise
    finally:
        receive.close()
    if payload is not None and payload[0] == "ok":
        chunk_results, error = payload[1]
        return chunk_results[0], error
    if stuck:
        message = f"fastlint stopped linting this file after {timeout:g} s (a hang in a parser or a rule?)"
    elif payload is None:
        message = f"fastlint's worker process died linting this file: {_death(process.exitcode)}"
    else:
        message = f"fastlint could not bring this file's result back from its worker process: {payload[1]}"
    return _internal_error(job, message), None


def _alone(conn: Any, plan: Plan, cache: Cache | None, item: Item) -> None:
    _start_worker(plan, cache)
    try:
        payload: tuple[str, Any] = ("ok", _lint_chunk([item]))
        conn.send(payload)
    except Exception as exc:  # noqa: BLE001 - a result that cannot be sent back: say why
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    conn.close()


def _death(exitcode: int | None) -> str:
    """How a worker process ended, in words: `killed by SIGKILL (out of memory?)`."""
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}" + (" (out of memory?)" if -exitcode == signal.SIGKILL else "")
    return f"it exited with status {exitcode}"


def covers_project(paths: Sequence[str], root: str, cwd: str) -> bool:
    """The run reads the whole project: a path given is the project root or above it."""
    top = Path(os.path.abspath(root))
    for given in paths:
        path = Path(os.path.abspath(os.path.join(cwd, given)))
        if path == top or path in top.parents:
            return True
    return False


def _history_context(
    jobs: Sequence[FileJob],
    results: Sequence[tuple[FileResult, str]],
    plan: Plan,
    workers: int,
    cwd: str,
    cache: Cache | None,
    walked: Sequence[str] = (),
    kept: Mapping[str, Any] | None = None,
) -> Linted:
    """On a run over some files only (a pre-commit hook's changed files), the other revision
    files of each Alembic versions folder a given revision sits in: their facts complete the
    history (heads, missing parents), their findings are not reported. A folder inside one of
    the directories the run `walked` has had every file read already."""
    folders = sorted({os.path.dirname(job.path) for job, (result, _) in zip(jobs, results) if _is_revision(result)})
    tops = [top.rstrip(os.sep) + os.sep for top in walked]
    folders = [folder for folder in folders if not any((folder + os.sep).startswith(top) for top in tops)]
    if not folders:
        return Linted()
    settings = plan.settings
    given = {job.path for job in jobs}
    found = discover(folders, settings.root, cwd, settings.excludes, settings.respect_gitignore)
    extra = [job for job in found.jobs if job.path not in given and _mentions(job.path, b"down_revision")]
    # facts only: no rule runs on these files
    return _lint_context(extra, plan, workers, cache, None, kept or {})


def _is_revision(result: FileResult) -> bool:
    return result.revision or bool(result.facts and "alembic" in result.facts)


def _project_context(
    jobs: Sequence[FileJob], plan: Plan, workers: int, cwd: str, cache: Cache | None, progress: Progress | None, kept: Mapping[str, Any] | None = None
) -> Linted:
    """`--project-context`: every other file of the project (the configuration's root), read for
    its facts only (no rule runs on it, nothing in it is reported), so that a run over a few files
    (a pre-commit hook's) sees the same routes, dependencies and Alembic history as a full run."""
    settings = plan.settings
    given = {job.path for job in jobs}
    found = discover([settings.root], settings.root, cwd, settings.excludes, settings.respect_gitignore)
    extra = [job for job in found.jobs if job.path not in given]
    return _lint_context(extra, plan, workers, cache, progress, kept or {})


def _lint_context(
    jobs: Sequence[FileJob], plan: Plan, workers: int, cache: Cache | None, progress: Progress | None, kept: Mapping[str, Any]
) -> Linted:
    """Read `jobs` for their facts only (no rule runs); those whose key is the one the settled
    record `kept` are stubs, their entries not read."""
    facts_plan = replace(plan, rules=(), unused=None)
    facts_cache = _facts_cache(facts_plan, cache)
    keys = [facts_cache.job_key(job) for job in jobs] if facts_cache is not None else None
    stubs = _stubs(jobs, keys, kept) if kept and keys is not None else {}
    out = lint_jobs(jobs, facts_plan, workers, facts_cache, progress, keys=keys, stubs=stubs)
    out.jobs, out.plan, out.cache = jobs, facts_plan, facts_cache
    return out


def _facts_cache(facts_plan: Plan, cache: Cache | None) -> Cache | None:
    """The cache of a facts-only pass: its own entries, and (read-only) those of full runs,
    whose facts are the same."""
    if cache is None:
        return None
    return Cache(cache.directory, run_key((), facts_plan.settings, False), fallbacks=(cache.key,))


def make_cache(plan: Plan, directory: Path) -> Cache:
    return Cache(directory, run_key(plan.rules, plan.settings, plan.unused is not None))


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
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Lint `paths`. A run over part of the project reads the Alembic revision files next to the
    given ones for their facts; with `project_context`, every file of the project (the cross-file
    rules then see what a full run sees, and only the given files are reported). With
    `force_exclude`, the configured excludes apply to files named explicitly too. `sources` (path
    -> text) stands in for the content of those files (a `--fix` round's texts, not yet written).
    With a `cache`, files whose entry matches are not linted again (see `fastlint.cache`)."""
    started = time.perf_counter()
    settings = plan.settings
    found = discover(paths, settings.root, cwd, settings.excludes, settings.respect_gitignore, force_exclude=force_exclude)
    if sources:
        found.jobs = [replace(job, source=sources[job.path]) if job.path in sources else job for job in found.jobs]
    outcome = RunResult(files=len(found.jobs), errors=list(found.errors), job_paths={job.display_path: job.path for job in found.jobs})
    # the record of the last run over these paths (`_settle_all`): a file with the key it had
    # then needs no entry read (a stub), unless the project's facts turn out to have changed
    keys = [cache.job_key(job) for job in found.jobs] if cache is not None else None
    shape = record = None
    stubs: dict[int, FileResult] = {}
    if cache is not None and keys is not None and not sources and not outcome.errors and all(k is not None for k in keys):
        shape = _shape(paths, cwd, covers_project(paths, settings.root, cwd) or (project_context and bool(found.jobs)))
        record = cache.load_settled(shape)
        if isinstance(record, dict) and record.get("format") == _RECORD_FORMAT:
            stubs = _stubs(found.jobs, keys, record["files"])
        else:
            record = None
    linted_files = lint_jobs(found.jobs, plan, workers, cache, progress, keys=keys, stubs=stubs)
    file_results = linted_files.results
    outcome.errors.extend(linted_files.errors)
    outcome.warnings.extend(linted_files.warnings)
    linted = time.perf_counter()

    complete = covers_project(paths, settings.root, cwd)
    kept_context = record.get("context", {}) if record is not None else {}
    context = Linted()
    if complete:
        pass
    elif project_context and found.jobs:
        context, complete = _project_context(found.jobs, plan, workers, cwd, cache, progress, kept_context), True
    else:
        walked = [os.path.abspath(os.path.join(cwd, p)) for p in paths if os.path.isdir(os.path.join(cwd, p))]
        context = _history_context(found.jobs, file_results, plan, workers, cwd, cache, walked, kept_context)
    keys = linted_files.keys
    if outcome.errors or len(keys) != len(found.jobs) or not all(k is not None for k in keys + context.keys):
        shape = None  # not a run to keep
    diagnostics, pending, placed, reused = _settle_all(
        file_results, keys, context, plan, outcome, complete, cache, shape, record, lambda: _unstub_all(file_results, keys, found.jobs, plan, workers, cache, context)
    )
    diagnostics.sort(key=lambda d: d.sort_key)
    outcome.diagnostics = diagnostics
    if cache is not None and complete and not sources and not outcome.errors:
        cache.prune({k for k in linted_files.keys + context.keys if k is not None})
    sql: Counter[str] = Counter()
    for result, _ in file_results:
        sql.update(result.stats)
    outcome.stats = {
        **{key: sql.get(key, 0) for key in ("sql_found", "sql_parsed", "sql_skipped")},
        "files": len(found.jobs),
        "cache_hits": linted_files.hits,
        "files_linted": len(found.jobs) - linted_files.hits,
        "context_linted": len(context.results) - context.hits,
        "files_placed_again": placed,
        "settled_from_cache": reused,
        "parse_errors": sum(1 for r, _ in file_results if not r.parsed),
        "prefiltered": sum(1 for r, _ in file_results if r.prefiltered),
        "pending_findings": pending,
        "context_files": len(context.results),
        "lint_seconds": round(linted - started, 3),
        "project_seconds": round(time.perf_counter() - linted, 3),
        "by_code": dict(sorted(Counter(d.code for d in diagnostics).items())),
    }
    return outcome


_RECORD_FORMAT = 2


def _stubs(jobs: Sequence[FileJob], keys: Sequence[str | None], kept: Mapping[str, Any]) -> dict[int, FileResult]:
    """Stand-ins for the files whose key is the one the record kept."""
    out: dict[int, FileResult] = {}
    for i, (job, key) in enumerate(zip(jobs, keys)):
        entry = kept.get(job.display_path)
        if entry is not None and entry["key"] == key:
            out[i] = FileResult(
                path=job.display_path,
                parsed=entry["parsed"],
                prefiltered=entry["prefiltered"],
                stats=entry["stats"],
                facts_digest=entry["facts"],
                stub=True,
                revision=entry["revision"],
            )
    return out


def _unstub(file_results: list[tuple[FileResult, str]], keys: list[str | None], jobs: Sequence[FileJob], plan: Plan, workers: int, cache: Cache | None) -> None:
    """Replace the stubs by the files' real results (their entries, or a lint where one is gone)."""
    where = [i for i, (result, _) in enumerate(file_results) if result.stub]
    if not where:
        return
    again = lint_jobs([jobs[i] for i in where], plan, workers, cache, keys=[keys[i] for i in where])
    for i, result, key in zip(where, again.results, again.keys):
        file_results[i] = result
        keys[i] = key


def _unstub_all(
    file_results: list[tuple[FileResult, str]], keys: list[str | None], jobs: Sequence[FileJob], plan: Plan, workers: int, cache: Cache | None, context: Linted
) -> None:
    _unstub(file_results, keys, jobs, plan, workers, cache)
    if context.plan is not None:
        _unstub(context.results, context.keys, context.jobs, context.plan, workers, context.cache)


def _shape(paths: Sequence[str], cwd: str, complete: bool) -> str:
    """The name of a run's settled record: the cwd and the paths given (so that runs over other
    paths, a pre-commit hook's file lists, do not overwrite a full run's), and whether the run
    covers the project."""
    import hashlib

    text = f"{cwd}\0{complete}\0" + "\0".join(paths)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _project_digest(complete: bool, file_results: Sequence[tuple[FileResult, str]], context: Linted) -> str:
    """What the project index is built from: every file's facts, in order (equal digests, equal
    indexes, equal answers). A stub carries its file's digest."""
    import hashlib

    h = hashlib.blake2b(f"{complete}\0".encode(), digest_size=16)
    for results in (file_results, context.results):
        for result, _ in results:
            if result.facts_digest:
                h.update(f"{result.path}\0{result.facts_digest}\0".encode("utf-8", "surrogatepass"))
        h.update(b"\1")
    return h.hexdigest()


class _Unknown(BaseException):
    """A question the kept answers do not hold (not an `Exception`: nothing on the way may
    swallow it)."""


class _Recording:
    """The project index, keeping every answer it gives (the next run may replay them)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.answers: dict[str, Any] = {}
        self.texts: dict[str, Any] = {}

    def oracle(self, atom: Sequence[Any]) -> Any:
        key = repr(atom)
        try:
            return self.answers[key]
        except KeyError:
            value = self.answers[key] = self.index.oracle(atom)
            return value

    def lookup(self, query: str, args: Sequence[Any]) -> Any:
        key = repr((query, args))
        try:
            return self.texts[key]
        except KeyError:
            value = self.texts[key] = self.index.lookup(query, args)
            return value


class _Replaying:
    """The answers a `_Recording` kept, for a project whose facts are all the same."""

    def __init__(self, answers: dict[str, Any], texts: dict[str, Any]) -> None:
        self.answers = answers
        self.texts = texts

    def oracle(self, atom: Sequence[Any]) -> Any:
        try:
            return self.answers[repr(atom)]
        except KeyError:
            raise _Unknown from None

    def lookup(self, query: str, args: Sequence[Any]) -> Any:
        try:
            return self.texts[repr((query, args))]
        except KeyError:
            raise _Unknown from None


def _settle_all(
    file_results: list[tuple[FileResult, str]],
    keys: list[str | None],
    context: Linted,
    plan: Plan,
    outcome: RunResult,
    complete: bool,
    cache: Cache | None,
    shape: str | None,
    record: dict[str, Any] | None,
    unstub: Callable[[], None],
) -> tuple[list[Diagnostic], int, int, bool]:
    """Every file's final findings; also the number of waiting findings, of files whose
    findings were placed now, and whether the kept record was used.

    With a `shape` (a cached run whose files all have keys), the run's record is kept: each
    file's key, facts digest and settled findings, and every answer the project index gave.
    When every file's facts are those of the `record` (`_project_digest`), the index would be
    the same: a file whose key is the record's keeps its findings (it is a stub: its entry was
    not even read), and the others (edited without changing their facts: most edits inside a
    function body) are settled with the recorded answers. A question the record cannot answer
    means a full settle (`unstub` first reads the stubs' entries). One edited file in a
    6,500-file project then costs its own lint, not the project pass."""
    project = _project_digest(complete, file_results, context)
    if record is not None and record["project"] == project:
        scratch = RunResult()
        try:
            found = _settle_from_record(record, file_results, keys, plan, scratch, complete, cache)
        except _Unknown:
            found = None
        if found is not None:
            outcome.errors.extend(scratch.errors)
            outcome.internal_error = outcome.internal_error or scratch.internal_error
            diagnostics, pending, placed, changed = found
            if changed and cache is not None and shape is not None and not scratch.errors and not scratch.internal_error:
                record["files"].update(changed)
                cache.store_settled(shape, record)
            return diagnostics, pending, placed, True
    unstub()
    index = _Recording(ProjectIndex([r.facts for r, _ in (*file_results, *context.results) if r.facts is not None], call_depth=plan.settings.call_depth))
    ignores = _PerFileIgnores(plan.settings.per_file_ignores)
    rules = {setup.rule.code: setup.rule for setup in plan.rules}
    diagnostics: list[Diagnostic] = []
    files: dict[str, dict[str, Any]] = {}
    pending = placed = 0
    # a large run decides every file first, to place the confirmed findings in one child process;
    # a smaller one decides and places each file as it settles it (no second unpacking)
    large = len(file_results) >= MIN_FILES_TO_PLACE_APART
    decided: Sequence[list[int] | None] = _confirm_and_place(file_results, index, rules) if large else [None] * len(file_results)
    for ((result, relpath), key), confirmed_at in zip(zip(file_results, keys), decided):
        silenced = list(result.silenced)
        own = settle(result, relpath, index, plan, outcome, rules=rules, ignores=ignores, complete=complete, confirmed_at=confirmed_at)  # type: ignore[arg-type]
        diagnostics.extend(own)
        files[result.path] = _kept(result, key, own)
        pending += len(result.pending)
        placed += _after_settle(result, key, cache, silenced)
    if cache is not None and shape is not None and not outcome.errors and not outcome.internal_error:
        context_kept = {result.path: _kept(result, key, []) for (result, _), key in zip(context.results, context.keys)}
        kept = {"format": _RECORD_FORMAT, "project": project, "files": files, "context": context_kept, "answers": index.answers, "texts": index.texts}
        cache.store_settled(shape, kept)
    return diagnostics, pending, placed, False


def _confirm_and_place(file_results: Sequence[tuple[FileResult, str]], index: Any, rules: dict[str, Any]) -> list[list[int]]:
    """Decide every file's waiting findings (their places in `pending`), and place the confirmed
    ones not placed yet (for a large run). Placing means parsing the file again (LibCST trees weigh
    a hundred times the source); it is done in a child process, so that the parse memory is the
    child's, not the main process's, which holds the whole project's facts (the large corpus,
    cold, `--jobs 2`: main process 570 MB peak before, 392 MB after). The placements come back and
    are kept as usual."""
    decided: list[list[int]] = []
    work: list[tuple[int, list[int]]] = []
    for n, (result, _) in enumerate(file_results):
        if not result.pending and result.pending_blob is None:
            decided.append([])
            continue
        result.unpack()
        at = [i for i, f in enumerate(result.pending) if decide(f.condition, index.oracle)]
        decided.append(at)
        unplaced = [i for i in at if result.pending[i].placed is None and i not in result.placements]
        if unplaced:
            work.append((n, unplaced))
        if result.pending_blob is not None:
            result.pending = []  # the bytes stay: unpacked again when settled
    if work:
        placed = _place_in_child(file_results, work, rules)
        for (n, unplaced), wheres in zip(work, placed or ()):
            result = file_results[n][0]
            for i, where in zip(unplaced, wheres):
                result.placements[i] = where
            result.placed_now = True
    return decided


#: the child of `_place_in_child`: a fresh interpreter that takes `sys.path`, then the work, from
#: stdin (pickled) and writes the placements to stdout
_PLACER = "import sys, pickle; sys.path[:0] = pickle.load(sys.stdin.buffer); from fastlint.runner import _placer_main; _placer_main()"


def _place_in_child(file_results: Sequence[tuple[FileResult, str]], work: Sequence[tuple[int, list[int]]], rules: dict[str, Any]) -> list[Any] | None:
    """`_place_pending` for each (file, findings) of `work`, in a child process started afresh:
    a forked child would share, and count in its size, every page of this process, and
    multiprocessing's spawn would run the caller's main module again (a script calling the API
    without a `__main__` guard). The child gets only the results it places, without their facts.
    None if it fails: the findings are then placed in this process, as they are settled."""
    import pickle
    import subprocess
    import sys

    subset = [replace(file_results[n][0], facts=None) for n, _ in work]
    payload = pickle.dumps(list(sys.path), protocol=pickle.HIGHEST_PROTOCOL) + pickle.dumps(
        (subset, [unplaced for _, unplaced in work], rules), protocol=pickle.HIGHEST_PROTOCOL
    )
    try:
        done = subprocess.run([sys.executable, "-c", _PLACER], input=payload, capture_output=True, check=False)
        placed = pickle.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        return None
    return placed if isinstance(placed, list) and len(placed) == len(work) else None


def _placer_main() -> None:
    """The child of `_place_in_child`."""
    import pickle
    import signal
    import sys

    from fastlint.engine import _place_pending

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    tune_gc()
    results, work, rules = pickle.load(sys.stdin.buffer)
    out = []
    for result, unplaced in zip(results, work):
        result.unpack()
        out.append(_place_pending(result, [result.pending[i] for i in unplaced], rules))
        result.pending = []
    sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def _kept(result: FileResult, key: str | None, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """What the record keeps of a settled file: enough to stand in for it (`_stubs`)."""
    return {
        "key": key,
        "diagnostics": diagnostics,
        "pending": len(result.pending),
        "facts": result.facts_digest,
        "parsed": result.parsed,
        "prefiltered": result.prefiltered,
        "stats": result.stats,
        "revision": _is_revision(result),
    }


def _settle_from_record(
    record: dict[str, Any],
    file_results: Sequence[tuple[FileResult, str]],
    keys: Sequence[str | None],
    plan: Plan,
    outcome: RunResult,
    complete: bool,
    cache: Cache | None,
) -> tuple[list[Diagnostic], int, int, dict[str, Any]]:
    replay = _Replaying(record["answers"], record["texts"])
    kept = record["files"]
    ignores = _PerFileIgnores(plan.settings.per_file_ignores)
    rules = {setup.rule.code: setup.rule for setup in plan.rules}
    diagnostics: list[Diagnostic] = []
    changed: dict[str, Any] = {}
    pending = placed = 0
    for (result, relpath), key in zip(file_results, keys):
        before = kept.get(result.path)
        if before is not None and key is not None and before["key"] == key:
            diagnostics.extend(before["diagnostics"])
            pending += before["pending"]
            continue
        silenced = list(result.silenced)
        own = settle(result, relpath, replay, plan, outcome, rules=rules, ignores=ignores, complete=complete)  # type: ignore[arg-type]
        diagnostics.extend(own)
        changed[result.path] = _kept(result, key, own)
        pending += len(result.pending)
        placed += _after_settle(result, key, cache, silenced)
    return diagnostics, pending, placed, changed


def _after_settle(result: FileResult, key: str | None, cache: Cache | None, silenced: list[Any]) -> int:
    """Drop the waiting findings' objects (their bytes stay), and keep new placements in the
    file's cache entry (with the findings its directives silenced before this settle: `silenced`),
    so that the next run need not parse the file again. 1 if placed now."""
    if result.pending_blob is not None:
        result.pending = []
    if not result.placed_now:
        return 0
    if cache is not None and key is not None and result.source_text is None:
        cache.store(key, replace(result, silenced=silenced, placed_now=False))
    return 1


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
    confirmed_at: Sequence[int] | None = None,
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
    result.unpack()
    kept = list(result.diagnostics)
    if confirmed_at is not None:  # decided already (`_confirm_and_place`)
        confirmed = [result.pending[i] for i in confirmed_at]
    else:
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
