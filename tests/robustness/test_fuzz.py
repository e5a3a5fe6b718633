"""Fuzzing the whole pipeline with generated Python: hypothesmith programs (from the grammar and
from LibCST's node types), FastAPI / SQLAlchemy / Alembic modules whose every interesting argument is
a generated expression, and small project trees of such files. With every rule enabled, no
exception escapes, no rule fails (FL003 is a bug), every finding lies inside its file, and each
example is linted within `SECONDS_PER_EXAMPLE`.

FL001 on a program that CPython compiles means LibCST refused what CPython accepts: it must then
say so ("Python accepts this file but LibCST ..."), never pass off a CPython message.

Examples: `FUZZ_EXAMPLES` (100) per test in CI (fewer for the slower ones); `FASTLINT_FUZZ_EXAMPLES=5000`
for a long local run.
"""

from __future__ import annotations

import ast
import keyword
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from tests.robustness.fuzzing import PROFILE, examples, time_bound  # before hypothesmith

import hypothesmith  # noqa: E402

from fastlint.api import lint_source
from fastlint.cli import make_plan
from fastlint.config import Selection, Settings
from fastlint.diagnostics import Diagnostic
from fastlint.registry import default_registry
from fastlint.runner import run
from tests.conftest import write

FUZZ_EXAMPLES = examples(100)
#: a generated program of a few hundred lines lints in well under a second; a hang is a bug
SECONDS_PER_EXAMPLE = 10.0
# hypothesmith compiles what it generates ("'int' object is not callable; perhaps you missed a
# comma?"), and a failing example would print the strategies' long reprs
pytestmark = [pytest.mark.filterwarnings("ignore::SyntaxWarning"), pytest.mark.filterwarnings("ignore:Generating overly large repr")]


def compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fuzz>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_findings(diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
    """No FL003; FL001 only where CPython agrees or with fastlint's own message; every finding
    inside its file; sorted."""
    internal = [f"{d.path}:{d.location.line}: {d.message}" for d in diagnostics if d.code == "FL003"]
    assert not internal, "a rule failed (FL003):\n" + "\n".join(internal)
    for d in diagnostics:
        source = sources[d.path]
        lines = len(re.split(r"\r\n|\r|\n", source))  # as LibCST counts them
        assert 1 <= d.location.line <= d.location.end_line <= lines, (d, lines)
        assert d.location.column >= 1 and d.location.end_column >= 1
        if d.code == "FL001":
            valid = compiles(source)
            event("FL001 on code CPython compiles (LibCST refuses it)" if valid else "FL001 on code CPython rejects")
            if valid:
                assert d.message.startswith("Python accepts this file but LibCST"), d.message
            else:
                assert d.message.startswith(("syntax error", "cannot decode", "source contains a NUL byte")), d.message
    assert diagnostics == sorted(diagnostics, key=lambda d: d.sort_key)


def lint_all(source: str, path: str = "fuzz.py") -> list[Diagnostic]:
    with time_bound(SECONDS_PER_EXAMPLE):
        found = lint_source(source, path=path, settings=Settings(), select="ALL")
    check_findings(found, {path: source})
    event(f"{len(found)} findings" if len(found) < 3 else "3+ findings")
    return found


# -- generated code ----------------------------------------------------------------------------------

_names = st.sampled_from(
    ["db", "session", "SessionLocal", "Item", "Item.id", "settings.SECRET", "request.query_params", "q", "limit", "x", "_", "Depends", "text", "jwt"]
) | st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n))
_sqlish = st.sampled_from(["SELECT * FROM items", "select id from t where a = :a", "DELETE FROM t", "SELECT", "", "%s", "{}", "*", "sqlite://"])
_atoms = st.one_of(
    _names,
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.one_of(_sqlish, st.text(max_size=12)).map(repr),
    st.binary(max_size=6).map(repr),
    st.sampled_from(["None", "True", "False", "...", "()", "[]", "{}", "f'{x}'", "f'SELECT {x!r:>{w}} FROM t'", "rb'\\x'", "0j", "1_000"]),
)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, st.lists(inner, max_size=3), st.lists(st.tuples(_names.filter(str.isidentifier), inner), max_size=2, unique_by=lambda kv: kv[0])).map(
            lambda t: f"{t[0]}({', '.join(t[1] + [f'{k}={v}' for k, v in t[2]])})"
        ),
        st.tuples(inner, _names.filter(str.isidentifier)).map(lambda t: f"({t[0]}).{t[1]}"),
        pair.map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "|", "&", "**", "//", "@", "<<", "==", "<", "is not", "not in", "and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda e: f"(not {e})") | inner.map(lambda e: f"(-{e})") | inner.map(lambda e: f"(lambda *a, **k: {e})"),
        st.lists(inner, max_size=4).map(lambda es: "[" + ", ".join(es) + "]") | st.lists(inner, max_size=3).map(lambda es: "(" + "".join(e + ", " for e in es) + ")"),
        st.lists(pair, max_size=3).map(lambda ps: "{" + ", ".join(f"{k}: {v}" for k, v in ps) + "}"),
        pair.map(lambda t: f"[y for y in {t[0]} if {t[1]}]") | pair.map(lambda t: f"({t[0]} if {t[1]} else None)"),
        _names.map(lambda n: f"f'a{{{n}!r:>{{{n}}}}}b'") | pair.map(lambda t: f"{t[0]}[{t[1]}:{t[0]}:]"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}(*{t[1]}, **{{}})"),
    )


