"""The semantic model and the project index: names, kinds, FastAPI facts, across modules."""

from __future__ import annotations

import textwrap

import pytest

from fastlint.analysis import known
from fastlint.analysis.index import ProjectIndex
from fastlint.analysis.names import module_name_for, resolve_relative
from fastlint.engine import FileJob, lint_source


def index_of(modules: dict[str, str]) -> ProjectIndex:
    summaries = []
    for name, source in modules.items():
        is_package = name.endswith(".__init__")
        module = name[: -len(".__init__")] if is_package else name
        job = FileJob(path=f"{name}.py", display_path=f"{name}.py", relpath=f"{name}.py", module_name=module, is_package=is_package)
        result = lint_source(textwrap.dedent(source), job, [])
        assert result.facts is not None, result.diagnostics
        summaries.append(result.facts)
    return ProjectIndex(summaries)


def kinds(index: ProjectIndex, qual: str) -> set[str]:
    found, unknown = index.kinds(["ref", qual])
    assert not unknown
    return set(found)


def param_kinds(index: ProjectIndex, function: str, param: str) -> set[str]:
    facts = index.functions[function]
    desc = dict((name, d) for name, d in facts["params"])[param]
    found, _ = index.kinds(desc)
    return set(found)


def test_module_names_and_relative_imports() -> None:
    assert module_name_for("app/api/__init__.py") == ("app.api", True)
    assert module_name_for("app/api/routes.py") == ("app.api.routes", False)
    assert module_name_for("stubs/x.pyi") == ("stubs.x", False)
    # files no import can name still get names of their own (Alembic revisions must not collide)
    first = module_name_for("migrations/versions/0095_add_index.py")[0]
    second = module_name_for("migrations/versions/37f2c1_add_email.py")[0]
    assert len({first, second, module_name_for("migrations/versions/__init__.py")[0]}) == 3
    assert module_name_for("my-service/app/main.py") == ("my-service.app.main", False)
    assert resolve_relative("app.api", 1, "deps") == "app.api.deps"
    assert resolve_relative("app.api", 2, None) == "app"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sqlalchemy.orm import sessionmaker\nS = sessionmaker()\nx = S()", known.SESSION),
        ("from sqlalchemy.orm import sessionmaker as sm\nfrom sqlalchemy.ext.asyncio import AsyncSession\nS = sm(class_=AsyncSession)\nx = S()", known.ASYNC_SESSION),
        ("from sqlalchemy.ext.asyncio import async_sessionmaker\nS = async_sessionmaker()\nx = S()", known.ASYNC_SESSION),
        ("import sqlalchemy.orm as orm\nx = orm.Session(bind=None)", known.SESSION),
        ("from sqlmodel import Session\nx = Session(None)", known.SESSION),
        ("from sqlalchemy.orm import scoped_session, sessionmaker\nx = scoped_session(sessionmaker())", known.SCOPED_SESSION),
        ("from sqlalchemy import create_engine\nx = create_engine('sqlite://')", known.ENGINE),
        ("from sqlalchemy.ext.asyncio import create_async_engine\nx = create_async_engine('x')", known.ASYNC_ENGINE),
        ("from fastapi import APIRouter\nclass R(APIRouter):\n    pass\nx = R()", known.API_ROUTER),
        ("from sqlmodel import SQLModel\nx = SQLModel.metadata", known.METADATA),
        ("from sqlalchemy.orm import declarative_base\nBase = declarative_base()\nx = Base.metadata", known.METADATA),
        ("from sqlalchemy.orm import sessionmaker\nS = sessionmaker()\ndef make():\n    return S()\nx = make()", known.SESSION),
    ],
)
def test_kinds_of_module_values(source: str, expected: str) -> None:
    assert expected in kinds(index_of({"m": source}), "m.x")


def test_look_alikes_are_not_sessions() -> None:
    index = index_of(
        {
            "m": """
            from requests import Session as HttpSession
            import aiohttp
            class Session:
                pass
            a = HttpSession()
            b = Session()
            c = aiohttp.ClientSession()
            """
        }
    )
    for name in ("a", "b", "c"):
        assert not kinds(index, f"m.{name}") & known.SESSIONS


