from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.conditions import Cond
from fastlint.rule import Rule


class RequestSessionInBackgroundTask(Rule):
    """A route hands its request-scoped (injected) session to a background task.

    ## Why is this bad?
    Background tasks run after the response is sent. By then the dependency that provided the
    session has finished: its `finally: db.close()` (or `with` block) has run, so the task works
    with a closed session. Depending on the version and driver it fails with
    `DetachedInstanceError` / "session is closed", silently reopens a connection outside any
    transaction the route controlled, or (for an `AsyncSession`) races the cleanup.

    Let the task open its own session (`with SessionLocal() as db:` inside the task), and pass it
    plain values such as ids rather than the session or ORM objects bound to it.

    ## Example
    ```python
    from fastapi import BackgroundTasks, Depends, FastAPI
    from sqlalchemy.orm import Session

    from app.db import get_db

    app = FastAPI()


    def audit(db: Session, user_id: int) -> None:
        db.execute(...)
        db.commit()


    @app.post("/users/{user_id}/audit")
    def request_audit(user_id: int, tasks: BackgroundTasks, db: Session = Depends(get_db)):
        tasks.add_task(audit, db, user_id)
        return {"queued": True}
    ```

    ## Use instead
    ```python
    from fastapi import BackgroundTasks, FastAPI

    from app.db import SessionLocal

    app = FastAPI()


    def audit(user_id: int) -> None:
        with SessionLocal() as db:
            db.execute(...)
            db.commit()


    @app.post("/users/{user_id}/audit")
    def request_audit(user_id: int, tasks: BackgroundTasks):
        tasks.add_task(audit, user_id)
        return {"queued": True}
    ```

    ## References
    - [FastAPI: background tasks](https://fastapi.tiangolo.com/tutorial/background-tasks/)
    - [FastAPI: dependencies with yield and background tasks](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-httpexception-except-and-background-tasks)
    """

    code = "FL105"
    name = "request-session-in-background-task"
    message = "Request-scoped session `{name}` is passed to a background task that runs after it is closed"
    fix_hint = "Open a new session inside the task (`with SessionLocal() as db:`) and pass it ids, not the session"
    requires = ("add_task", "BackgroundTask")

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        function = model.function
        if function is None or self.ctx.is_test or not node.args:
            return
        sink = self._sink(node)
        if sink is None or sink.is_false:
            return
        for arg in node.args[1:] if node.args[0].keyword is None else node.args:
            if arg.keyword is not None and arg.keyword.value == "func":
                continue
            for name in _names_in(arg.value):
                desc = model.resolve_name(name.value)
                if desc is None or desc[0] != "param":
                    continue
                is_session = queries.has_kind(desc, known.SESSIONS) & queries.has_kind(desc, {known.INJECTED})
                if is_session.is_false:
                    continue
                self.report(
                    name,
                    when=sink & is_session & queries.is_entry_point(function.qualname),
                    name=name.value,
                )

    def _sink(self, node: cst.Call) -> Cond | None:
        """The condition that `node` schedules a background task, or None if it cannot."""
        model = self.ctx.model
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "add_task":
            return queries.has_kind(model.describe(func.value), {known.BACKGROUND_TASKS})
        callee = model.describe(func)
        if callee is None:
            return None
        return queries.has_kind(["call", callee], {known.BACKGROUND_TASK})


def _names_in(expr: cst.BaseExpression) -> list[cst.Name]:
    """Names passed in an argument: bare, as call arguments (`partial(f, db)`), as the receiver
    of a method call (`lambda: db.commit()`), in lambda bodies and containers. `db.bind` is not
    the session and is not returned."""
    out: list[cst.Name] = []
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            out.append(node)
        elif isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute):
                stack.append(node.func.value)
            stack.extend(a.value for a in node.args)
        elif isinstance(node, cst.Lambda):
            stack.append(node.body)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            stack.extend(e.value for e in node.elements)
        elif isinstance(node, cst.Dict):
            stack.extend(e.value for e in node.elements if isinstance(e, cst.DictElement))
    return out
