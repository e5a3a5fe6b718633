from __future__ import annotations

import libcst as cst

from fastlint.analysis.chains import children

from fastlint.analysis import known, queries
from fastlint.analysis.model import Desc
from fastlint.diagnostics import FixSafety
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

    ## Fix safety
    When the dependency closes the session it yields by name (`db.close()` or
    `await db.close()`) after the `yield`, in the same block or an enclosing one, the fix puts the
    statements from the one holding the `yield` up to the close in a `try:` and the close in its
    `finally:` (or adds that `finally:` to a `try` without one that holds the `yield` and is
    followed by the close). Comments and the other statements stay where they were. It is safe:
    on the normal path the same statements run in the same order, and only the failing path
    changes, which now closes the session. No fix is offered for a dependency that returns a
    session or yields a call (`yield SessionLocal()`), one that never closes the session, or one
    with a `return`, `break` or `continue` between the `yield` and the close (the `finally:` would
    close the session where the code did not).

    ## References
    - [FastAPI: dependencies with yield and try](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#a-database-dependency-with-yield)
    - [SQLAlchemy: opening and closing a session](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#opening-and-closing-a-session)
    """

    code = "FL103"
    name = "session-dependency-without-finally"
    message = "Dependency `{function}()` {verb} a session that is not closed when the request fails"
    fix_hint = "Yield it inside `try:` ... `finally: db.close()`, or inside `with SessionLocal() as db:`"
    requires = ("yield", "return")
    fix = FixSafety.SAFE

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        # One frame per enclosing function: how many `try` statements with a `finally` enclose
        # the current node (outside their `finally`), and the names that enclosing `with` blocks
        # manage (`with SessionLocal() as db:`, `with db:`, `with closing(db):`).
        self._finally_depth: list[int] = []
        self._managed: list[list[set[str]]] = []
        self._guarded_blocks: set[int] = set()
        #: per enclosing function, the indented blocks around the current node (for the fix)
        self._blocks: list[list[cst.IndentedBlock]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._finally_depth.append(0)
        self._managed.append([])
        self._blocks.append([])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._finally_depth.pop()
        self._managed.pop()
        self._blocks.pop()

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
        if self._blocks:
            self._blocks[-1].append(node)
        if id(node) in self._guarded_blocks and self._finally_depth:
            self._finally_depth[-1] += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self._blocks and self._blocks[-1] and self._blocks[-1][-1] is node:
            self._blocks[-1].pop()
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
        fix = self._finally_fix(node) if isinstance(node, cst.Yield) else None
        self.report(
            node,
            when=is_session & queries.is_dependency(function.qualname),
            replacement=fix[1] if fix else None,
            replaces=fix[0] if fix else None,
            function=function.facts["name"],
            verb=verb,
        )

    def _finally_fix(self, node: cst.Yield) -> tuple[cst.IndentedBlock, cst.IndentedBlock] | None:
        """(the block to rewrite, the block with its `try`/`finally`) for `yield db` followed,
        in its block or an enclosing one, by `db.close()`; None when there is no such close."""
        if not isinstance(node.value, cst.Name) or not self._blocks:
            return None
        name = node.value.value
        for block in reversed(self._blocks[-1]):
            body = list(block.body)
            start = next((i for i, stmt in enumerate(body) if _contains(stmt, node)), None)
            if start is None:
                continue
            end = next((j for j in range(start + 1, len(body)) if _is_close(body[j], name)), None)
            if end is None:
                continue  # look in the enclosing block
            moved, close = body[start:end], body[end]
            if any(_jumps_out(stmt) for stmt in moved):
                return None
            anchor = moved[0]
            if len(moved) == 1 and isinstance(anchor, cst.Try) and anchor.finalbody is None:
                new: cst.BaseStatement = anchor.with_changes(finalbody=cst.Finally(body=cst.IndentedBlock(body=[close])))
            else:
                new = cst.Try(
                    body=cst.IndentedBlock(body=[anchor.with_changes(leading_lines=()), *moved[1:]]),
                    finalbody=cst.Finally(body=cst.IndentedBlock(body=[close])),
                    leading_lines=anchor.leading_lines,
                )
            return block, block.with_changes(body=[*body[:start], new, *body[end + 1 :]])
        return None


def _contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    stack = [root]
    while stack:
        item = stack.pop()
        if item is node:
            return True
        stack.extend(children(item))
    return False


def _is_close(stmt: cst.BaseStatement, name: str) -> bool:
    """`name.close()` or `await name.close()` as a statement of its own."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Expr):
        return False
    call = stmt.body[0].value
    if isinstance(call, cst.Await):
        call = call.expression
    return (
        isinstance(call, cst.Call)
        and not call.args
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "close"
        and isinstance(call.func.value, cst.Name)
        and call.func.value.value == name
    )


def _jumps_out(stmt: cst.CSTNode) -> bool:
    """A `return`, or a `break` / `continue` of a loop around `stmt`, inside it (not in a
    nested function or class, nor in a loop of its own)."""
    stack: list[tuple[cst.CSTNode, bool]] = [(stmt, False)]
    while stack:
        item, in_loop = stack.pop()
        if isinstance(item, cst.Return):
            return True
        if isinstance(item, (cst.Break, cst.Continue)) and not in_loop:
            return True
        if isinstance(item, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        loop = in_loop or isinstance(item, (cst.For, cst.While))
        stack.extend((child, loop) for child in children(item))
    return False


def _last_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None