#: Python expressions (calls, operators, literals of every kind, lambdas, comprehensions, walrus,
#: f-strings), parenthesised where they could bind to their neighbours: they fit any argument slot.
expressions = st.recursive(_atoms, _compound, max_leaves=12)


def fillers(plain: list[str]) -> st.SearchStrategy[str]:
    """What fills a hole of a template: an ordinary value, an expression, or a walrus around one
    (not inside one: it is refused in comprehension iterables)."""
    return st.one_of(st.sampled_from(plain), expressions, expressions.map(lambda e: f"(w := {e})"))

FRAMEWORK = '''\
import asyncio
import time

import jwt
import requests
import uvicorn
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Query
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, text
from sqlalchemy.orm import Session, declarative_base, relationship, sessionmaker

engine = create_engine({0})
SessionLocal = sessionmaker(bind=engine)
Base = declarative_base()
app = FastAPI(debug={1})
app.add_middleware(CORSMiddleware, allow_origins={2}, allow_credentials={3})
router = APIRouter(prefix="/x", dependencies=[Depends({4})])
SECRET_KEY = {5}


class Item(Base):
    __tablename__ = {6}
    id = Column(Integer, primary_key=True)
    name = Column(String, index={7})
    owner_id = Column(Integer, ForeignKey({8}))
    owner = relationship({9}, lazy={10})


def get_db():
    db = SessionLocal()
    yield db
    db.close()


@app.get({11})
async def read(db: Session = Depends(get_db), limit: int = {12}, q: Annotated[str, Query({13})] = ""):
    rows = db.execute(text({14})).all()
    items = db.query(Item).filter({15}).offset({16}).all()
    for item in items:
        item.children = db.execute(select(Item).where(Item.id == {17})).all()
    requests.get({18}, timeout={19})
    time.sleep({20})
    claims = jwt.decode({21}, SECRET_KEY)
    token = jwt.encode({{"sub": {22}, "password": {23}}}, SECRET_KEY, algorithm={24})
    await asyncio.sleep(0)
    return {25}


@router.post("/t")
def task(background_tasks: BackgroundTasks, db: Annotated[Session, Depends(get_db)]):
    background_tasks.add_task({26}, db)
    cursor = db.connection().connection.cursor()
    cursor.execute({27} % {28})
    item = db.get(Item, 1)
    item.count = item.count + {29}
    db.commit()
    return len(db.query(Item).all())


uvicorn.run(app, reload={30})
'''
FRAMEWORK_HOLES = 31

ALEMBIC = '''\
"""{0}"""
import sqlalchemy as sa
from alembic import op

revision = {1}
down_revision = {2}
branch_labels = {3}
depends_on = None


def upgrade():
    op.create_index({4}, {5}, [{6}], unique={7})
    op.execute({8})
    op.add_column("t", sa.Column({9}, sa.String(), nullable={10}))


def downgrade():
    {11}
'''
ALEMBIC_HOLES = 12


@st.composite
def framework_modules(draw: st.DrawFn) -> str:
    """The framework template with every hole filled (ordinary values too, so that the rules
    also get past their first checks)."""
    plain = fillers(["True", "None", "100", '"*"', '"SELECT * FROM items"', '["*"]', 'f"{q}"', "lambda: 1"])
    holes = [draw(plain) for _ in range(FRAMEWORK_HOLES)]
    source = FRAMEWORK.format(*holes)
    assume(compiles(source))
    return source


@st.composite
def alembic_modules(draw: st.DrawFn) -> str:
    plain = fillers(['"abc123"', "None", '("a", "b")', '"ix_t_a"', "True"])
    holes = [draw(plain) for _ in range(ALEMBIC_HOLES)]
    holes[0] = draw(st.text(st.characters(exclude_characters='"\\\r\x00'), max_size=20))  # the docstring
    holes[11] = draw(st.sampled_from(["pass", "op.drop_index('ix')", "...", "return None"]))
    source = ALEMBIC.format(*holes)
    assume(compiles(source))
    return source


