"""The results cache: a warm run parses nothing and gives the cold run's output; an edit
re-lints the edited file only while cross-file findings still follow the edit; damaged, stale,
unwritable or concurrently written caches never change a result."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint.cache import CACHE_DIR_NAME
from fastlint.cli import cli

from .conftest import write
from .harness import PROJECTS

HELPERS = "import time\n\n\ndef slow():\n    time.sleep(1)\n"
HELPERS_FIXED = "import asyncio\n\n\nasync def slow():\n    await asyncio.sleep(1)\n"
ROUTES = """from app.helpers import slow
from app.web import router


@router.get("/items")
async def items(limit: int = 100):
    slow()
    return list(range(limit))
"""
WEB = """from fastapi import APIRouter

router = APIRouter(prefix="/api")
"""
WEB_NOT_FASTAPI = """class Registry:
    def get(self, path):
        return lambda fn: fn


router = Registry()
"""
DB = """from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker

SessionLocal = sessionmaker()


def get_db():
    db = SessionLocal()
    yield db
    db.close()


def page(db: Session = Depends(get_db)):
    return db.execute("SELECT * FROM users OFFSET 10").all()
"""


@pytest.fixture
def project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small project, with the cache switched on (tests switch it off by default)."""
    monkeypatch.delenv("FASTLINT_NO_CACHE", raising=False)
    monkeypatch.delenv("FASTLINT_CACHE_DIR", raising=False)
    write(in_tmp, "pyproject.toml", "[tool.fastlint]\n")
    write(in_tmp, "app/__init__.py", "")
    write(in_tmp, "app/helpers.py", HELPERS)
    write(in_tmp, "app/routes.py", ROUTES)
    write(in_tmp, "app/web.py", WEB)
    write(in_tmp, "app/db.py", DB)
    return in_tmp


