from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.model import Desc
from fastlint.rule import Rule


class SessionDependencyWithoutFinally(Rule):
    """A dependency yields (or returns) a session it created without closing it in `finally` or a `with` block.

    ## Why is this bad?
    FastAPI runs the code after `yield` when the request is done, but if the route raises, the
    exception is thrown into the generator at the `yield`: the `db.close()` written after it never
    runs, and the session keeps its connection checked out of the pool. A few failing requests
    exhaust the pool (`QueuePool limit ... reached`) and the whole service stalls. A dependency
    that *returns* a new session never closes it at all.

    Put the `yield` inside `try:` ... `finally: db.close()`, or inside `with SessionLocal() as db:`
    (`async with` for an `AsyncSession`), which closes the session however the request ends. A
    `with` block protects the session only when it manages the session itself (`with ... as db`,
    `with db:`, `with closing(db):`), not when it is some other context such as a tracing span.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session, sessionmaker

    SessionLocal = sessionmaker(bind=create_engine("sqlite://"))
    app = FastAPI()


    def get_db():
        db = SessionLocal()
        yield db
        db.close()


    @app.get("/health")
    def health(db: Session = Depends(get_db)):
        return {"ok": True}
    ```

    ## Use instead
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session, sessionmaker

    SessionLocal = sessionmaker(bind=create_engine("sqlite://"))
    app = FastAPI()


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()


    @app.get("/health")
    def health(db: Session = Depends(get_db)):
        return {"ok": True}
    ```

    ## References
    - [FastAPI: dependencies with yield and try](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#a-database-dependency-with-yield)
    - [SQLAlchemy: opening and closing a session](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#opening-and-closing-a-session)
    """

    code = "FL103"
    name = "session-dependency-without-finally"
    message = "Dependency `{function}()` {verb} a session that is not closed when the request fails"
    fix_hint = "Yield it inside `try:` ... `finally: db.close()`, or inside `with SessionLocal() as db:`"
    requires = ("yield", "return")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        # One frame per enclosing function: how many `try` statements with a `finally` enclose
        # the current node (outside their `finally`), and the names that enclosing `with` blocks
        # manage (`with SessionLocal() as db:`, `with db:`, `with closing(db):`).
        self._finally_depth: list[int] = []
        self._managed: list[list[set[str]]] = []
        self._guarded_blocks: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._finally_depth.append(0)
        self._managed.append([])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._finally_depth.pop()
        self._managed.pop()

    def visit_With(self, node: cst.With) -> None:
        if not self._managed:
            return
        names: set[str] = set()
        for item in node.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name):
                names.add(item.asname.name.value)
            expr = item.item
            if isinstance(expr, cst.Call) and len(expr.args) == 1 and _last_name(expr.func) == "closing":
                expr = expr.args[0].value
            if isinstance(expr, cst.Name):
                names.add(expr.value)
        self._managed[-1].append(names)

    def leave_With(self, node: cst.With) -> None:
        if self._managed:
            self._managed[-1].pop()

    def visit_Try(self, node: cst.Try) -> None:
        # A `finally` runs whether the body, a handler or the `else` block was running.
        if node.finalbody is not None:
            self._guarded_blocks.add(id(node.body))
            self._guarded_blocks.update(id(h.body) for h in node.handlers)
            if node.orelse is not None:
                self._guarded_blocks.add(id(node.orelse.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._guarded_blocks and self._finally_depth:
            self._finally_depth[-1] += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._guarded_blocks and self._finally_depth:
            self._finally_depth[-1] -= 1

    def visit_Yield(self, node: cst.Yield) -> None:
        if not self._finally_depth or self._finally_depth[-1] or isinstance(node.value, cst.From):
            return
        if isinstance(node.value, cst.Name) and any(node.value.value in names for names in self._managed[-1]):
            return
        self._check(node, self.ctx.model.describe(node.value), "yields")

    def visit_Return(self, node: cst.Return) -> None:
        if self._finally_depth and node.value is not None:
            function = self.ctx.model.function
            if function is not None and not function.facts["gen"]:
                self._check(node, self.ctx.model.describe(node.value), "returns")

    def _check(self, node: cst.CSTNode, value: Desc, verb: str) -> None:
        if self.ctx.is_test or value is None:
            return
        while value[0] == "await":
            value = value[1]
        # Only a session this function creates is its to close (not one it was given).
        if value[0] != "call":
            return
        function = self.ctx.model.function
        if function is None:
            return
        is_session = queries.has_kind(value, known.SESSIONS)
        if is_session.is_false:
            return
        self.report(
            node,
            when=is_session & queries.is_dependency(function.qualname),
            function=function.facts["name"],
            verb=verb,
        )


def _last_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None
