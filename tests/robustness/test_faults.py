"""Fault isolation and interruption: a rule that raises, a worker process that dies and a Ctrl-C
each end the run cleanly, with every other file's result intact and no half-written file.

Faults are injected without touching the real rules: a rule's visit method is wrapped (or a
function of the standard library patched) in the test process before the run. Pool workers are
forked, so they inherit the patch; the wrapper acts only for the file named in the test, and
says in which process it ran, which proves that the pool was really used.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fastlint import runner
from fastlint.cache import Cache
from fastlint.cli import cli
from fastlint.rules.security.debug_in_production import DebugInProduction
from tests.conftest import write
from tests.harness import ROOT

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="faults are injected into forked workers"
)
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="child processes are listed from /proc")

MAIN_PID = os.getpid()

#: FL406 on line 6 (its visit method is the one the tests break), FL204 on line 15
SOURCE = """import uvicorn
from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

app = FastAPI(debug=True)


def get_db():
    yield None


@app.get("/items/{item_id}")
def read_item(item_id: int, db: Session = Depends(get_db)):
    return db.execute(text("SELECT id, name FROM items WHERE id = :id"), {"id": item_id}).all()
"""

#: safe fixes for FL103 (the `yield` into `try`/`finally`) and FL406 (`debug=True`, `reload=True`)
FIXABLE = """import uvicorn
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://db/app")
SessionLocal = sessionmaker(bind=engine)
app = FastAPI(debug=True)


def get_db():
    db = SessionLocal()
    yield db
    db.close()


@app.get("/items/{item_id}")
def read_item(item_id: int, db: Session = Depends(get_db)):
    return db.get(dict, item_id)


uvicorn.run(app, reload=True)
"""
FIXED = (
    FIXABLE.replace("FastAPI(debug=True)", "FastAPI()")
    .replace("uvicorn.run(app, reload=True)", "uvicorn.run(app)")
    .replace("    yield db\n    db.close()\n", "    try:\n        yield db\n    finally:\n        db.close()\n")
)


def _tree(root: Path, count: int, text: str = SOURCE) -> list[str]:
    names = [f"m{i:03d}.py" for i in range(count)]
    for name in names:
        write(root, name, text)
    return names


def _check(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    """`fastlint check` in-process: exit code, findings (JSON), stderr."""
    result = CliRunner().invoke(cli, ["check", "--isolated", "--format", "json", *args], catch_exceptions=False)
    findings = json.loads(result.stdout)["diagnostics"] if result.stdout else []
    return result.exit_code, findings, result.stderr


def _where() -> str:
    return "the main process" if os.getpid() == MAIN_PID else "a worker process"


def _break_fl406(monkeypatch: pytest.MonkeyPatch, victims: set[str], fault: Callable[[], None]) -> None:
    """FL406's `visit_Call` runs `fault()` on the files named `victims`, and works elsewhere."""
    original = DebugInProduction.visit_Call

    def visit_Call(self: DebugInProduction, node: Any) -> None:
        if Path(self.ctx.path).name in victims:
            fault()
        original(self, node)

    monkeypatch.setattr(DebugInProduction, "visit_Call", visit_Call)


def _entries(cache_dir: Path) -> Iterator[tuple[Path, Cache]]:
    """The per-file entries (not the settled findings of whole runs, in `settled/`)."""
    for path in cache_dir.glob("v1-*/*/*"):
        if path.parent.name != "settled":
            yield path, Cache(cache_dir, path.parent.parent.name[len("v1-") :])


