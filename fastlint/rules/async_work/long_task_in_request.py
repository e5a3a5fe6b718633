from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries, work
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule
from fastlint.rules.async_work._sites import classify, constant_seconds


class LongTaskInRequest(Rule):
    """Long work inline in a request: sending e-mail, sleeping a second or more, building a report or export.

    ## Why is this bad?
    The client waits for all of it: an SMTP conversation takes one to several seconds (and
    fails when the mail server is slow), a spreadsheet export of a large table takes longer
    than proxies and load balancers wait. Meanwhile the request holds a worker slot, a database
    connection from the pool, and often a transaction. A retry by the client does it all again.

    Answer first and do the work after: `background_tasks.add_task(send_welcome, user.email)`
    for small jobs, a worker queue (Celery, RQ, arq) for heavy or retryable ones, and for exports
    a job that writes the file and a URL the client polls. Reported in routes and dependencies,
    and in the functions they call directly (across modules, `call-depth` deep): `smtplib`,
    `aiosmtplib`, `fastapi_mail.FastMail.send_message`, SendGrid and SES sends, `time.sleep` /
    `asyncio.sleep` of one second or more, `DataFrame.to_excel` and `openpyxl` workbook saves.
    Not reported: work handed to `BackgroundTasks` or a queue, websocket handlers (no response
    waits), sleeps in loops or `except` handlers (poll intervals and back-offs) and in streaming
    generators, and (for `time.sleep` on the event loop) what FL301 already reports.

    ## Example
    ```python
    import smtplib
    from email.message import EmailMessage

    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/signup")
    def signup(email: str):
        message = EmailMessage()
        message["To"] = email
        with smtplib.SMTP("mail.example.com") as smtp:
            smtp.send_message(message)
        return {"ok": True}
    ```

    ## Use instead
    ```python
    import smtplib
    from email.message import EmailMessage

    from fastapi import BackgroundTasks, FastAPI

    app = FastAPI()


    def send_welcome(email: str) -> None:
        message = EmailMessage()
        message["To"] = email
        with smtplib.SMTP("mail.example.com") as smtp:
            smtp.send_message(message)


    @app.post("/signup")
    def signup(email: str, tasks: BackgroundTasks):
        tasks.add_task(send_welcome, email)
        return {"ok": True}
    ```

    ## References
    - [FastAPI: background tasks](https://fastapi.tiangolo.com/tutorial/background-tasks/)
    - [Celery: first steps](https://docs.celeryq.dev/en/stable/getting-started/first-steps-with-celery.html)
    """

    code = "FL304"
    requires = ("(",)  # reported at calls
    name = "long-task-in-request"
    message = "`{call}` is {what} inside the request: the client waits for it"
    fix_hint = "Send the response first: `background_tasks.add_task(...)`, or a worker queue (Celery/RQ/arq) for heavy jobs"

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: per function: sleeps to decide at its end (a generator streams: its sleeps delay nothing)
        self._frames: list[list[tuple[cst.Call, float]]] = []
        self._repeat = 0  # inside a loop or an `except` handler: a poll interval or a back-off

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append([])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        sleeps = self._frames.pop()
        function = self.ctx.model.defining
        if not sleeps or function is None or function.facts.get("gen"):
            return
        for call, seconds in sleeps:
            when = queries.is_http_request_code(function.qualname)
            if ref_of(self.ctx.model.describe(call.func)) == "time.sleep":
                when = when & ~queries.is_on_event_loop(function.qualname)  # FL301's finding
            self.report(call, when=when, what=f"a {seconds:g} s sleep", call=self.ctx.call_snippet(call))

    def _enter_repeat(self, node: cst.CSTNode) -> None:
        self._repeat += 1

    def _leave_repeat(self, node: cst.CSTNode) -> None:
        self._repeat -= 1

    visit_While = visit_For = visit_ExceptHandler = _enter_repeat  # type: ignore[assignment]
    leave_While = leave_For = leave_ExceptHandler = _leave_repeat  # type: ignore[assignment]

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        function = model.function
        if function is None or id(node) in model.offloaded or self.ctx.is_support_code:
            return
        target = ref_of(model.callee(node))
        if target in work.SLEEPS:
            seconds = constant_seconds(model, node)
            if seconds is not None and seconds >= 1 and not self._repeat and self._frames:
                self._frames[-1].append((node, seconds))
            return
        found = classify(model, node, work.LONG_FUNCTIONS, {**work.EMAIL_METHODS, **work.REPORT_METHODS})
        if found is None:
            return
        what, when = found
        self.report(node, when=when & queries.is_http_request_code(function.qualname), what=what, call=self.ctx.call_snippet(node))