def check(*args: str) -> tuple[list[dict[str, object]], dict[str, int], str]:
    """Run `fastlint check` in-process: findings (JSON), the statistics counters, stderr."""
    result = CliRunner().invoke(cli, ["check", "--format", "json", "--exit-zero", "--jobs", "1", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["diagnostics"]
    stats = CliRunner().invoke(cli, ["check", "--statistics", "--exit-zero", "--jobs", "1", "-q", *args], catch_exceptions=False)
    return findings, _counters(stats.stdout), result.stderr


def _counters(text: str) -> dict[str, int]:
    match = re.search(r"(\d+) files \((\d+) from the cache, (\d+) linted, (\d+) read again to place findings\)", text)
    assert match, text
    files, hits, linted, placed = map(int, match.groups())
    return {"files": files, "hits": hits, "linted": linted, "placed": placed}


def cold(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", "--exit-zero", "--jobs", "1", *args], catch_exceptions=False)
    return json.loads(result.stdout)["diagnostics"]


def entries(root: Path) -> list[Path]:
    """The per-file entries (not the settled findings of whole runs)."""
    return [p for p in (root / CACHE_DIR_NAME).glob("v1-*/*/*") if not p.name.startswith(".tmp") and p.parent.name != "settled"]


def settled_records(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR_NAME).glob("v1-*/settled/*"))


@pytest.fixture
def indexes_built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the project indexes built by runs (none when a run's settled findings are reused)."""
    from fastlint import runner

    built: list[int] = []
    real = runner.ProjectIndex

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "ProjectIndex", counting)
    return built


def test_a_warm_run_parses_nothing_and_gives_the_cold_output(project: Path) -> None:
    expected = cold()
    assert {d["code"] for d in expected} >= {"FL301", "FL103", "FL201"}
    first, _, _ = check()
    assert first == expected
    # `check` ran twice (JSON, then statistics): the second was already warm
    again, stats, _ = check()
    assert again == expected
    assert stats == {"files": 5, "hits": 5, "linted": 0, "placed": 0}
    cache = project / CACHE_DIR_NAME
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    assert "fastlint" in (cache / "CACHEDIR.TAG").read_text()


def test_an_edit_relints_that_file_only_and_cross_file_findings_follow_it(project: Path) -> None:
    check()
    in_routes = {d["code"] for d in cold() if d["path"] == "app/routes.py"}
    assert "FL205" in in_routes
    write(project, "app/web.py", WEB_NOT_FASTAPI)  # `router` is no FastAPI router any more
    findings, stats, _ = check()
    assert stats["linted"] == 0 and stats["hits"] == 5  # `check` ran twice: the first run re-linted web.py
    assert findings == cold()
    assert not any(d["path"] == "app/routes.py" for d in findings)  # routes.py came from the cache; its findings went
    write(project, "app/web.py", WEB)
    findings, _, _ = check()
    assert findings == cold()
    assert {d["code"] for d in findings if d["path"] == "app/routes.py"} == in_routes
    write(project, "app/helpers.py", HELPERS_FIXED)  # the helper no longer blocks: FL301 goes
    findings, _, _ = check()
    assert findings == cold() and "FL301" not in {d["code"] for d in findings}


def test_one_edited_file_is_the_only_one_linted(project: Path) -> None:
    check()
    write(project, "app/db.py", DB + "\n\ndef other():\n    return 1\n")
    result = CliRunner().invoke(cli, ["check", "--statistics", "--exit-zero", "--jobs", "1", "-q"], catch_exceptions=False)
    assert _counters(result.stdout) == {"files": 5, "hits": 4, "linted": 1, "placed": 0}


def _damage(paths: list[Path]) -> None:
    for i, path in enumerate(paths):
        data = path.read_bytes()
        path.write_bytes([b"", data[: len(data) // 2], b"garbage" * 10, data[:-1] + b"x"][i % 4])


@pytest.mark.parametrize("record", ["record-removed", "record-kept"])
def test_damaged_entries_are_misses_and_are_written_again(project: Path, record: str) -> None:
    """Damaged entries are misses, linted again and rewritten. With the run's settled record
    kept, an unchanged file's entry is not even read; once the facts change (an edit to web.py)
    every entry is read, and the damaged ones are linted again."""
    expected = cold()
    check()
    damaged = entries(project)
    assert len(damaged) == 5
    _damage(damaged)
    if record == "record-removed":
        for path in settled_records(project):
            path.unlink()
    findings, stats, _ = check()
    assert findings == expected
    assert stats["hits"] == 5  # rewritten by the first of the two runs
    if record == "record-kept":
        assert sum(len(p.read_bytes()) > 100 for p in entries(project)) < 5  # not needed, not read
        write(project, "app/web.py", WEB_NOT_FASTAPI)
        findings, _, _ = check()
        assert findings == cold()
    assert all(len(p.read_bytes()) > 100 for p in entries(project))


def test_an_unwritable_cache_warns_and_changes_nothing(project: Path) -> None:
    blocker = write(project, "not-a-dir", "a file where the cache folder should go\n")
    findings, stats, stderr = check("--cache-dir", str(blocker / "cache"))
    assert findings == cold()
    assert stats["hits"] == 0
    assert stderr.count("warning: cannot write the cache") == 1


def test_no_cache_reads_and_writes_nothing(project: Path) -> None:
    cold()
    assert not (project / CACHE_DIR_NAME).exists()
    check("--cache-dir", "elsewhere")
    assert (project / "elsewhere" / ".gitignore").exists() and not (project / CACHE_DIR_NAME).exists()
    _, stats, _ = check("--cache-dir", "elsewhere")
    assert stats["hits"] == 5


def test_other_settings_use_other_entries(project: Path) -> None:
    check("--select", "FL3")
    findings, _, _ = check()
    assert findings == cold()
    assert {d["code"] for d in findings} - {"FL301"}
    only, _, _ = check("--select", "FL3")
    assert only == cold("--select", "FL3")
    write(project, "pyproject.toml", '[tool.fastlint]\nignore = ["FL103"]\n')
    findings, _, _ = check()
    assert findings == cold() and "FL103" not in {d["code"] for d in findings}


def test_stale_entries_are_pruned_by_a_complete_run(project: Path) -> None:
    check()
    for n in range(3):
        write(project, "app/db.py", DB + f"\nX = {n}\n")
        check()
    assert len(entries(project)) == 5


def test_clean_removes_the_cache_and_refuses_other_folders(project: Path) -> None:
    check()
    assert (project / CACHE_DIR_NAME).is_dir()
    result = CliRunner().invoke(cli, ["clean"])
    assert result.exit_code == 0 and not (project / CACHE_DIR_NAME).exists()
    write(project, "precious/data.txt", "keep me\n")
    result = CliRunner().invoke(cli, ["clean", "--cache-dir", "precious"])
    assert result.exit_code == 2 and "not a fastlint cache" in result.stderr
    assert (project / "precious" / "data.txt").exists()


def test_two_runs_at_once_on_one_cache_both_give_the_cold_output(project: Path) -> None:
    for n in range(30):
        write(project, f"app/mod{n}.py", DB.replace("get_db", f"get_db{n}"))
    expected = cold()
    env = {k: v for k, v in os.environ.items() if k != "FASTLINT_NO_CACHE"}
    command = [sys.executable, "-m", "fastlint", "check", "--format", "json", "--exit-zero", "--jobs", "2"]
    runs = [subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for proc in runs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert json.loads(out)["diagnostics"] == expected
    findings, stats, _ = check()
    assert findings == expected and stats["linted"] == 0


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()))
def test_fixture_projects_cached_equal_cold(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture project, all rules on: cold, then warm from the cache, then warm in a pool."""
    monkeypatch.delenv("FASTLINT_NO_CACHE", raising=False)
    monkeypatch.chdir(PROJECTS / name)
    base = ["check", "--isolated", "--extend-select", "ALL", "--format", "json", "--exit-zero", "--cache-dir", str(tmp_path)]
    runs = [CliRunner().invoke(cli, [*base, "--jobs", jobs, *extra]) for jobs, extra in (("1", ["--no-cache"]), ("1", []), ("1", []), ("2", []))]
    outputs = [json.loads(r.stdout)["diagnostics"] for r in runs]
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0] and outputs[3] == outputs[0]
    assert not (PROJECTS / name / CACHE_DIR_NAME).exists()


def test_a_file_edited_during_the_run_is_not_cached_under_its_old_content(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The main process keys a file by the bytes it read; if the file changes before a worker
    lints it, the result (of the new bytes) must not be stored under the old bytes' key."""
    from fastlint import cache as cache_module

    original = cache_module.Cache.job_key
    edited = {"done": False}

    def key_then_edit(job):  # type: ignore[no-untyped-def]
        key = original(job)
        if job.relpath == "app/db.py" and not edited["done"]:
            edited["done"] = True
            write(project, "app/db.py", "X = 1\n")  # no finding any more
        return key

    monkeypatch.setattr(cache_module.Cache, "job_key", staticmethod(key_then_edit))
    CliRunner().invoke(cli, ["check", "--exit-zero", "--jobs", "1", "-q"], catch_exceptions=False)
    monkeypatch.setattr(cache_module.Cache, "job_key", staticmethod(original))
    write(project, "app/db.py", DB)  # the old content again: it must be linted, not served stale
    findings, _, _ = check()
    assert findings == cold()
    assert any(d["path"] == "app/db.py" for d in findings)


def run_json(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["check", "--format", "json", "--exit-zero", "--jobs", "1", *args], catch_exceptions=False)
    return json.loads(result.stdout)["diagnostics"]


def test_a_warm_run_reuses_the_settled_findings(project: Path, indexes_built: list[int]) -> None:
    """Nothing changed since the last run over the same paths: its settled findings are reused
    (no project index is built, no waiting finding decided again), and they equal a cold run's."""
    expected = cold()
    assert run_json() == expected
    assert len(indexes_built) == 2 and len(settled_records(project)) == 1  # cold (no cache) + first cached run
    assert run_json() == expected
    assert len(indexes_built) == 2
    write(project, "app/web.py", WEB_NOT_FASTAPI)  # an edit that changes what the index knows
    assert run_json() == cold()
    assert len(indexes_built) == 4  # the run, then cold()


def test_an_edit_that_keeps_every_fact_is_settled_from_the_record(project: Path, indexes_built: list[int]) -> None:
    """routes.py (with findings waiting on other files) gets a comment and a changed literal:
    its facts are the same, so the recorded answers settle it, and no index is built."""
    run_json()
    assert len(indexes_built) == 1
    text = (project / "app/routes.py").read_text()
    write(project, "app/routes.py", text + "\n# an edit that changes no fact\n")
    assert run_json() == cold()
    assert len(indexes_built) == 2  # cold() only


def test_a_question_the_record_cannot_answer_means_a_full_settle(project: Path, indexes_built: list[int]) -> None:
    from fastlint.cache import Cache

    run_json()
    (record_path,) = settled_records(project)
    cache = Cache(project / CACHE_DIR_NAME, record_path.parent.parent.name[len("v1-") :])
    record = cache.load_settled(record_path.name)
    assert record["answers"]  # routes.py's waiting findings asked the index
    cache.store_settled(record_path.name, {**record, "answers": {}, "texts": {}})
    write(project, "app/routes.py", (project / "app/routes.py").read_text() + "\n# an edit that changes no fact\n")
    assert run_json() == cold()
    assert len(indexes_built) == 3  # the run settled in full, then cold()


def test_a_damaged_settled_record_is_settled_again(project: Path, indexes_built: list[int]) -> None:
    expected = cold()
    run_json()
    for i, record in enumerate(settled_records(project)):
        data = record.read_bytes()
        record.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert run_json() == expected
    assert len(indexes_built) == 3
    assert run_json() == expected  # rewritten: reused again
    assert len(indexes_built) == 3


def test_settled_findings_follow_the_paths_and_the_context_files(project: Path) -> None:
    """A run over one file with `--project-context` keeps its own record (the full run's is not
    reused for it), and an edit to a context file (read for facts only) settles it again: the
    cross-file finding in routes.py follows the router in web.py."""
    full = run_json()
    one = run_json("--project-context", "app/routes.py")
    assert one == [d for d in full if d["path"] == "app/routes.py"]
    assert "FL205" in {d["code"] for d in one}
    assert run_json("--project-context", "app/routes.py") == one
    assert len(settled_records(project)) == 2
    write(project, "app/web.py", WEB_NOT_FASTAPI)
    now = run_json("--project-context", "app/routes.py")
    assert now == cold("--project-context", "app/routes.py")
    assert not any(d["code"] == "FL205" for d in now)
    write(project, "app/web.py", WEB)
    assert run_json("--project-context", "app/routes.py") == one


EDITS = [
    # (file, new text or None to delete): each run after it, from the cache, must equal a cold run
    ("app/routes.py", ROUTES + "\n# a comment: no fact changes\n"),
    ("app/helpers.py", "def added():\n    return 1\n\n\n" + HELPERS),  # every line moves
    ("app/routes.py", ROUTES.replace("    slow()\n", "    slow()\n    import time\n    time.sleep(2)\n")),  # a new finding here
    ("app/helpers.py", HELPERS_FIXED),  # the chain from routes.py goes
    ("app/extra.py", "from app.helpers import slow\nfrom app.web import router\n\n\n@router.get('/b')\nasync def b():\n    slow()\n"),
    ("app/helpers.py", HELPERS),  # blocking again: routes.py and extra.py both report it
    ("app/extra.py", None),
    ("app/web.py", WEB_NOT_FASTAPI),
    ("app/web.py", WEB),
    # edits inside a function body that keep every fact but move or remove this file's findings
    ("app/db.py", DB.replace("    return db.execute(", "    # a line inside the body\n    return db.execute(")),
    ("app/db.py", DB.replace("SELECT * FROM users OFFSET 10", "SELECT id FROM users")),
]


def test_a_sequence_of_edits_cached_equals_cold(project: Path) -> None:
    """Edits that keep the facts, move every line, add and remove findings across modules, add
    and delete files: after each, the cached run (stubs, recorded answers, or a full settle)
    gives exactly the cold output."""
    run_json()
    seen = set()
    for name, text in EDITS:
        if text is None:
            (project / name).unlink()
        else:
            write(project, name, text)
        expected = cold()
        seen.add(json.dumps(expected, sort_keys=True))
        assert run_json() == expected, name
        assert run_json() == expected, name  # and once more, from the record
    assert len(seen) >= 7  # the edits did change the findings


def test_a_warm_pre_commit_run_reads_no_entry(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--project-context` over one file (the pre-commit hook): on the second run every file,
    the one given and the context read for its facts, is a stub: no cache entry is read. After
    an edit of a context file that changes a fact, the entries are read again and the result
    follows the edit."""
    from fastlint.cache import Cache

    loads: list[str] = []
    real = Cache.load

    def counting(self: Cache, key: str):  # type: ignore[no-untyped-def]
        loads.append(key)
        return real(self, key)

    monkeypatch.setattr(Cache, "load", counting)
    first = run_json("--project-context", "app/routes.py")
    assert "FL205" in {d["code"] for d in first}
    loads.clear()
    assert run_json("--project-context", "app/routes.py") == first
    assert loads == []
    write(project, "app/web.py", WEB_NOT_FASTAPI)
    assert run_json("--project-context", "app/routes.py") == cold("--project-context", "app/routes.py")
    assert loads  # the facts changed: the stubs' entries were read


def test_findings_placed_in_a_child_process_equal_those_placed_here(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large run the findings the project pass confirms are placed in a spawned child
    (`runner._place_in_child`): forced on for this small project, the output is the same."""
    from fastlint import runner

    expected = cold()
    assert {d["code"] for d in expected if d["path"] == "app/routes.py"} >= {"FL205"}
    returned: list[object] = []
    real = runner._place_in_child

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        returned.append(out)
        return out

    monkeypatch.setattr(runner, "MIN_FILES_TO_PLACE_APART", 1)
    monkeypatch.setattr(runner, "_place_in_child", recording)
    assert cold() == expected
    assert returned and all(isinstance(r, list) and r for r in returned)  # the child placed them