def _temporary_files(root: Path) -> list[str]:
    """What an interrupted write could leave: the cache's `.tmp-*` and `--fix`'s `*.fastlint-tmp`."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.startswith(".tmp-") or p.name.endswith(".fastlint-tmp"))


# -- a rule that raises ------------------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize(("jobs", "where"), [("1", "the main process"), ("2", "a worker process")])
def test_a_rule_that_raises_on_one_file_is_fl003_there_only(in_tmp: Path, monkeypatch: pytest.MonkeyPatch, jobs: str, where: str) -> None:
    """FL406 raises on m007.py: that file gets FL003 naming the rule and the error, and keeps its
    other rules' findings (FL204); the 19 other files keep every finding, FL406's included; exit
    2. The same in the main process (`--jobs 1`) and in a pool (20 files is enough for one: the
    message says where the rule ran)."""
    assert runner.MIN_FILES_FOR_POOL <= 20
    _tree(in_tmp, 20)
    code, reference, _ = _check("--jobs", jobs)
    assert code == 1
    assert {(d["path"], d["line"], d["code"]) for d in reference if d["path"] == "m007.py"} == {("m007.py", 6, "FL406"), ("m007.py", 15, "FL204")}

    def fault() -> None:
        raise RuntimeError(f"injected fault in {_where()}")

    _break_fl406(monkeypatch, {"m007.py"}, fault)
    code, findings, stderr = _check("--jobs", jobs)
    assert code == 2
    assert stderr == ""
    victim = [d for d in findings if d["path"] == "m007.py"]
    assert [(d["line"], d["code"], d["message"]) for d in victim] == [
        (1, "FL003", f"rule FL406 (debug-in-production) failed on this file: RuntimeError: injected fault in {where}"),
        (15, "FL204", next(d["message"] for d in reference if d["path"] == "m007.py" and d["code"] == "FL204")),
    ]
    assert [d for d in findings if d["path"] != "m007.py"] == [d for d in reference if d["path"] != "m007.py"]


# -- a file that hangs its worker ------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("deaf", [False, True], ids=["stops-on-sigterm", "needs-sigkill"])
def test_a_file_that_hangs_its_worker_is_fl003_after_the_timeout(in_tmp: Path, monkeypatch: pytest.MonkeyPatch, deaf: bool) -> None:
    """FL406 sleeps for an hour on m007.py in a pool of 2 over 40 files, with a 1 s per-file
    timeout (`FASTLINT_FILE_TIMEOUT`): the worker is stopped (SIGTERM; SIGKILL when it blocks
    SIGTERM, as native code holding the interpreter would), m007.py gets one FL003 saying so,
    every other file has the findings of an undisturbed run, exit 2, in seconds."""
    _tree(in_tmp, 40)
    code, reference, _ = _check("--jobs", "2")
    assert code == 1

    def hang() -> None:
        assert os.getpid() != MAIN_PID, "the fault must strike a worker, not the test process"
        if deaf:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        time.sleep(3600)

    _break_fl406(monkeypatch, {"m007.py"}, hang)
    monkeypatch.setenv("FASTLINT_FILE_TIMEOUT", "1")
    started = time.monotonic()
    code, findings, stderr = _check("--jobs", "2")
    assert time.monotonic() - started < 30
    assert (code, stderr) == (2, "")
    victim = [(d["line"], d["code"], d["message"]) for d in findings if d["path"] == "m007.py"]
    assert victim == [(1, "FL003", "fastlint stopped linting this file after 1 s (a hang in a parser or a rule?)")]
    assert [d for d in findings if d["path"] != "m007.py"] == [d for d in reference if d["path"] != "m007.py"]


# -- a worker process that dies --------------------------------------------------------------------


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's out-of-memory killer does


def _exit() -> None:
    os._exit(3)


@needs_fork
@pytest.mark.parametrize(
    ("fault", "victims", "why"),
    [
        (_kill, ("m007.py",), "killed by SIGKILL (out of memory?)"),
        (_exit, ("m007.py",), "it exited with status 3"),
        (_kill, ("m003.py", "m031.py"), "killed by SIGKILL (out of memory?)"),
    ],
    ids=["sigkill", "exit-3", "two-files"],
)
def test_a_worker_that_dies_on_a_file_is_reported_for_that_file(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, fault: Callable[[], None], victims: tuple[str, ...], why: str
) -> None:
    """A worker process dies (SIGKILL, as an out-of-memory kill, or an abrupt exit) while linting
    a file, in a pool of 2 over 40 files, with the cache on. The run finishes: each file a worker
    died on has one FL003 saying how its worker ended, every other file has exactly the findings
    of an undisturbed run (also those in the dead worker's chunk, and the one the other worker
    was on when the pool broke), exit 2. The FL003 is not cached: the other 40 - n files have
    entries that load, and a run without the fault, from the cache, gives the undisturbed output."""
    monkeypatch.delenv("FASTLINT_NO_CACHE", raising=False)
    _tree(in_tmp, 40)
    code, reference, _ = _check("--jobs", "2", "--no-cache")
    assert code == 1

    def die() -> None:
        assert os.getpid() != MAIN_PID, "the fault must strike a worker, not the test process"
        fault()

    with monkeypatch.context() as patch:
        _break_fl406(patch, set(victims), die)
        code, findings, stderr = _check("--jobs", "2", "--cache-dir", "cache")
    assert code == 2
    assert stderr == ""
    assert [(d["path"], d["line"], d["code"], d["message"]) for d in findings if d["path"] in victims] == [
        (name, 1, "FL003", f"fastlint's worker process died linting this file: {why}") for name in victims
    ]
    assert [d for d in findings if d["path"] not in victims] == [d for d in reference if d["path"] not in victims]
    entries = list(_entries(in_tmp / "cache"))
    assert len(entries) == 40 - len(victims)
    assert all(cache.load(path.name) is not None for path, cache in entries)
    assert _temporary_files(in_tmp) == []

    code, findings, _ = _check("--jobs", "2", "--cache-dir", "cache")
    assert (code, findings) == (1, reference)


class _Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("injected: cannot be pickled")


@needs_fork
def test_a_result_that_cannot_come_back_from_a_worker_is_fl003_for_its_file(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """m007.py's result cannot be pickled back from the worker (the chunk's future fails with
    that error, the pool stays up): that file gets FL003 saying why, found by linting the
    chunk's files one per process; every other file, its chunk-mates included, keeps its
    findings; exit 2."""
    _tree(in_tmp, 20)
    code, reference, _ = _check("--jobs", "2")
    assert code == 1
    from fastlint.engine import FileResult

    pack = FileResult.pack

    def poisoned_pack(self: FileResult) -> None:
        if Path(self.path).name == "m007.py" and os.getpid() != MAIN_PID:
            self.stats = {"poison": _Unpicklable()}  # type: ignore[dict-item]
        pack(self)

    monkeypatch.setattr(FileResult, "pack", poisoned_pack)
    code, findings, stderr = _check("--jobs", "2")
    assert (code, stderr) == (2, "")
    assert [(d["path"], d["code"], d["message"]) for d in findings if d["path"] == "m007.py"] == [
        ("m007.py", "FL003", "fastlint could not bring this file's result back from its worker process: TypeError: injected: cannot be pickled")
    ]
    assert [d for d in findings if d["path"] != "m007.py"] == [d for d in reference if d["path"] != "m007.py"]


@needs_fork
def test_a_pool_whose_workers_cannot_start_still_finishes(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every worker dies as it starts (before any file): the run neither hangs nor retries for
    ever; each file is tried once in a process of its own and gets FL003 with the exit status."""
    _tree(in_tmp, runner.MIN_FILES_FOR_POOL)
    original = runner.tune_gc

    def tune_gc() -> None:
        if os.getpid() != MAIN_PID:
            os._exit(7)
        original()

    monkeypatch.setattr(runner, "tune_gc", tune_gc)
    started = time.monotonic()
    code, findings, _ = _check("--jobs", "2")
    assert time.monotonic() - started < 30
    assert code == 2
    assert [(d["path"], d["code"], d["message"]) for d in findings] == [
        (f"m{i:03d}.py", "FL003", "fastlint's worker process died linting this file: it exited with status 7")
        for i in range(runner.MIN_FILES_FOR_POOL)
    ]


