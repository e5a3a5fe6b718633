from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.model import ref_of
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
    requires = ("engine",)

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._frames: list[_Frame] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(_Frame())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        function = self.ctx.model.function
        if function is None or self._cached(function.facts):
            return
        for call in frame.calls:
            if any(frame.is_guarded(target) for target in frame.stores.get(id(call), ())):
                continue
            self.report(
                call,
                when=queries.is_request_code(function.qualname),
                call=self.ctx.call_snippet(call),
                function=function.facts["name"],
            )

    # -- what the function tests and stores ------------------------------------------------------
    def visit_If(self, node: cst.If) -> None:
        if self._frames:
            self._frames[-1].tested |= _chains(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        if self._frames:
            self._frames[-1].tested |= _chains(node.test)

    def visit_While(self, node: cst.While) -> None:
        if self._frames:
            self._frames[-1].tested |= _chains(node.test)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not self._frames:
            return
        frame = self._frames[-1]
        stored = self._store_key(target)
        for call, via_or in _calls_in(value):
            if isinstance(target, cst.Name) and stored is None:
                frame.locals[target.value] = call  # `engine = create_engine(...)`, stored later
            if stored is not None:
                frame.stores.setdefault(id(call), []).append(stored)
                if via_or:  # `_engine = _engine or create_engine(...)`
                    frame.tested.add(stored)
        # `cache[url] = engine` / `self._engine = engine` after `engine = create_engine(...)`
        if stored is not None and isinstance(value, cst.Name) and value.value in frame.locals:
            call = frame.locals[value.value]
            frame.stores.setdefault(id(call), []).extend([stored, value.value])

    def _store_key(self, target: cst.BaseExpression) -> str | None:
        """The chain a store writes to: `self._engine`, `_engines` (for `_engines[url]`), or a
        global name; None for a plain local."""
        if isinstance(target, cst.Subscript):
            return dotted(target.value)
        if isinstance(target, cst.Attribute):
            return dotted(target)
        if isinstance(target, cst.Name) and target.value in self.ctx.model.scope.globals:
            return target.value
        return None

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        if not self._frames or model.function is None or self.ctx.is_test:
            return
        # Only the sites that build the engine: a project helper that wraps create_engine() is
        # reported inside the helper, where the call is.
        if ref_of(model.describe(node.func)) is None:
            return
        if not queries.has_kind(model.describe(node), known.ENGINES).is_true:
            return
        if _uses_null_pool(node):
            return
        self._frames[-1].calls.append(node)

    @staticmethod
    def _cached(facts: dict) -> bool:  # type: ignore[type-arg]
        for deco in facts["decorators"]:
            target = deco[1] if deco is not None and deco[0] == "call" else deco
            if ref_of(target) in known.CACHE_DECORATORS:
                return True
        return False


class _Frame:
    __slots__ = ("calls", "locals", "stores", "tested")

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.locals: dict[str, cst.Call] = {}
        self.stores: dict[int, list[str]] = {}
        self.tested: set[str] = set()

    def is_guarded(self, target: str) -> bool:
        """A store is a lazy cache when the function tests what it stores (`if _engine is None`,
        `if url not in _engines`, `getattr(self, "_engine", None)`)."""
        return target in self.tested


def _calls_in(value: cst.BaseExpression) -> list[tuple[cst.Call, bool]]:
    """Calls whose result `value` can be: itself, either side of `or`/`and`, either branch of
    `x if c else y`, under `await`. The flag says whether it came through `or`."""
    out: list[tuple[cst.Call, bool]] = []
    stack: list[tuple[cst.BaseExpression, bool]] = [(value, False)]
    while stack:
        item, via_or = stack.pop()
        if isinstance(item, cst.Call):
            out.append((item, via_or))
        elif isinstance(item, cst.BooleanOperation):
            stack.extend(((item.left, True), (item.right, True)))
        elif isinstance(item, cst.IfExp):
            stack.extend(((item.body, via_or), (item.orelse, via_or)))
        elif isinstance(item, cst.Await):
            stack.append((item.expression, via_or))
    return out


def _chains(test: cst.BaseExpression) -> set[str]:
    """Every name chain a test reads (`a`, `a.b`), and `obj.attr` for `getattr(obj, "attr")`."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)):
            chain = dotted(node)
            if chain is not None:
                parts = chain.split(".")
                out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
                continue
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("getattr", "hasattr"):
            args = [a.value for a in node.args]
            if len(args) >= 2 and isinstance(args[1], cst.SimpleString):
                owner = dotted(args[0]) if isinstance(args[0], (cst.Name, cst.Attribute)) else None
                attr = args[1].evaluated_value
                if owner is not None and isinstance(attr, str):
                    out.add(f"{owner}.{attr}")
        stack.extend(node.children)
    return out


def _uses_null_pool(call: cst.Call) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "poolclass":
            chain = dotted(arg.value) if isinstance(arg.value, (cst.Name, cst.Attribute)) else None
            return chain is not None and chain.rsplit(".", 1)[-1] == "NullPool"
    return False
