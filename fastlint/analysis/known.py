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
# Query building and results. A kind may also appear as "<Kind>@<entity qualname>" when the entity
# (the mapped class) is known: `session.query(User)` is {"Query", "Query@app.models.User"}.
QUERY = "Query"  # legacy ORM Query (session.query(...))
SELECT = "Select"  # select()/update()/delete() statements
RESULT = "Result"
SCALAR_RESULT = "ScalarResult"
ROWS = "Rows"  # a list of rows or entities (`.all()`, `.fetchall()`)
ROW = "Row"  # one row or entity (`.first()`, `.one()`, `.get()`)
COLUMN = "Column"  # a mapped column attribute (`User.email`)
RELATIONSHIP = "Relationship"
CURSOR = "Cursor"  # DB-API cursor
DBAPI_CONNECTION = "DBAPIConnection"
TEXT_CLAUSE = "TextClause"

STATEMENTS = frozenset({QUERY, SELECT})
RESULTS = frozenset({RESULT, SCALAR_RESULT})

#: (receiver kind, method) -> kind of the call's result. "=" keeps the receiver's kind (and entity).
METHOD_RESULTS: dict[str, dict[str, str]] = {}
_CHAIN = (
    "filter filter_by where join outerjoin options order_by group_by having distinct select_from "
    "with_entities execution_options with_for_update populate_existing yield_per limit offset "
    "correlate add_columns with_only_columns params enable_eagerloads autoflush union union_all "
    "slice prefix_with suffix_with returning values"
).split()
_SESSION_METHODS = {"query": QUERY, "execute": RESULT, "scalars": SCALAR_RESULT, "exec": SCALAR_RESULT, "get": ROW}
_ROWS_METHODS = {"all": ROWS, "fetchall": ROWS, "first": ROW, "one": ROW, "one_or_none": ROW, "scalar_one": ROW,
                 "scalar_one_or_none": ROW, "fetchone": ROW, "fetchmany": ROWS, "partitions": ROWS}
for _kind in (QUERY, SELECT):
    METHOD_RESULTS[_kind] = {name: "=" for name in _CHAIN}
METHOD_RESULTS[QUERY].update({"all": ROWS, "first": ROW, "one": ROW, "one_or_none": ROW, "get": ROW})
METHOD_RESULTS[RESULT] = {**_ROWS_METHODS, "scalars": SCALAR_RESULT, "mappings": RESULT, "unique": "="}
METHOD_RESULTS[SCALAR_RESULT] = {**_ROWS_METHODS, "unique": "="}
for _kind in ("Session", "AsyncSession", "ScopedSession", "AsyncScopedSession"):
    METHOD_RESULTS[_kind] = dict(_SESSION_METHODS)
for _kind in ("Connection", "AsyncConnection"):
    METHOD_RESULTS[_kind] = {"execute": RESULT, "exec_driver_sql": RESULT, "scalars": SCALAR_RESULT}
METHOD_RESULTS[DBAPI_CONNECTION] = {"cursor": CURSOR, "execute": CURSOR}
#: Session methods whose result takes its entity from the statement they run.
STATEMENT_METHODS = frozenset({"scalars", "execute", "exec"})
METHOD_RESULTS[CURSOR] = {"execute": CURSOR, "executemany": CURSOR, "fetchall": ROWS, "fetchone": ROW, "fetchmany": ROWS}
METHOD_RESULTS["Engine"] = {"connect": "Connection", "begin": "Connection"}
METHOD_RESULTS["AsyncEngine"] = {"connect": "AsyncConnection", "begin": "AsyncConnection"}
METHOD_RESULTS["SessionMaker"] = {"begin": "Session"}
METHOD_RESULTS["AsyncSessionMaker"] = {"begin": "AsyncSession"}
METHOD_RESULTS["ScopedSession"]["begin"] = "Session"
#: Methods whose first argument names the entity of the result (`session.query(User)`, `session.get(User, 1)`).
ENTITY_METHODS = frozenset({"query", "get"})

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
    **_names(COLUMN, "sqlalchemy.orm.Mapped", "sqlalchemy.orm.base.Mapped"),
    **_names(QUERY, "sqlalchemy.orm.Query", "sqlalchemy.orm.query.Query"),
    **_names(
        SELECT,
        "sqlalchemy.Select",
        "sqlalchemy.sql.Select",
        "sqlalchemy.sql.expression.Select",
        "sqlalchemy.sql.selectable.Select",
        "sqlmodel.sql.expression.Select",
        "sqlmodel.sql.expression.SelectOfScalar",
    ),
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
    **_names(
        SELECT,
        "sqlalchemy.select",
        "sqlalchemy.sql.select",
        "sqlalchemy.sql.expression.select",
        "sqlalchemy.future.select",
        "sqlmodel.select",
        "sqlmodel.sql.expression.select",
        "sqlalchemy.update",
        "sqlalchemy.delete",
        "sqlalchemy.sql.expression.update",
        "sqlalchemy.sql.expression.delete",
    ),
    **_names(TEXT_CLAUSE, "sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text"),
    **_names(
        COLUMN,
        "sqlalchemy.Column",
        "sqlalchemy.schema.Column",
        "sqlalchemy.orm.mapped_column",
        "sqlmodel.Field",
        "sqlmodel.Column",
        "sqlalchemy.orm.column_property",
    ),
    **_names(RELATIONSHIP, "sqlalchemy.orm.relationship", "sqlmodel.Relationship", "sqlalchemy.orm.relation"),
    **_names(
        DBAPI_CONNECTION,
        "sqlite3.connect",
        "psycopg2.connect",
        "psycopg.connect",
        "pymysql.connect",
        "MySQLdb.connect",
        "mysql.connector.connect",
    ),
}
#: Functions whose first positional argument is the statement's entity (`select(User)`).
ENTITY_FUNCTIONS = frozenset(q for q, kind in FUNCTIONS.items() if kind == SELECT)

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
        "psycopg2",
        "psycopg",
        "pymysql",
        "asyncpg",
        "databases",
        "aiosqlite",
        "PIL",
        "openpyxl",
        "argon2",
        "fastapi_mail",
        "aiosmtplib",
        "sendgrid",
        "botocore",
        "aioboto3",
        "aiohttp",
    }
)

BUILTIN_NAMES = frozenset(dir(__import__("builtins")))


# The FL3xx catalogue adds its client kinds (httpx.Client, redis.Redis, CryptContext, ...).
from fastlint.analysis import work as _work  # noqa: E402,F401  (registers on import)
