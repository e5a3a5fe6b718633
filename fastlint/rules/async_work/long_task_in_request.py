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
    Not reported: work handed to `BackgroundTasks` or a queue, and (for `time.sleep` on the event
    loop) what FL301 already reports.

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
    name = "long-task-in-request"
    message = "`{call}` is {what} inside the request: the client waits for it"
    fix_hint = "Send the response first: `background_tasks.add_task(...)`, or a worker queue (Celery/RQ/arq) for heavy jobs"

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        function = model.function
        if function is None or id(node) in model.offloaded or self.ctx.is_support_code:
            return
        request = queries.is_request_code(function.qualname)
        target = ref_of(model.describe(node.func))
        if target in work.SLEEPS:
            seconds = constant_seconds(model, node)
            if seconds is None or seconds < 1:
                return
            when = request
            if target == "time.sleep":
                when = when & ~queries.is_on_event_loop(function.qualname)  # FL301's finding
            self.report(node, when=when, what=f"a {seconds:g} s sleep", call=self.ctx.call_snippet(node))
            return
        found = classify(model, node, work.LONG_FUNCTIONS, {**work.EMAIL_METHODS, **work.REPORT_METHODS})
        if found is None:
            return
        what, when = found
        self.report(node, when=when & request, what=what, call=self.ctx.call_snippet(node))