def test_parameters_through_annotated_aliases_in_other_modules() -> None:
    index = index_of(
        {
            "app.db": """
            from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
            engine = create_async_engine("x")
            maker = async_sessionmaker(engine)
            async def get_session():
                async with maker() as session:
                    yield session
            def get_sync():
                from sqlalchemy.orm import Session
                with Session(None) as s:
                    yield s
            """,
            "app.__init__": "from .db import get_session\n",
            "app.deps": """
            from typing import Annotated, Optional
            from fastapi import Depends
            from sqlalchemy.ext.asyncio import AsyncSession
            from app import get_session
            SessionDep = Annotated[AsyncSession, Depends(get_session)]
            Untyped = Annotated[object, Depends(get_session)]
            """,
            "app.routes": """
            from typing import Optional
            from fastapi import Depends
            from sqlalchemy.orm import Session
            from app.deps import SessionDep, Untyped
            from app.db import get_sync, get_session
            async def a(s: SessionDep): ...
            async def b(s=Depends(get_session)): ...
            def c(s: "Session" = Depends(get_sync)): ...
            def d(s: Optional[Session] = None): ...
            def e(s: Session | None): ...
            """,
        }
    )
    assert param_kinds(index, "app.routes.a", "s") >= {known.ASYNC_SESSION, known.INJECTED}
    assert param_kinds(index, "app.routes.b", "s") >= {known.ASYNC_SESSION, known.INJECTED}
    assert param_kinds(index, "app.routes.c", "s") >= {known.SESSION, known.INJECTED}
    assert param_kinds(index, "app.routes.d", "s") == {known.SESSION}
    assert param_kinds(index, "app.routes.e", "s") == {known.SESSION}
    assert known.ASYNC_SESSION not in param_kinds(index, "app.routes.c", "s")
    assert index.is_dependency("app.db.get_session") and index.is_dependency("app.db.get_sync")


def test_routes_on_imported_routers_and_add_api_route() -> None:
    index = index_of(
        {
            "svc.router": "from fastapi import APIRouter\napi = APIRouter(prefix='/api')\n",
            "svc.items": """
            from svc.router import api as router
            @router.get("/items")
            async def items(): ...
            @router.websocket("/ws")
            async def ws(websocket): ...
            def helper(): ...
            def plain(): ...
            router.add_api_route("/h", helper)
            """,
            "svc.flask_like": """
            class NotARouter:
                def get(self, path): return lambda f: f
            app = NotARouter()
            @app.get("/x")
            def x(): ...
            """,
        }
    )
    assert index.is_route("svc.items.items")
    assert index.is_route("svc.items.helper")
    assert index.is_route("svc.items.ws") and not index.is_route("svc.items.ws", websocket=False)
    assert not index.is_route("svc.items.plain")
    assert not index.is_route("svc.flask_like.x")


def test_namespace_packages_resolve_by_suffix() -> None:
    index = index_of(
        {
            "backend.app.db": "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n",
            "backend.app.main": "from app.db import SessionLocal\nx = SessionLocal()\n",
        }
    )
    assert known.SESSION in kinds(index, "backend.app.main.x")


def test_the_partial_index_leaves_other_modules_open() -> None:
    source = "from app.db import SessionLocal\nx = SessionLocal()\nfrom sqlalchemy import create_engine\ne = create_engine('x')\n"
    job = FileJob(path="m.py", display_path="m.py", relpath="m.py", module_name="m", is_package=False)
    facts = lint_source(source, job, []).facts
    partial = ProjectIndex([facts], partial=True)
    assert partial.has_kind(["ref", "m.x"], known.SESSIONS) is None, "decided by the project pass"
    assert partial.has_kind(["ref", "m.e"], known.ENGINES) is True, "third-party knowledge decides now"


def test_recursion_in_definitions_terminates() -> None:
    index = index_of({"m": "a = b\nb = a\ndef f():\n    return g()\ndef g():\n    return f()\nx = f()\n"})
    assert kinds(index, "m.a") == set()
    assert kinds(index, "m.x") == set()