# -- the tests -----------------------------------------------------------------------------------------


def test_grammar_programs_lint_with_every_rule(in_tmp: Path) -> None:
    """Programs from the Python grammar (odd whitespace, comments, unicode, every statement form)."""

    @settings(PROFILE, max_examples=FUZZ_EXAMPLES)
    @given(source=hypothesmith.from_grammar())
    def prop(source: str) -> None:
        lint_all(source)

    prop()


def test_node_programs_lint_with_every_rule(in_tmp: Path) -> None:
    """Programs built from LibCST's node types (`hypothesmith.from_node`)."""

    @settings(PROFILE, max_examples=max(10, FUZZ_EXAMPLES // 4))
    @given(source=hypothesmith.from_node())
    def prop(source: str) -> None:
        lint_all(source)

    prop()


def test_framework_modules_with_generated_arguments(in_tmp: Path) -> None:
    """Routes, dependencies, sessions, SQL sinks, JWT calls, CORS, background tasks and models
    whose arguments are arbitrary expressions: the rules meet values they do not expect."""

    @settings(PROFILE, max_examples=FUZZ_EXAMPLES)
    @given(source=framework_modules())
    def prop(source: str) -> None:
        found = lint_all(source, path="app/main.py")
        assert "FL001" not in {d.code for d in found}  # CPython compiles it, and so does LibCST

    prop()


def test_alembic_revisions_with_generated_values(in_tmp: Path) -> None:
    @settings(PROFILE, max_examples=max(10, FUZZ_EXAMPLES // 2))
    @given(source=alembic_modules())
    def prop(source: str) -> None:
        lint_all(source, path="migrations/versions/0001_x.py")

    prop()


def test_project_trees_of_generated_files(in_tmp: Path) -> None:
    """`runner.run` over a package of generated files and revisions (the cross-file rules and the
    project pass see them all): no error, no FL003, findings inside their files."""

    @settings(PROFILE, max_examples=max(5, FUZZ_EXAMPLES // 5))
    @given(
        programs=st.lists(hypothesmith.from_grammar(), min_size=1, max_size=2),
        modules=st.lists(framework_modules(), min_size=1, max_size=1),
        revisions=st.lists(alembic_modules(), max_size=1),
    )
    def prop(programs: list[str], modules: list[str], revisions: list[str]) -> None:
        with tempfile.TemporaryDirectory(dir=in_tmp) as folder:
            root = Path(folder)
            files = {"pkg/__init__.py": ""}
            files.update({f"pkg/gen{i}.py": text for i, text in enumerate(programs)})
            files.update({f"pkg/app{i}.py": text for i, text in enumerate(modules)})
            files.update({f"migrations/versions/r{i}.py": text for i, text in enumerate(revisions)})
            for rel, text in files.items():
                write(root, rel, text)
            plan = make_plan(default_registry(), Settings(root=folder), Selection(("ALL",), (), (), "test"))
            with time_bound(SECONDS_PER_EXAMPLE * 2):
                result = run(["."], plan, 1, str(root))
            assert result.errors == []
            check_findings(result.diagnostics, files)

    prop()


def test_fixes_on_framework_modules_with_generated_arguments(in_tmp: Path) -> None:
    """`--fix --unsafe-fixes` with every fixable rule on the framework modules (a `debug=`, a
    page size default, a decoded token, a session dependency, all with arbitrary expressions
    around them): no error, the result compiles, and a second `--fix` changes nothing."""
    from click.testing import CliRunner

    from fastlint.cli import cli

    fixable = ",".join(sorted(rule.code for rule in default_registry().rules if rule.fix is not None))

    def fix() -> object:
        return CliRunner().invoke(cli, ["check", "--fix", "--unsafe-fixes", "--isolated", "--select", fixable, "main.py"], catch_exceptions=False)

    @settings(PROFILE, max_examples=max(10, FUZZ_EXAMPLES // 4))
    @given(source=framework_modules())
    def prop(source: str) -> None:
        path = write(in_tmp, "main.py", source)
        with time_bound(SECONDS_PER_EXAMPLE):
            first = fix()
        assert first.exit_code in (0, 1) and first.stderr == "", first.stdout + first.stderr  # type: ignore[attr-defined]
        fixed = path.read_text(encoding="utf-8")
        assert compiles(fixed)
        event("fixed" if fixed != source else "nothing to fix")
        second = fix()
        assert path.read_text(encoding="utf-8") == fixed
        assert "fixed" not in second.stdout  # type: ignore[attr-defined]

    prop()