@needs_fork
def test_a_worker_stopped_while_writing_a_cache_entry_removes_it(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM, which is how the main process stops its workers on Ctrl-C (and how a broken pool
    stops the others), reaches a worker between writing m007.py's cache entry to its temporary
    file and renaming it into place: the temporary file is removed before the worker ends, no
    other entry is damaged, and the file is reported as killed by SIGTERM. (The run lints `pkg/`,
    not the whole project, so no pruning of the cache sweeps a leftover away.)"""
    monkeypatch.delenv("FASTLINT_NO_CACHE", raising=False)
    _tree(in_tmp / "pkg", 20)
    storing: list[str] = []
    store, replace = Cache.store, os.replace

    def tracking_store(self: Cache, key: str, result: Any) -> None:
        storing.append(Path(result.path).name)
        store(self, key, result)

    def stopping_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if storing and storing[-1] == "m007.py" and Path(dst).parent.parent.name.startswith("v1-"):
            assert Path(src).name.startswith(".tmp-") and Path(src).exists()
            os.kill(os.getpid(), signal.SIGTERM)
        replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(Cache, "store", tracking_store)
    monkeypatch.setattr(os, "replace", stopping_replace)
    code, findings, _ = _check("--jobs", "2", "--cache-dir", "cache", "pkg")
    assert code == 2
    assert [(d["path"], d["code"], d["message"]) for d in findings if d["code"] == "FL003"] == [
        ("pkg/m007.py", "FL003", "fastlint's worker process died linting this file: killed by SIGTERM")
    ]
    assert _temporary_files(in_tmp) == []
    entries = list(_entries(in_tmp / "cache"))
    assert len(entries) == 19
    assert all(cache.load(path.name) is not None for path, cache in entries)


# -- Ctrl-C ------------------------------------------------------------------------------------------


def test_ctrl_c_in_a_cache_write_leaves_whole_entries_only(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (KeyboardInterrupt) lands in the main process (`--jobs 1`) between the fifth cache
    entry's temporary file and its rename: the command prints one line, `error: interrupted`,
    exits 130, prints no report, and leaves the four whole entries and no temporary file."""
    monkeypatch.delenv("FASTLINT_NO_CACHE", raising=False)
    _tree(in_tmp, 10)
    renames: list[str] = []
    replace = os.replace

    def interrupted_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst).parent.parent.name.startswith("v1-"):
            renames.append(str(dst))
            if len(renames) == 5:
                raise KeyboardInterrupt
        replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", interrupted_replace)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--jobs", "1", "--cache-dir", "cache"], catch_exceptions=False)
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "error: interrupted\n")
    assert _temporary_files(in_tmp) == []
    entries = list(_entries(in_tmp / "cache"))
    assert sorted(str(p) for p, _ in entries) == sorted(renames[:4])
    assert all(cache.load(path.name) is not None for path, cache in entries)


