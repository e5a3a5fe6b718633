from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.model import Desc
from fastlint.conditions import Cond
from fastlint.rule import Rule


class ManualSessionInRoute(Rule):
    """A route (or a helper it calls in the same module) opens or closes a database session by hand.

    ## Why is this bad?
    A session opened inside the handler is not tied to the request's life cycle: an exception
    between `SessionLocal()` and `close()` leaks the session and its pooled connection, every route
    repeats the same set-up and tear-down, and tests cannot swap the database through
    `app.dependency_overrides`. Closing the injected session by hand breaks the dependency that owns
    it: objects loaded from it are detached (returning one fails when the response is serialised:
    `DetachedInstanceError`), and later code silently starts a new transaction. Closing the
    injected session early to release its connection before slow work is fine when nothing uses the
    session, or what it loaded, afterwards: that is not reported.

    Receive the session from a dependency that creates it and closes it in a `finally` block.
    Not reported: sessions opened from an injected source (a database object or session factory
    the route receives with `Depends(...)`, which tests can override); functions that run outside
    the request (background tasks, start-up, scripts), which have to open their own sessions;
    websocket handlers, where a short session per message is better than one held for the life of
    the connection; and generators a route hands to a `StreamingResponse`, whose body runs while
    the response streams.

    ## Example
    ```python
    from fastapi import APIRouter
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    engine = create_engine("sqlite://")
    router = APIRouter()


    @router.get("/items")
    def list_items():
        session = Session(engine)
        items = session.scalars(select(Item)).all()
        session.close()
        return items
    ```

    ## Use instead
    ```python
    from typing import Annotated

    from fastapi import APIRouter, Depends
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    engine = create_engine("sqlite://")
    router = APIRouter()


    def get_session():
        with Session(engine) as session:
            yield session


    @router.get("/items")
    def list_items(session: Annotated[Session, Depends(get_session)]):
        return session.scalars(select(Item)).all()
    ```

    ## References
    - [FastAPI: dependencies with yield](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/)
    - [FastAPI: SQL databases](https://fastapi.tiangolo.com/tutorial/sql-databases/)
    - [SQLAlchemy: session basics](https://docs.sqlalchemy.org/en/20/orm/session_basics.html)
    """

    code = "FL102"
    name = "manual-session-in-route"
    message = "`{call}` {action} a session by hand in `{function}()`, which serves requests"
    fix_hint = "Receive the session from a dependency (`Depends(get_db)`) that creates it and closes it in `finally`"
    requires = ("def",)  # a route is a function

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: per enclosing function: (call, descriptor of the session it opens, condition)
        self._opened: list[list[tuple[cst.Call, Desc, Cond]]] = []
        #: per enclosing function: closes of injected sessions, reported if the session (or an
        #: object loaded from it) is still used afterwards
        self._closed: list[list[_Close]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._opened.append([])
        self._closed.append([])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        opened = self._opened.pop()
        closed = self._closed.pop()
        function = self.ctx.model.function
        if function is None:
            return
        facts = function.facts
        name = facts["name"]
        route = queries.is_http_route(function.qualname)
        helper = queries.is_called_by_route_in_module(function.qualname)
        handed_out = [*facts["returns"], *facts["yields"]]
        for call, desc, opens in opened:
            # A helper that returns the session it opens is a factory: its caller opens it.
            in_request = route if desc in handed_out else route | helper
            self.report(call, when=opens & in_request, call=self.ctx.call_snippet(call), action="opens", function=name)
        for close in closed:
            if close.used_after:
                self.report(close.call, when=close.when & (route | helper), call=self.ctx.snippet(close.call), action="closes", function=name)

    def visit_Name(self, node: cst.Name) -> None:
        if self._closed:
            for close in self._closed[-1]:
                if node.value == close.name and node is not close.receiver:
                    close.used_after = True

    def visit_Return(self, node: cst.Return) -> None:
        if self._closed and node.value is not None:
            root = _root(self.ctx.model.describe(node.value))
            for close in self._closed[-1]:
                if root is not None and root == close.desc:
                    close.used_after = True  # returns an object loaded from the closed session

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test or not self._opened:
            return
        model = self.ctx.model
        function = model.function
        if function is None:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "close" and not node.args:
            self._close(node, func)
            return
        desc = model.describe(node)
        opens = queries.has_kind(desc, known.SESSIONS)
        if opens.is_false:
            return
        # Opening a session from an injected source (`db: Database = Depends(get_database)`, then
        # `async with db.session() as s`) does receive it through a dependency.
        source = _root(desc)
        if source is not None and source[0] == "param":
            opens = opens & ~queries.has_kind(source, {known.INJECTED})
        self._opened[-1].append((node, desc, opens))

    def _close(self, node: cst.Call, func: cst.Attribute) -> None:
        model = self.ctx.model
        function = model.function
        assert function is not None
        receiver = model.describe(func.value)
        # A session created by hand here is reported where it is created.
        if receiver is None or receiver[0] in ("call", "enter", "await"):
            return
        closes = queries.has_kind(receiver, known.SESSIONS)
        if closes.is_false:
            return
        injected = queries.has_kind(receiver, {known.INJECTED})
        in_request = queries.is_http_route(function.qualname) | queries.is_called_by_route_in_module(function.qualname)
        # Closing a session that is neither injected nor created here (a shared one): always wrong.
        self.report(node, when=closes & ~injected & in_request, call=self.ctx.snippet(node), action="closes", function=function.facts["name"])
        if isinstance(func.value, cst.Name):
            self._closed[-1].append(_Close(node, func.value.value, func.value, receiver, closes & injected))


class _Close:
    __slots__ = ("call", "name", "receiver", "desc", "when", "used_after")

    def __init__(self, call: cst.Call, name: str, receiver: cst.Name, desc: Desc, when: Cond) -> None:
        self.call = call
        self.name = name
        self.receiver = receiver
        self.desc = desc
        self.when = when
        self.used_after = False


def _root(desc: Desc) -> Desc:
    """The value a call chain starts from: `db` in `db.session_context(...)`."""
    while desc is not None and desc[0] in ("call", "attr", "await", "enter"):
        desc = desc[1]
    return desc
