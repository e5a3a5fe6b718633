"""Condition atoms: the questions a rule can leave for the project index to answer.

Each function returns a `Cond`. The engine decides it with the file's own facts after the walk and,
if it still depends on other files, the project index decides it at the end of the run (see
`fastlint.conditions` and `ProjectIndex.oracle`).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastlint.analysis import known
from fastlint.analysis.index import ProjectIndex
from fastlint.analysis.model import Desc
from fastlint.conditions import FALSE, TRUE, Cond

#: Decides what third-party knowledge alone can decide; project names stay open.
_EXTERNAL = ProjectIndex([], partial=True)
_EXTERNAL_MEMO_LIMIT = 50_000

#: Methods of sessions, queries, results and containers: none returns a session, an engine or
#: anything else fastlint tracks, so a call of one is decided without knowing its receiver.
DATA_METHODS = frozenset(
    {
        "execute", "scalars", "scalar", "scalar_one", "scalar_one_or_none", "query", "get", "add",
        "add_all", "commit", "rollback", "flush", "refresh", "delete", "merge", "exec", "filter",
        "filter_by", "where", "all", "first", "one", "one_or_none", "limit", "offset", "order_by",
        "join", "options", "close", "expunge", "expire", "fetchall", "fetchone", "fetchmany",
        "mappings", "unique", "count", "append", "extend", "update", "items", "keys", "values",
        "format", "join", "split", "strip", "lower", "upper", "startswith", "endswith", "replace",
        "encode", "decode", "dict", "model_dump", "json", "copy", "pop", "setdefault", "info",
        "debug", "warning", "error", "exception", "isoformat", "group_by", "having", "select_from",
        "returning", "values", "on_conflict_do_nothing", "on_conflict_do_update", "label", "desc",
        "asc", "in_", "is_", "like", "ilike", "cast", "subquery", "cte", "alias", "correlate",
    }
)


#: Kinds that data methods do produce (query chains and results): never pruned by method name.
_CHAIN_KINDS = frozenset(
    {known.QUERY, known.SELECT, known.RESULT, known.SCALAR_RESULT, known.ROWS, known.ROW, known.CURSOR, known.COLUMN}
)


def has_kind(desc: Desc, kinds: Iterable[str]) -> Cond:
    """The value described by `desc` may be one of `kinds` (see `fastlint.analysis.known`)."""
    if desc is None:
        return FALSE
    wanted = sorted(kinds)
    if (
        desc[0] == "call"
        and desc[1] is not None
        and desc[1][0] == "attr"
        and desc[1][2] in DATA_METHODS
        and not set(wanted) & _CHAIN_KINDS
    ):
        return FALSE
    if len(_EXTERNAL._memo) > _EXTERNAL_MEMO_LIMIT:
        _EXTERNAL._memo.clear()
    decided = _EXTERNAL.has_kind(desc, wanted)
    if decided is not None:
        return TRUE if decided else FALSE
    return Cond.atom("kind", desc, wanted)


def is_route(function: str) -> Cond:
    """`function` is registered as a path operation (decorator or `add_api_route`)."""
    return Cond.atom("route", function)


def is_http_route(function: str) -> Cond:
    """`function` is an HTTP path operation (not a websocket handler)."""
    return Cond.atom("http_route", function)


def is_dependency(function: str) -> Cond:
    """`function` (or class) is used in `Depends(...)`/`Security(...)` somewhere in the project."""
    return Cond.atom("dependency", function)


def is_entry_point(function: str) -> Cond:
    """A route or a dependency."""
    return Cond.atom("entry", function)


def is_request_code(function: str) -> Cond:
    """An entry point, or a function one calls (through up to `call_depth` calls)."""
    return Cond.atom("request_code", function)


def is_used_by_request_code(qualname: str) -> Cond:
    """The global `qualname` is referenced from request code."""
    return Cond.atom("used_by_request_code", qualname)


def is_called_by_route_in_module(function: str) -> Cond:
    """A route in the module that defines `function` calls it directly."""
    return Cond.atom("called_by_route_in_module", function)


def is_runtime_code(function: str) -> Cond:
    """Request code, or code the application runs at start-up (lifespan and start-up handlers,
    module-level calls of application modules), and what those call."""
    return Cond.atom("runtime_code", function)


def calls_into(function: str, prefixes: Iterable[str], depth: int = 1) -> Cond:
    """`function` (or a project function it calls, to `depth` calls) calls a name starting with one
    of `prefixes`, or a method whose name ends like one (a prefix ``.stamp`` matches ``x.stamp``)."""
    return Cond.atom("calls_into", function, sorted(prefixes), depth)


def is_column_of(owner: Desc, name: str) -> Cond:
    """`owner.name` is a mapped column, `owner` being a mapped class (or an instance of one)."""
    return FALSE if owner is None else Cond.atom("column_of", owner, name)


def is_unique_column_of(owner: Desc, name: str) -> Cond:
    """`name` is a primary-key or unique column of the entity `owner` is or selects."""
    return FALSE if owner is None else Cond.atom("unique_column_of", owner, name)


def is_unique_class_column(owner: Desc, name: str) -> Cond:
    """`owner` is a mapped class (not an instance of one) and `name` its unique column."""
    return FALSE if owner is None else Cond.atom("unique_class_column_of", owner, name)


def is_foreign_key_of(owner: Desc, name: str) -> Cond:
    """`owner.name` is a mapped column declared with a `ForeignKey`."""
    return FALSE if owner is None else Cond.atom("foreign_key_of", owner, name)


def is_indexed_column_of(owner: Desc, name: str) -> Cond:
    """`name` leads an index of the entity `owner` is or selects."""
    return FALSE if owner is None else Cond.atom("indexed_column_of", owner, name)


def is_lazy_relationship_of(owner: Desc, name: str) -> Cond:
    """`owner.name` is a lazily loaded relationship of `owner`'s entity."""
    return FALSE if owner is None else Cond.atom("lazy_relationship_of", owner, name)


