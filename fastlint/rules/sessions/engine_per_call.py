from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule


class EnginePerCall(Rule):
    """`create_engine()` / `create_async_engine()` called in code that runs for every request.

    ## Why is this bad?
    An `Engine` owns a connection pool. Built inside a route, a dependency, or a helper they call,
    every request creates a new pool, opens fresh connections (TCP + TLS + authentication each
    time), and leaves the old pool to the garbage collector with its connections still open: the
    database runs out of connection slots under load, and each request pays the connect latency.

    Create the engine once per process (at module level, in the lifespan handler, or in a factory
    cached with `functools.lru_cache`) and share it. fastlint reports calls reachable from a route
    or dependency; start-up code, cached factories and lazily-initialised globals (`global engine`,
    `self.engine = ...`) are not reported.

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
    requires = ("engine",)

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: calls whose result is stored in a global, an attribute or a container (lazy singletons)
        self._stored: set[int] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(self._is_store(t.target) for t in node.targets):
            self._mark(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self._is_store(node.target):
            self._mark(node.value)

    def _mark(self, value: cst.BaseExpression) -> None:
        # `_engine = _engine or create_engine(...)` and `x = create_engine(...) if ... else ...`
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, cst.Call):
                self._stored.add(id(item))
            elif isinstance(item, cst.BooleanOperation):
                stack.extend((item.left, item.right))
            elif isinstance(item, cst.IfExp):
                stack.extend((item.body, item.orelse))
            elif isinstance(item, cst.Await):
                stack.append(item.expression)

    def _is_store(self, target: cst.BaseExpression) -> bool:
        if isinstance(target, (cst.Attribute, cst.Subscript)):
            return True
        scope = self.ctx.model.scope
        return isinstance(target, cst.Name) and target.value in scope.globals

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        function = model.function
        if function is None or id(node) in self._stored or self.ctx.is_test:
            return
        # Only the sites that build the engine: a project helper that wraps create_engine() is
        # reported inside the helper, where the call is.
        if ref_of(model.describe(node.func)) is None:
            return
        builds = queries.has_kind(model.describe(node), known.ENGINES)
        if not builds.is_true:
            return
        if self._cached(function.facts):
            return
        self.report(
            node,
            when=queries.is_request_code(function.qualname),
            call=self.ctx.call_snippet(node),
            function=function.facts["name"],
        )

    @staticmethod
    def _cached(facts: dict) -> bool:  # type: ignore[type-arg]
        for deco in facts["decorators"]:
            target = deco[1] if deco is not None and deco[0] == "call" else deco
            if ref_of(target) in known.CACHE_DECORATORS:
                return True
        return False
