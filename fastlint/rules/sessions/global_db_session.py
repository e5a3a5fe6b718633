from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.conditions import FALSE, Cond
from fastlint.rule import Rule


class GlobalDbSession(Rule):
    """A database session created once, at module or class level, and used by request code.

    ## Why is this bad?
    A SQLAlchemy `Session` (or `AsyncSession`, or a `scoped_session` registry) is a unit of work:
    it holds an identity map, a transaction and a connection from the pool. Created once at import
    time, it is shared by every request: one request's uncommitted changes, failed transaction or
    stale objects leak into the next, concurrent requests corrupt its state (sessions are not
    thread- or task-safe), and under `async def` routes a `scoped_session` gives every request on
    the event loop thread the same session. Memory grows with the identity map for the life of
    the process.

    fastlint reports the creation of the session when request code (a route, a dependency, a
    middleware, or a function they call) uses it; the same object in a script that no route reaches
    is not reported, nor is a `scoped_session` registry that request code resets with `.remove()`
    at the end of each request (the registry pattern done right).

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("postgresql://localhost/app")
    SessionLocal = sessionmaker(bind=engine)
    db = SessionLocal()
    app = FastAPI()


    @app.get("/users")
    def list_users():
        return db.execute("SELECT id FROM users").all()
    ```

    ## Use instead
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("postgresql://localhost/app")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()


    @app.get("/users")
    def list_users(db: Session = Depends(get_db)):
        return db.execute("SELECT id FROM users").all()
    ```

    ## References
    - [FastAPI: SQL databases, a session per request](https://fastapi.tiangolo.com/tutorial/sql-databases/)
    - [SQLAlchemy: when do I construct a Session, when do I commit it, and when do I close it?](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#when-do-i-construct-a-session-when-do-i-commit-it-and-when-do-i-close-it)
    - [SQLAlchemy: is the Session thread-safe? Is AsyncSession safe to share in concurrent tasks?](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#is-the-session-thread-safe-is-asyncsession-safe-to-share-in-concurrent-tasks)
    """

    code = "FL101"
    name = "global-db-session"
    message = "`{call}` creates a session at {where} that every request shares"
    fix_hint = "Create one session per request in a dependency that yields it, and inject it with `Depends(...)`"
    requires = ("(",)  # a session comes from a call (a factory, a helper)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._check([t.target for t in node.targets], node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check([node.target], node.value)

    def _check(self, targets: list[cst.BaseExpression], value: cst.BaseExpression) -> None:
        if self.ctx.is_test or not isinstance(value, cst.Call):
            return
        model = self.ctx.model
        scope = model.scope
        desc = model.describe(value)
        session = queries.has_kind(desc, {known.SESSION, known.ASYNC_SESSION})
        registry = queries.has_kind(desc, {known.SCOPED_SESSION, known.ASYNC_SCOPED_SESSION})
        if session.is_false and registry.is_false:
            return
        for target in targets:
            where, used = self._placement(target, scope)
            if used is None:
                continue
            managed = FALSE
            if isinstance(target, cst.Name) and (scope.kind == "module" or target.value in scope.globals):
                # `Registry.remove()` at the end of each request makes a scoped_session per request.
                managed = queries.is_used_by_request_code(model.global_qualname(target.value) + ".remove")
            when = (session | (registry & ~managed)) & used
            self.report(value, when=when, call=self.ctx.call_snippet(value), where=where)
            return

    def _placement(self, target: cst.BaseExpression, scope: object) -> tuple[str, Cond | None]:
        """Where the session is stored and the condition that request code uses it."""
        model = self.ctx.model
        kind = model.scope.kind
        if isinstance(target, cst.Name):
            name = target.value
            if kind == "module" or (kind == "function" and name in model.scope.globals):
                return "module level", queries.is_used_by_request_code(model.global_qualname(name))
            if kind == "class":
                return f"class level (`{target.value}`)", queries.is_used_by_request_code(model.scope.qualname)
            return "", None
        # `app.state.db = SessionLocal()`: stored on the application, shared by all requests.
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Attribute) and target.value.attr.value == "state":
            owner = model.describe(target.value.value)
            return "application state", queries.has_kind(owner, {known.FASTAPI_APP})
        return "", None
