"""What fastlint knows about third-party names, by qualified name.

Kinds are short strings. A class object is ``T:<Kind>``; calling it gives an instance ``<Kind>``.
A factory (``sessionmaker()``'s result) is an instance whose call gives another instance.
"""

from __future__ import annotations

import sys

# Instance kinds -------------------------------------------------------------------------------
SESSION = "Session"
ASYNC_SESSION = "AsyncSession"
SCOPED_SESSION = "ScopedSession"  # scoped_session(...): a registry that also proxies a Session
ASYNC_SCOPED_SESSION = "AsyncScopedSession"
SESSIONMAKER = "SessionMaker"
ASYNC_SESSIONMAKER = "AsyncSessionMaker"
ENGINE = "Engine"
ASYNC_ENGINE = "AsyncEngine"
CONNECTION = "Connection"
ASYNC_CONNECTION = "AsyncConnection"
METADATA = "MetaData"
FASTAPI_APP = "FastAPI"
API_ROUTER = "APIRouter"
BACKGROUND_TASKS = "BackgroundTasks"
BACKGROUND_TASK = "BackgroundTask"
REQUEST = "Request"
DECL_BASE = "DeclBase"  # a declarative base class (or SQLModel): `.metadata` is a MetaData
#: Marks a value FastAPI injects (a `Depends`/`Security` parameter).
INJECTED = "Injected"

SYNC_SESSIONS = frozenset({SESSION, SCOPED_SESSION})
ASYNC_SESSIONS = frozenset({ASYNC_SESSION, ASYNC_SCOPED_SESSION})
SESSIONS = SYNC_SESSIONS | ASYNC_SESSIONS
SESSION_FACTORIES = frozenset({SESSIONMAKER, ASYNC_SESSIONMAKER, SCOPED_SESSION, ASYNC_SCOPED_SESSION})
ENGINES = frozenset({ENGINE, ASYNC_ENGINE})
APPS_AND_ROUTERS = frozenset({FASTAPI_APP, API_ROUTER})


def type_of(kind: str) -> str:
    return "T:" + kind


def _names(kind: str, *qualnames: str) -> dict[str, str]:
    return {q: kind for q in qualnames}


#: Qualified names of classes (their kind as a type: calling them makes an instance).
CLASSES: dict[str, str] = {
    **_names(
        SESSION,
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    ),
    **_names(
        ASYNC_SESSION,
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    ),
    **_names(SESSIONMAKER, "sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"),
    **_names(
        ASYNC_SESSIONMAKER,
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.session.async_sessionmaker",
    ),
    **_names(SCOPED_SESSION, "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"),
    **_names(
        ASYNC_SCOPED_SESSION,
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "sqlalchemy.ext.asyncio.scoping.async_scoped_session",
    ),
    **_names(ENGINE, "sqlalchemy.engine.Engine", "sqlalchemy.Engine", "sqlalchemy.engine.base.Engine"),
    **_names(ASYNC_ENGINE, "sqlalchemy.ext.asyncio.AsyncEngine", "sqlalchemy.ext.asyncio.engine.AsyncEngine"),
    **_names(CONNECTION, "sqlalchemy.engine.Connection", "sqlalchemy.Connection"),
    **_names(ASYNC_CONNECTION, "sqlalchemy.ext.asyncio.AsyncConnection"),
    **_names(METADATA, "sqlalchemy.MetaData", "sqlalchemy.schema.MetaData", "sqlalchemy.sql.schema.MetaData"),
    **_names(FASTAPI_APP, "fastapi.FastAPI", "fastapi.applications.FastAPI"),
    **_names(API_ROUTER, "fastapi.APIRouter", "fastapi.routing.APIRouter"),
    **_names(
        BACKGROUND_TASKS,
        "fastapi.BackgroundTasks",
        "fastapi.background.BackgroundTasks",
        "starlette.background.BackgroundTasks",
    ),
    **_names(BACKGROUND_TASK, "starlette.background.BackgroundTask", "fastapi.background.BackgroundTask"),
    **_names(REQUEST, "fastapi.Request", "starlette.requests.Request", "fastapi.requests.Request"),
    **_names(
        DECL_BASE,
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlmodel.SQLModel",
        "sqlmodel.main.SQLModel",
    ),
}

#: The session kind a session factory produces when called.
FACTORY_PRODUCT = {
    SESSIONMAKER: SESSION,
    ASYNC_SESSIONMAKER: ASYNC_SESSION,
    SCOPED_SESSION: SESSION,
    ASYNC_SCOPED_SESSION: ASYNC_SESSION,
}

#: Functions: qualified name -> the kind of instance their call returns.
FUNCTIONS: dict[str, str] = {
    **_names(
        ENGINE,
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlalchemy.engine.create.create_engine",
        "sqlalchemy.engine_from_config",
        "sqlalchemy.engine.engine_from_config",
        "sqlmodel.create_engine",
    ),
    **_names(
        ASYNC_ENGINE,
        "sqlalchemy.ext.asyncio.create_async_engine",
        "sqlalchemy.ext.asyncio.engine.create_async_engine",
        "sqlalchemy.ext.asyncio.async_engine_from_config",
    ),
    **_names(
        type_of(DECL_BASE),
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
    ),
}

#: Functions whose call is a FastAPI dependency marker.
DEPENDS = frozenset(
    {
        "fastapi.Depends",
        "fastapi.params.Depends",
        "fastapi.param_functions.Depends",
        "fastapi.Security",
        "fastapi.params.Security",
        "fastapi.param_functions.Security",
    }
)
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
UNION = frozenset({"typing.Union", "typing_extensions.Union"})
#: Generic wrappers whose first argument is the value a dependency provides.
GENERATOR_TYPES = frozenset(
    {
        "typing.Generator",
        "typing.Iterator",
        "typing.Iterable",
        "typing.AsyncGenerator",
        "typing.AsyncIterator",
        "typing.AsyncIterable",
        "collections.abc.Generator",
        "collections.abc.Iterator",
        "collections.abc.Iterable",
        "collections.abc.AsyncGenerator",
        "collections.abc.AsyncIterator",
        "collections.abc.AsyncIterable",
        "typing_extensions.AsyncGenerator",
    }
)
CACHE_DECORATORS = frozenset(
    {
        "functools.lru_cache",
        "functools.cache",
        "functools.cached_property",
        "async_lru.alru_cache",
        "cachetools.cached",
        "aiocache.cached",
    }
)
CONTEXT_MANAGER_DECORATORS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})

#: Methods of an app or router that register a route when used as decorators.
ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "websocket", "route"}
)
#: Calls that register an endpoint: method name -> index of the endpoint argument.
ROUTE_REGISTRATIONS = {
    "add_api_route": 1,
    "add_api_websocket_route": 1,
    "add_route": 1,
    "add_websocket_route": 1,
}

#: Top-level packages that are never part of the project being linted (stdlib and the
#: libraries fastlint models). A reference into them is decided without the project index.
EXTERNAL_TOP_LEVEL = frozenset(
    set(getattr(sys, "stdlib_module_names", ()))
    | {
        "builtins",
        "sqlalchemy",
        "sqlmodel",
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic_settings",
        "typing_extensions",
        "alembic",
        "requests",
        "httpx",
        "jwt",
        "jose",
        "passlib",
        "bcrypt",
        "uvicorn",
        "anyio",
        "celery",
        "redis",
        "boto3",
        "numpy",
        "pandas",
    }
)

BUILTIN_NAMES = frozenset(dir(__import__("builtins")))
