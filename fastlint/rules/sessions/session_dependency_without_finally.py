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
    (`async with` for an `AsyncSession`), which closes the session however the request ends.

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
        # One frame per enclosing function: how many `with` blocks / `try` bodies with a
        # `finally` enclose the current node inside that function.
        self._protection: list[int] = []
        self._protected_bodies: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._protection.append(0)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._protection.pop()

    def visit_With(self, node: cst.With) -> None:
        if self._protection:
            self._protection[-1] += 1

    def leave_With(self, node: cst.With) -> None:
        if self._protection:
            self._protection[-1] -= 1

    def visit_Try(self, node: cst.Try) -> None:
        if node.finalbody is not None:
            self._protected_bodies.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._protected_bodies and self._protection:
            self._protection[-1] += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._protected_bodies and self._protection:
            self._protection[-1] -= 1

    def visit_Yield(self, node: cst.Yield) -> None:
        if self._protection and self._protection[-1] == 0 and not isinstance(node.value, cst.From):
            self._check(node, self.ctx.model.describe(node.value), "yields")

    def visit_Return(self, node: cst.Return) -> None:
        if self._protection and node.value is not None:
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
