"""The Python API: `fastlint.lint_source` and `fastlint.lint_paths`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import fastlint
from fastlint.config import ConfigError, Settings
from fastlint.diagnostics import Diagnostic
from tests.conftest import write
from tests.harness import PROJECTS

BAD = """\
from sqlalchemy.orm import sessionmaker
from fastapi import FastAPI

SessionLocal = sessionmaker()
db = SessionLocal()
app = FastAPI()


@app.get("/")
def index():
    return db.execute("SELECT * FROM users")
"""


def test_import_fastlint_stays_light() -> None:
    code = "import sys, fastlint; print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastlint', 'libcst', 'click', 'sqlglot')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['fastlint']"
    assert set(fastlint.__all__) >= {"lint_source", "lint_paths", "Diagnostic", "LintError"}
    assert fastlint.Diagnostic is Diagnostic
    with pytest.raises(AttributeError):
        fastlint.no_such_thing  # noqa: B018


def test_lint_source(in_tmp: Path) -> None:
    found = fastlint.lint_source(BAD, path="app/main.py")
    assert [(d.code, d.path, d.location.line, d.location.column) for d in found] == [
        ("FL101", "app/main.py", 5, 6),
        ("FL201", "app/main.py", 11, 23),
    ]
    assert all(isinstance(d, Diagnostic) for d in found)
    assert found[0].to_json()["message"] == "`SessionLocal()` creates a session at module level that every request shares"
    assert fastlint.lint_source(BAD) == [d.__class__(**{**d.__dict__, "path": "<stdin>"}) for d in found]
    assert [d.code for d in fastlint.lint_source(BAD, select=["FL2"])] == ["FL201"]
    assert [d.code for d in fastlint.lint_source(BAD, select="FL101,FL102")] == ["FL101"]
    assert fastlint.lint_source("x = 1\n") == []
    (syntax,) = fastlint.lint_source("def f(:\n    pass\n", path="broken.py")
    assert syntax.code == "FL001" and syntax.location.line == 1


def test_lint_source_reads_the_configuration_near_the_path(in_tmp: Path) -> None:
    write(in_tmp, "svc/pyproject.toml", "[tool.fastlint]\nignore = ['FL101']\n[tool.fastlint.per-file-ignores]\n'scripts/*' = ['FL2']\n")
    write(in_tmp, "svc/app/__init__.py", "")
    assert [d.code for d in fastlint.lint_source(BAD, path=str(in_tmp / "svc" / "app" / "main.py"))] == ["FL201"]
    assert fastlint.lint_source(BAD, path=str(in_tmp / "svc" / "scripts" / "seed.py")) == []
    assert [d.code for d in fastlint.lint_source(BAD, path=str(in_tmp / "svc" / "app" / "main.py"), settings=Settings())] == ["FL101", "FL201"]
    with pytest.raises(ConfigError, match="unknown rule code or prefix 'FL9'"):
        fastlint.lint_source(BAD, select=["FL9"])


def test_lint_source_with_unused_noqa_and_suppressions() -> None:
    text = BAD.replace("db = SessionLocal()", "db = SessionLocal()  # noqa: FL101").replace("app = FastAPI()", "app = FastAPI()  # noqa: FL201")
    assert [d.code for d in fastlint.lint_source(text)] == ["FL201"]
    found = fastlint.lint_source(text, settings=Settings(extend_select=("FL002",)))
    assert [(d.code, d.location.line) for d in found] == [("FL002", 6), ("FL201", 11)]


def test_lint_source_sees_the_project_on_request() -> None:
    """An unsaved router of the sample project: `SessionLocal` comes from another module."""
    path = str(PROJECTS / "sample_app" / "app" / "routers" / "users.py")
    text = Path(path).read_text(encoding="utf-8")
    settings = Settings(root=str(PROJECTS / "sample_app"))
    alone = fastlint.lint_source(text, path=path, settings=settings)
    together = fastlint.lint_source(text, path=path, settings=settings, project=True)
    assert [d.code for d in alone] == []
    assert [(d.code, d.location.line) for d in together] == [("FL105", 24), ("FL102", 30)]
    # the buffer, not the file on disk, is what is linted
    edited = fastlint.lint_source(text.replace("SessionLocal()", "SessionLocal ()"), path=path, settings=settings, project=True)
    assert [d.location.line for d in edited] == [24, 30]


def test_lint_paths(in_tmp: Path) -> None:
    write(in_tmp, "proj/app/main.py", BAD)
    write(in_tmp, "proj/app/ok.py", "x = 1\n")
    found = fastlint.lint_paths(["app"], root=in_tmp / "proj", jobs=1)
    assert [(d.code, d.path) for d in found] == [("FL101", "app/main.py"), ("FL201", "app/main.py")]
    assert fastlint.lint_paths([], root=in_tmp / "proj", select=["FL201"], jobs=1)[0].path == "app/main.py"
    assert fastlint.lint_paths(["proj"], ignore="FL1,FL2", jobs=1) == []
    assert [d.code for d in fastlint.lint_paths([in_tmp / "proj"], extend_select=["FL302"], settings=Settings(select=("FL101",)))] == ["FL101"]
    with pytest.raises(fastlint.LintError) as info:
        fastlint.lint_paths(["app/main.py", "app/missing.py"], root=in_tmp / "proj", jobs=1)
    assert info.value.errors == ["app/missing.py: No such file or directory"]
    assert [d.code for d in info.value.diagnostics] == ["FL101", "FL201"]


def test_lint_paths_equals_the_cli_on_the_sample_project(in_tmp: Path) -> None:
    import json

    from click.testing import CliRunner

    from fastlint.cli import cli

    project = PROJECTS / "sample_app"
    import os

    os.chdir(project)
    cli_json = json.loads(CliRunner().invoke(cli, ["check", "--isolated", "--format", "json"], catch_exceptions=False).output)
    api = fastlint.lint_paths(["."], root=project, settings=Settings(), jobs=2)
    assert [d.to_json() for d in api] == cli_json["diagnostics"]