def test_ctrl_c_while_fix_writes_files_leaves_each_file_old_or_fixed(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C lands while `--fix` writes the third of six fixed files (in the `fsync` of its
    temporary file): exit 130 with `error: interrupted`; the first two files are completely fixed,
    the other four untouched, no temporary file is left, and every file parses."""
    names = _tree(in_tmp, 6, FIXABLE)
    syncs: list[int] = []
    fsync = os.fsync

    def interrupted_fsync(fd: int) -> None:
        syncs.append(fd)
        if len(syncs) == 3:
            raise KeyboardInterrupt
        fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--jobs", "1", "--fix"], catch_exceptions=False)
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "error: interrupted\n")
    assert _temporary_files(in_tmp) == []
    texts = [(in_tmp / name).read_text(encoding="utf-8") for name in names]
    assert texts == [FIXED, FIXED, FIXABLE, FIXABLE, FIXABLE, FIXABLE]
    for text in texts:
        ast.parse(text)


def test_the_fixed_text_is_what_fix_writes(in_tmp: Path) -> None:
    """The ground truth of the test above and of the Ctrl-C test below: `--fix` turns FIXABLE
    into FIXED (FL103 and FL406 fixed, nothing left to fix)."""
    write(in_tmp, "m.py", FIXABLE)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--jobs", "1", "--fix", "--select", "FL103,FL406"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (in_tmp / "m.py").read_text(encoding="utf-8") == FIXED


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _interrupt(root: Path, *args: str, ready: Callable[[], bool]) -> tuple[int, str, str, float, set[int]]:
    """Run `python -m fastlint check` in `root` (cache on), wait until `ready()` (the run is
    linting), send SIGINT and wait for the end. Returns the exit code, stdout, stderr, the seconds
    from SIGINT to exit and the worker processes that were alive at SIGINT."""
    env = {k: v for k, v in os.environ.items() if k not in ("FASTLINT_NO_CACHE", "FASTLINT_CACHE_DIR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [sys.executable, "-m", "fastlint", "check", "--isolated", "--jobs", "2", "-q", "--cache-dir", "cache", *args, "."],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready():
            assert process.poll() is None, f"the run ended before it could be interrupted: {process.communicate()}"
            assert time.monotonic() < deadline, "the run never started linting"
            time.sleep(0.01)
        workers = _children(process.pid)
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = process.communicate(timeout=30)
        return process.returncode, out, err, time.monotonic() - sent, workers
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _slow_source(routes: int) -> str:
    """SOURCE with `routes` routes: 4000 take a worker many seconds to lint."""
    head, _, route = SOURCE.partition("@app.get")
    return head + "\n\n".join(("@app.get" + route).replace("read_item", f"read_item_{i}") for i in range(routes))


@needs_proc
def test_ctrl_c_stops_a_pool_quickly_and_the_cache_stays_whole(tmp_path: Path) -> None:
    """SIGINT to `python -m fastlint check --jobs 2` on 301 files, as soon as its workers have
    written their first cache entries. One worker is then in LibCST's native parser on
    `a_slow.py` (the first file of the first chunk, 20,000 lines: seconds of work, during which no
    signal handler runs, so it is killed after the one-second grace); the other is stopped by
    SIGTERM between two small files or inside a cache write. The command exits 130 within 3
    seconds, without waiting for `a_slow.py`, with the single line `error: interrupted` (no
    traceback, no report); its worker processes are gone; the cache holds no temporary file and
    only entries that load; and the next run (without `a_slow.py`), which completes from that
    cache, reports for every file exactly what a file alone gets."""
    write(tmp_path, "a_slow.py", _slow_source(4000))
    names = _tree(tmp_path, 300)
    cache_dir = tmp_path / "cache"
    code, out, err, seconds, workers = _interrupt(tmp_path, ready=lambda: any(cache_dir.glob("v1-*/*/*")))
    assert (code, out, err) == (130, "", "error: interrupted\n")
    assert seconds < 5  # about 1 s when the machine is idle; CI machines are not
    assert workers, "the run used a pool"
    deadline = time.monotonic() + 5
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers), "worker processes outlived the run"
    assert _temporary_files(tmp_path) == []
    entries = list(_entries(cache_dir))
    assert len(entries) < 300, "SIGINT came before the end of the run"
    assert all(cache.load(path.name) is not None for path, cache in entries)

    (tmp_path / "a_slow.py").unlink()
    env = {k: v for k, v in os.environ.items() if k not in ("FASTLINT_NO_CACHE", "FASTLINT_CACHE_DIR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "fastlint", "check", "--isolated", "--jobs", "2", "--format", "concise", "-q", "--cache-dir", "cache"]
    done = subprocess.run([*command, "."], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    alone = subprocess.run([*command, "--no-cache", "m000.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr, alone.returncode) == (1, "", 1)
    one = alone.stdout.splitlines()
    assert one and all(line.startswith("m000.py:") for line in one)
    assert done.stdout.splitlines() == [line.replace("m000.py:", f"{name}:", 1) for name in names for line in one]


@needs_proc
def test_ctrl_c_during_fix_leaves_every_file_untouched(tmp_path: Path) -> None:
    """SIGINT to `python -m fastlint check --fix --jobs 2` on 300 fixable files while it lints
    them (its first cache entries are written; files are written only after every round): exit 130
    with `error: interrupted`, workers gone, no temporary file next to the sources or in the
    cache, every source byte for byte as it was. (An interrupt in the middle of writing the fixed
    files is tested in-process above, where it can be placed exactly.)"""
    names = _tree(tmp_path, 300, FIXABLE)
    cache_dir = tmp_path / "cache"
    code, out, err, seconds, workers = _interrupt(tmp_path, "--fix", ready=lambda: any(cache_dir.glob("v1-*/*/*")))
    assert (code, out, err) == (130, "", "error: interrupted\n")
    assert seconds < 5
    assert workers
    deadline = time.monotonic() + 5
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)
    assert _temporary_files(tmp_path) == []
    assert all((tmp_path / name).read_text(encoding="utf-8") == FIXABLE for name in names)
    assert all(cache.load(path.name) is not None for path, cache in _entries(cache_dir))