def is_unique_column(entity: str, column: str) -> Cond:
    """`entity.column` is a primary key or unique: a filter on it bounds the result to one row."""
    return Cond.atom("unique_column", entity, column)


def is_indexed_column(entity: str, column: str) -> Cond:
    """`entity.column` leads some index (see `ProjectIndex.is_indexed_column`)."""
    return Cond.atom("indexed_column", entity, column)


def is_lazy_relationship(entity: str, name: str) -> Cond:
    """`entity.name` is a relationship loaded lazily on access."""
    return Cond.atom("lazy_relationship", entity, name)


def is_constant(qualname: str) -> Cond:
    """The global `qualname` is bound to a literal at module level (possibly in another module)."""
    return Cond.atom("constant", qualname)


def is_capped(function: str, param: str) -> Cond:
    """`function`'s parameter is bounded in code (`min(...)`, a raising guard, a slice bound),
    in the function or in one it passes the parameter to."""
    return Cond.atom("capped", function, param)


def is_unique_cover(owner: Desc, columns: Iterable[str]) -> Cond:
    """Filtering `owner`'s entity on all of `columns` matches at most one row (a unique key)."""
    return FALSE if owner is None else Cond.atom("unique_cover", owner, sorted(set(columns)))


def is_constant_value(desc: Desc) -> Cond:
    """The value is fixed in the code, or a number (see `ProjectIndex.is_constant_value`)."""
    return FALSE if desc is None else Cond.atom("constant_value", desc)


def is_on_event_loop(function: str) -> Cond:
    """`function` runs on the event loop: an `async def` entry point, or a function one calls
    directly (see `ProjectIndex.loop_parents`)."""
    return Cond.atom("on_event_loop", function)


def does_heavy_work(callee: Desc) -> Cond:
    """The project function `callee` describes does CPU-heavy work or builds a report, itself or
    through the functions it calls."""
    return FALSE if callee is None else Cond.atom("heavy_work", callee)


def is_http_request_code(function: str) -> Cond:
    """Request code a client waits on (not websocket handlers and what they call)."""
    return Cond.atom("http_request_code", function)


def constant_has_string(qualname: str, text: str) -> Cond:
    """The module constant `qualname` (a literal, or an environment lookup's literal default)
    holds the string `text`."""
    return Cond.atom("constant_has_string", qualname, text)


def constant_is_secret_literal(qualname: str) -> Cond:
    """The module constant `qualname` is a non-empty string literal (or an environment lookup
    with a non-empty literal default)."""
    return Cond.atom("constant_is_secret_literal", qualname)


def schedules_background_task(model, node) -> Cond | None:  # type: ignore[no-untyped-def]
    """The condition that the call `node` hands work to FastAPI's background tasks
    (`tasks.add_task(f, ...)` on a `BackgroundTasks`, or `BackgroundTask(f, ...)`), or None if it
    cannot."""
    import libcst as cst

    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "add_task":
        return has_kind(model.describe(func.value), {known.BACKGROUND_TASKS})
    callee = model.describe(func)
    if callee is None:
        return None
    return has_kind(["call", callee], {known.BACKGROUND_TASK})


def has_secret_field(desc: Desc) -> Cond:
    """`desc` is an instance of a project class (an ORM model, a pydantic model, a dataclass)
    with a field named like a password or secret (`hashed_password`, `api_key`), own or
    inherited."""
    return FALSE if desc is None else Cond.atom("secret_field_of", desc)


def encodes_jwt(callee: Desc, where: object) -> Cond:
    """The argument at `where` (a position or a keyword) of a call of the project function
    `callee` becomes the claims of a JWT (`create_access_token(data=...)`)."""
    return FALSE if callee is None else Cond.atom("encodes_jwt", callee, where)


def is_alembic_extra_head(folder: str, revision: str) -> Cond:
    """`revision` is a head of the history of versions folder `folder`, and another head shares
    its branch."""
    return Cond.atom("alembic_extra_head", folder, revision)


def is_alembic_missing(folder: str, named: str) -> Cond:
    """`named` (a `down_revision`/`depends_on` entry) is no revision or branch label of the
    history of `folder`."""
    return Cond.atom("alembic_missing", folder, named)


def is_alembic_duplicate(folder: str, revision: str) -> Cond:
    """Two revision files of the history of `folder` declare `revision`."""
    return Cond.atom("alembic_duplicate", folder, revision)


def is_alembic_in_cycle(folder: str, revision: str) -> Cond:
    """`revision` lies on a cycle of `down_revision` links."""
    return Cond.atom("alembic_in_cycle", folder, revision)


def is_versioned_entity_of(desc: Desc) -> Cond:
    """`desc` belongs to a mapped class with a version counter (`__mapper_args__ =
    {"version_id_col": ...}`): SQLAlchemy's optimistic locking."""
    return FALSE if desc is None else Cond.atom("versioned_entity_of", desc)


def is_serialized_by_callers(function: str) -> Cond:
    """Every caller of `function` in its module holds a lock (an advisory lock, an
    `asyncio.Lock`, a `...lock()` helper) when it calls it."""
    return Cond.atom("serialized_by_callers", function)


def is_alembic_history_without_postgres(folder: str) -> Cond:
    """The revisions of `folder`'s history name other databases (MySQL, SQLite, ...) and never
    PostgreSQL: a project that does not run on it."""
    return Cond.atom("alembic_without_postgres", folder)
