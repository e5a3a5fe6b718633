from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.model import decorator_names, ref_of
from fastlint.analysis.names import dotted
from fastlint.rule import Rule


class EnginePerCall(Rule):
    """`create_engine()` / `create_async_engine()` called in code that runs for every request.

    ## Why is this bad?
    An `Engine` owns a connection pool. Built inside a route, a dependency, or a helper they call,
    every request creates a new pool, opens fresh connections (TCP + TLS + authentication each
    time), and leaves the old pool to the garbage collector with its connections still open: the
    database runs out of connection slots under load, and each request pays the connect latency.

    Create the engine once per process (at module level, in the lifespan handler, or in a factory
    cached with `functools.lru_cache`) and share it. fastlint reports calls reachable from a route,
    a dependency or a middleware. Not reported: start-up code, cached factories, lazily-initialised
    caches (a global, attribute or dict entry that the function tests before it builds the engine:
    `if _engine is None:`, `if url not in _engines:`, `_engine = _engine or create_engine(...)`),
    and engines without a pool (`poolclass=NullPool`, e.g. to probe a user-supplied URL). A store
    that nothing tests (`request.state.engine = create_engine(...)`) builds a new engine each time
    and is reported.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    app = FastAPI()


    def get_db():
        engine = create_engine("postgresql://localhost/app")
        with Session(engine) as session:
            yield session


    @app.get("/users")
    def list_users(db: Session = Depends(get_db)):
        return []
    ```

    ## Use instead
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine("postgresql://localhost/app")
    app = FastAPI()


    def get_db():
        with Session(engine) as session:
            yield session


    @app.get("/users")
    def list_users(db: Session = Depends(get_db)):
        return []
    ```

    ## References
    - [SQLAlchemy: engine configuration ("the Engine is intended to normally be a permanent fixture")](https://docs.sqlalchemy.org/en/20/core/connections.html#basic-usage)
    - [SQLAlchemy: connection pooling](https://docs.sqlalchemy.org/en/20/core/pooling.html)
    - [FastAPI: lifespan events](https://fastapi.tiangolo.com/advanced/events/)
    """

    code = "FL104"
    name = "engine-per-call"
    message = "`{call}` builds a new engine and connection pool on every call of `{function}()`"
    fix_hint = "Create the engine once at module level or in the lifespan handler, and reuse it"
    requires = ("create_engine", "create_async_engine", "engine_from_config")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._calls: list[list[cst.Call]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._calls.append([])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        calls = self._calls.pop()
        function = self.ctx.model.function
        if function is None or not calls:
            return
        if any(name in known.CACHE_DECORATORS for name in decorator_names(function.facts)):
            return
        lazy = function.lazy  # what the function tests and stores: lazily-initialised caches
        for call in calls:
            if lazy is not None and lazy.is_cached(call):
                continue
            self.report(
                call,
                when=queries.is_request_code(function.qualname),
                call=self.ctx.call_snippet(call),
                function=function.facts["name"],
            )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        if not self._calls or model.function is None or self.ctx.is_test:
            return
        # Only the sites that build the engine: a project helper that wraps create_engine() is
        # reported inside the helper, where the call is.
        if ref_of(model.callee(node)) is None:
            return
        if not queries.has_kind(model.describe(node), known.ENGINES).is_true:
            return
        if _uses_null_pool(node):
            return
        self._calls[-1].append(node)


def _uses_null_pool(call: cst.Call) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "poolclass":
            chain = dotted(arg.value) if isinstance(arg.value, (cst.Name, cst.Attribute)) else None
            return chain is not None and chain.rsplit(".", 1)[-1] == "NullPool"
    return False
