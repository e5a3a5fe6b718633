from __future__ import annotations

import libcst as cst

from fastlint.analysis.chains import children

from fastlint.analysis import known, queries
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
        sink = queries.schedules_background_task(self.ctx.model, node)
        if sink is None or sink.is_false:
            return
        for i, arg in enumerate(node.args):
            is_task = (i == 0 and arg.keyword is None) or (arg.keyword is not None and arg.keyword.value == "func")
            for name in _deferred_names(arg.value, is_task):
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


def _deferred_names(expr: cst.BaseExpression, is_task: bool) -> list[cst.Name]:
    """Names whose *value* the task will use when it runs, after the response:

    - a name passed as an argument (`add_task(f, db)`, `add_task(f, session=db)`);
    - any name read in a lambda's body (`add_task(lambda: db.commit())`);
    - the arguments of `functools.partial(...)`;
    - for the task itself, the object of a bound method (`add_task(db.commit)`,
      `add_task(Service(db).notify)`).

    A call in an argument runs now, during the request (`add_task(f, db.get(User, 1).email)`):
    its result is a plain value, and `db.bind` is the engine, not the session.
    """
    out: list[cst.Name] = []
    stack: list[tuple[cst.CSTNode, bool]] = [(expr, is_task)]
    while stack:
        node, task = stack.pop()
        if isinstance(node, cst.Name):
            out.append(node)
        elif isinstance(node, cst.Lambda):
            out.extend(_all_names(node.body))
        elif isinstance(node, cst.Call) and _is_partial(node.func):
            stack.extend((a.value, False) for a in node.args)
        elif isinstance(node, cst.Attribute) and task:
            inner = node.value
            if isinstance(inner, cst.Call):  # `Service(db).notify`: the object keeps the session
                stack.extend((a.value, False) for a in inner.args)
            else:
                stack.append((inner, False))
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            stack.extend((e.value, False) for e in node.elements)
        elif isinstance(node, cst.Dict):
            stack.extend((e.value, False) for e in node.elements if isinstance(e, cst.DictElement))
    return out


def _is_partial(func: cst.BaseExpression) -> bool:
    return (isinstance(func, cst.Name) and func.value == "partial") or (
        isinstance(func, cst.Attribute) and func.attr.value == "partial"
    )


def _all_names(expr: cst.CSTNode) -> list[cst.Name]:
    out: list[cst.Name] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            out.append(node)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Call):
            stack.append(node.func)
            stack.extend(a.value for a in node.args)
        else:
            stack.extend(c for c in children(node) if isinstance(c, cst.BaseExpression))
    return out
