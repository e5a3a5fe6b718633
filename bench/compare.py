#!/usr/bin/env python3
"""fastlint side by side with ruff, fixit, bandit and flake8-async, in one run.

Times every tool on the same files (the pinned corpora of ``bench/corpus.py``: the "medium"
corpus, prefect's ``server`` package, and the "large" one, all ten required corpora together),
with the median of several runs of each command, wall time and peak RSS (the largest single
process of the tool's process tree), prints a table and writes ``docs/benchmarks.md``.

Each peer is installed in a virtual environment of its own under ``bench/.cache/venvs/`` at a
pinned version (fixit pins ``click<8.2``; none of them may change fastlint's environment).
fastlint itself runs from the interpreter that runs this script.

Usage::

    python bench/compare.py [--corpus medium|large|both] [--runs 5] [--slow-runs 1] [--jobs N]
                            [--only TOOL ...] [--no-write]

Measured for each corpus:

- fastlint cold (``--no-cache``) with ``--jobs 1`` and ``--jobs N``; warm (cache filled,
  nothing changed); after touching one file (a comment appended, a new one on each run);
- ruff ``--select ALL --no-cache`` and ``--select FAST,ASYNC,S --no-cache``; fixit ``lint``
  (its default rules); bandit ``-r``; flake8 with flake8-async (``--select ASYNC``);
- the floors: LibCST's parse of the same files on N processes, and CPython's ``ast.parse``;
- on the large corpus, fastlint cold on 25 %, 50 % and 100 % of its files (lines vs seconds).

The slow commands (fixit, flake8; on the large corpus also bandit and fastlint ``--jobs 1``) run
``--slow-runs`` times (default 3 on the medium corpus, 1 on the large one).
Not a test: the numbers depend on the machine; nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus as corpora  # noqa: E402  (bench/corpus.py, next to this script)

#: the peers, each in its own virtual environment: (venv name, pip requirements, executables)
PEERS: dict[str, tuple[str, ...]] = {
    "ruff": ("ruff==0.17.6",),
    "fixit": ("fixit==2.2.1",),
    "bandit": ("bandit==1.9.4",),
    "flake8": ("flake8==7.5.0", "flake8-async==26.8.1"),
}

# -- the corpora ----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    cwd: Path
    paths: list[str]
    files: list[Path] = field(default_factory=list)
    lines: int = 0
    versions: str = ""


def _python_files(cwd: Path, paths: Sequence[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(q for q in (cwd / p).rglob("*.py") if q.is_file()))
    return out


def _lines(files: Sequence[Path]) -> int:
    total = 0
    for f in files:
        with open(f, "rb") as fh:
            total += sum(1 for _ in fh)
    return total


def _materialize(src: Path, dest: Path) -> None:
    """A copy of a corpus outside this repository (hard links where possible): tools that honour
    the repository's .gitignore (fixit's file walker does) would otherwise see no file under the
    git-ignored `bench/.cache/`."""
    import shutil

    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    if not dest.exists():
        shutil.copytree(src, dest, copy_function=link, symlinks=False)


def targets(which: str, workdir: Path | None = None) -> list[Target]:
    required = corpora.set_corpora("required")
    for c in required:
        corpora.ensure_extracted(c)
    out: list[Target] = []
    if which in ("medium", "both"):
        parent = corpora.get_corpus(corpora.MEDIUM.parent)
        base = corpora.corpus_dir(parent)
        sub = base / corpora.MEDIUM.subdir
        t = Target("medium", sub.parent, [sub.name], versions=f"{parent.name} {parent.version} (`{corpora.MEDIUM.subdir}`)")
        out.append(t)
    if which in ("large", "both"):
        base = corpora.corpora_dir()
        t = Target("large", base, [c.key for c in required], versions=", ".join(f"{c.name} {c.version}" for c in required))
        out.append(t)
    for t in out:
        if workdir is not None:
            home = workdir / t.name
            for p in t.paths:
                _materialize(t.cwd / p, home / p)
            t.cwd = home
        t.files = _python_files(t.cwd, t.paths)
        t.lines = _lines(t.files)
    return out


# -- environments ---------------------------------------------------------------------------------


def venv_bin(name: str) -> Path:
    return corpora.cache_dir() / "venvs" / name / "bin"


def ensure_peer(name: str) -> str:
    """Create the peer's venv and install its pinned requirements (once); return its version."""
    bindir = venv_bin(name)
    marker = bindir.parent / "fastlint-bench.json"
    wanted = list(PEERS[name])
    if marker.exists() and json.loads(marker.read_text()).get("requirements") == wanted:
        return json.loads(marker.read_text())["version"]
    corpora.log(f"installing {' '.join(wanted)} into {bindir.parent}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(bindir.parent)], check=True)
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", *wanted], check=True)
    out = subprocess.run([str(bindir / "python"), "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    version = ", ".join(line for line in out.split() if line.split("==")[0].lower() in {r.split("==")[0] for r in wanted})
    marker.write_text(json.dumps({"requirements": wanted, "version": version}))
    return version


# -- timing ---------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    command: str
    walls: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    failed: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def rss(self) -> float:
        return max(self.rss_mib) if self.rss_mib else float("nan")


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB (the largest process of the tree: wait4 folds in the
    children each process waited for), exit status."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


_WORKDIR: Path | None = None


def shown(argv: Sequence[str]) -> str:
    """The command as the report prints it: no path of this machine (the repository is `.`, the
    interpreter `python`, the temporary folder `$TMP`), the floor script by name."""
    words = []
    for a in map(str, argv):
        if a == FLOOR:
            a = "<FLOOR script of bench/compare.py>"
        a = a.replace(sys.executable, "python").replace(str(ROOT) + os.sep, "")
        if _WORKDIR is not None:
            a = a.replace(str(_WORKDIR), "$TMP")
        a = a.replace(tempfile.gettempdir(), "$TMP")
        words.append(a)
    return shlex.join(words)


def measure(label: str, argv: Sequence[str], cwd: Path, runs: int, ok: Sequence[int] = (0, 1), env: dict[str, str] | None = None, before=None) -> Timing:  # type: ignore[no-untyped-def]
    t = Timing(label, shown(argv))
    for i in range(runs):
        if before is not None:
            before(i)
        wall, rss, code = run_once(argv, cwd, env)
        if code not in ok:
            t.failed = f"exit {code}"
            break
        t.walls.append(wall)
        t.rss_mib.append(rss)
    corpora.log(f"  {label:<42} {t.wall:8.2f} s  {t.rss:7.0f} MiB" + (f"  FAILED ({t.failed})" if t.failed else ""))
    return t


FLOOR = r"""
import ast, sys, libcst
from concurrent.futures import ProcessPoolExecutor
def parse(path, mode=sys.argv[1]):
    text = open(path, encoding="utf-8", errors="replace").read()
    try:
        (ast.parse if mode == "ast" else libcst.parse_module)(text)
    except Exception:
        pass
    return 0
paths = [line.strip() for line in open(sys.argv[3]) if line.strip()]
jobs = int(sys.argv[2])
if jobs <= 1:
    for p in paths:
        parse(p)
else:
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(parse, paths, chunksize=32))
"""


def compile_fastlint() -> None:
    """Byte-compile fastlint as an installed wheel is (pip compiles at install, and the peers'
    venvs are made by pip): a source checkout under PYTHONDONTWRITEBYTECODE=1 would otherwise
    compile its ~90 modules on every timed run (about 0.1 s each time)."""
    import compileall

    import fastlint

    compileall.compile_dir(str(Path(fastlint.__file__).parent), quiet=1)


def fastlint(*args: str) -> list[str]:
    return [sys.executable, "-m", "fastlint", "check", "--isolated", "--exit-zero", "-q", *args]


def bench_target(t: Target, runs: int, slow_runs: int, jobs: int, only: set[str] | None, workdir: Path) -> list[Timing]:
    corpora.log(f"{t.name}: {len(t.files)} files, {t.lines:,} lines in {t.cwd}")
    out: list[Timing] = []
    want = (lambda name: only is None or name in only)
    listing = workdir / f"{t.name}-files.txt"
    listing.write_text("\n".join(str(f) for f in t.files))
    cache = workdir / f"cache-{t.name}"
    if want("fastlint"):
        out.append(measure("fastlint cold, --jobs 1", fastlint("--no-cache", "--jobs", "1", *t.paths), t.cwd, slow_runs))
        out.append(measure(f"fastlint cold, --jobs {jobs}", fastlint("--no-cache", "--jobs", str(jobs), *t.paths), t.cwd, runs))
        warm = fastlint("--cache-dir", str(cache), "--jobs", str(jobs), *t.paths)
        run_once(warm, t.cwd)  # fill the cache
        out.append(measure("fastlint warm (nothing changed)", warm, t.cwd, runs))
        victim = max(t.files, key=lambda f: f.stat().st_size if "route" in f.name or "api" in str(f) else 0)
        original = victim.read_bytes()

        def touch(i: int) -> None:
            victim.write_bytes(original + f"\n# fastlint benchmark edit {i} {time.time()}\n".encode())

        try:
            out.append(measure(f"fastlint, one file touched ({victim.name})", warm, t.cwd, runs, before=touch))
        finally:
            victim.write_bytes(original)
    if want("floor"):
        out.append(measure(f"floor: LibCST parse, {jobs} processes", [sys.executable, "-c", FLOOR, "libcst", str(jobs), str(listing)], t.cwd, runs))
        out.append(measure("floor: ast.parse, 1 process", [sys.executable, "-c", FLOOR, "ast", "1", str(listing)], t.cwd, runs))
    if want("ruff"):
        ruff = str(venv_bin("ruff") / "ruff")
        out.append(measure("ruff --select ALL --no-cache", [ruff, "check", "--isolated", "--select", "ALL", "--no-cache", "--exit-zero", "-q", *t.paths], t.cwd, runs))
        out.append(measure("ruff --select FAST,ASYNC,S --no-cache", [ruff, "check", "--isolated", "--select", "FAST,ASYNC,S", "--no-cache", "--exit-zero", "-q", *t.paths], t.cwd, runs))
    if want("bandit"):
        out.append(measure("bandit -r", [str(venv_bin("bandit") / "bandit"), "-r", "-q", "-f", "json", *t.paths], t.cwd, runs if t.name == "medium" else slow_runs))
    if want("flake8"):
        out.append(
            measure(f"flake8 --select ASYNC (flake8-async), -j {jobs}", [str(venv_bin("flake8") / "flake8"), "--select", "ASYNC", "-j", str(jobs), "--exit-zero", *t.paths], t.cwd, slow_runs)
        )
    if want("fixit"):
        env = {**os.environ, "FIXIT_NO_CACHE": "1"}
        out.append(measure("fixit lint (default rules)", [str(venv_bin("fixit") / "fixit"), "lint", *t.paths], t.cwd, slow_runs, ok=(0, 1, 255), env=env))
    if want("scaling") and t.name == "large":
        for share in (4, 2, 1):
            subset = t.files[::share]
            part = workdir / f"large-{share}.txt"
            part.write_text("\n".join(str(f) for f in subset))
            lines = _lines(subset)
            timing = measure(f"fastlint cold, {100 // share} % ({lines:,} lines)", fastlint("--no-cache", "--jobs", str(jobs), *[str(f) for f in subset]), t.cwd, max(1, runs // 2))
            timing.label += f" [{lines}]"
            out.append(timing)
    return out


# -- the report -----------------------------------------------------------------------------------


def find(timings: Sequence[Timing], prefix: str) -> Timing | None:
    return next((t for t in timings if t.label.startswith(prefix) and not t.failed and t.walls), None)


def ratios(timings: Sequence[Timing], jobs: int) -> list[tuple[str, str, str, str]]:
    """(target, measured, limit, met) for each target of the speed issue that this corpus shows."""
    rows: list[tuple[str, str, str, str]] = []
    cold = find(timings, f"fastlint cold, --jobs {jobs}")
    warm = find(timings, "fastlint warm")
    touched = find(timings, "fastlint, one file touched")

    def row(name: str, a: Timing | None, b: Timing | None, limit: float, better_low: bool = True) -> None:
        if a is None or b is None:
            return
        r = a.wall / b.wall
        rows.append((name, f"{r:.2f}", f"<= {limit:g}", "yes" if r <= limit else "no"))

    row("cold / fixit", cold, find(timings, "fixit"), 0.2)
    row("cold / bandit", cold, find(timings, "bandit"), 1.0)
    row("cold / LibCST parse floor", cold, find(timings, "floor: LibCST"), 1.5)
    row("warm / ruff --select ALL --no-cache", warm, find(timings, "ruff --select ALL"), 1.0)
    if touched is not None:
        rows.append(("one file touched (s)", f"{touched.wall:.2f}", "< 2 s (large)", "yes" if touched.wall < 2 else "no"))
    peak = max((t.rss for t in timings if t.label.startswith("fastlint") and t.rss_mib), default=None)
    if peak is not None:
        rows.append(("fastlint peak RSS per process (MiB)", f"{peak:.0f}", "< 400", "yes" if peak < 400 else "no"))
    points = [(int(t.label.rsplit("[", 1)[1].rstrip("]")), t.wall) for t in timings if t.label.endswith("]") and t.walls]
    if len(points) == 3:
        (x1, y1), (x2, y2), (x3, y3) = sorted(points)
        slope = (y3 - y1) / (x3 - x1)
        predicted = y1 + slope * (x2 - x1)
        off = abs(y2 - predicted) / predicted
        rows.append(("scaling: 50 % point off the 25-100 % line", f"{off:.0%}", "<= 15 %", "yes" if off <= 0.15 else "no"))
    return rows


_ORDER = ("fastlint cold, --jobs 1", "fastlint cold, --jobs", "fastlint warm", "fastlint, one", "floor: LibCST", "floor: ast", "ruff --select ALL", "ruff --select FAST", "bandit", "flake8", "fixit", "fastlint cold, 25", "fastlint cold, 50", "fastlint cold, 100")


def _order(timing: Timing) -> int:
    return next((i for i, prefix in enumerate(_ORDER) if timing.label.startswith(prefix)), len(_ORDER))


ANALYSIS_MARKER = "<!-- analysis: written by hand, kept by bench/compare.py -->\n"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.release()}, {cpu}, {cores} cores available, Python {platform.python_version()}"


def render(results: dict[str, tuple[Target, list[Timing]]], versions: dict[str, str], jobs: int, runs: int, slow_runs: int) -> str:
    from fastlint import __version__

    lines = [
        "# Benchmarks",
        "",
        "Written by `python bench/compare.py` (do not edit by hand; run it again). Times are the median",
        "of the runs counted in each table, wall clock; RSS is the peak of the largest single process",
        "of each tool's process tree. Every tool reads the same files; peers run from their own virtual",
        "environments under `bench/.cache/venvs/`.",
        "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {machine()}",
        f"- fastlint {__version__} (all default rules), workers: --jobs {jobs}",
        "- Peers: " + "; ".join(f"{k}: {v}" for k, v in versions.items()),
        "",
    ]
    for name, (t, timings) in results.items():
        lines += [
            f"## {name} corpus: {len(t.files):,} files, {t.lines:,} lines",
            "",
            f"{t.versions}.",
            "",
            "| command | runs | wall (s, median) | peak RSS (MiB) |",
            "|---|---:|---:|---:|",
        ]
        for timing in timings:
            label = timing.label.split(" [", 1)[0]
            wall = f"{timing.wall:.2f}" if timing.walls else timing.failed or "-"
            lines.append(f"| {label} | {len(timing.walls)} | {wall} | {timing.rss:.0f} |")
        rows = ratios(timings, jobs)
        if rows:
            lines += ["", "| target | measured | limit | met |", "|---|---:|---|---|"]
            lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        lines += ["", "<details><summary>commands</summary>", "", "```"]
        for timing in timings:
            command = timing.command
            if len(command) > 500:  # the scaling runs name their files one by one
                command = command[:300].rsplit(" ", 1)[0] + f" ... ({command.count(' ') - command[:300].count(' ')} more arguments)"
            lines.append(f"(cd $TMP/{t.name}) {command}")
        lines += ["```", "", "</details>", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("medium", "large", "both"), default="both")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=None, help="runs of fixit (default: 3 on medium, 1 on large)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    parser.add_argument("--only", nargs="*", choices=("fastlint", "floor", "ruff", "bandit", "flake8", "fixit", "scaling"))
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave docs/benchmarks.md alone")
    parser.add_argument("--fresh", action="store_true", help="forget the figures of earlier invocations")
    args = parser.parse_args(argv)
    only = set(args.only) if args.only else None
    versions = {name: ensure_peer(name) for name in PEERS if only is None or name in only}
    compile_fastlint()
    # Results accumulate across invocations (`--only fixit` later adds to the same report); a
    # label measured again replaces the old figure. `--fresh` starts over.
    store = corpora.cache_dir() / "compare-results.json"
    saved: dict[str, dict[str, dict[str, object]]] = {}
    if store.exists() and not args.fresh:
        saved = json.loads(store.read_text())
    results: dict[str, tuple[Target, list[Timing]]] = {}
    global _WORKDIR
    with tempfile.TemporaryDirectory(prefix="fastlint-bench-") as tmp:
        _WORKDIR = Path(tmp)
        for t in targets(args.corpus, Path(tmp)):
            slow = args.slow_runs if args.slow_runs is not None else (3 if t.name == "medium" else 1)
            measured = bench_target(t, args.runs, slow, args.jobs, only, Path(tmp))
            old = {label: Timing(**data) for label, data in saved.get(t.name, {}).items()}  # type: ignore[arg-type]
            old.update({m.label: m for m in measured})
            saved[t.name] = {label: vars(timing) for label, timing in old.items()}
            results[t.name] = (t, sorted(old.values(), key=_order))
    store.write_text(json.dumps(saved, indent=1))
    for name, data in saved.items():
        if name not in results:
            for t in targets(name):
                results[name] = (t, sorted((Timing(**d) for d in data.values()), key=_order))  # type: ignore[arg-type]
    versions.update({name: ensure_peer(name) for name in PEERS if name not in versions and any(name in label for data in saved.values() for label in data)})
    report = render(dict(sorted(results.items(), key=lambda kv: kv[0] != "medium")), versions, args.jobs, args.runs, args.slow_runs or 1)
    print(report)
    if not args.no_write:
        target = ROOT / "docs" / "benchmarks.md"
        # the hand-written analysis below the marker survives a new run
        kept = ""
        if target.exists() and ANALYSIS_MARKER in target.read_text(encoding="utf-8"):
            kept = target.read_text(encoding="utf-8").split(ANALYSIS_MARKER, 1)[1]
        target.write_text(report + "\n" + ANALYSIS_MARKER + kept, encoding="utf-8")
        corpora.log("wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
