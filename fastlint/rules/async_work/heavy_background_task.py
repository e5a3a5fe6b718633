from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.rule import Lookup, Rule


class HeavyBackgroundTask(Rule):
    """CPU-heavy work or a report build handed to FastAPI's `BackgroundTasks`, which runs it in the web worker.

    ## Why is this bad?
    `BackgroundTasks` run after the response, but in the same process as the web server: a sync
    task takes a threadpool worker (the same pool sync endpoints use), an async one runs on the
    event loop. CPU-heavy work there (hashing many passwords, image pipelines, pandas, building
    exports) competes with every request of the worker for the CPU and the GIL, is lost when the
    worker restarts, and is not retried when it fails.

    Background tasks are for small jobs (an e-mail, an audit row). Send heavy work to a worker
    queue: Celery, RQ or arq with Redis, or a `ProcessPoolExecutor` at the very least. fastlint
    follows the task function through the project's functions, across modules (`call-depth`
    deep), looking for what FL303 calls CPU-heavy and for report builds (`DataFrame.to_excel`,
    `openpyxl` workbook saves).

    ## Example
    ```python
    import pandas as pd
    from fastapi import BackgroundTasks, FastAPI

    app = FastAPI()


    def build_export(path: str) -> None:
        frame = pd.read_csv("events.csv")
        frame.to_excel(path)


    @app.post("/exports")
    def create_export(tasks: BackgroundTasks):
        tasks.add_task(build_export, "/tmp/export.xlsx")
        return {"status": "queued"}
    ```

    ## Use instead
    ```python
    from fastapi import FastAPI

    from app.worker import build_export  # a Celery task

    app = FastAPI()


    @app.post("/exports")
    def create_export():
        job = build_export.delay("/tmp/export.xlsx")
        return {"status": "queued", "job": job.id}
    ```

    ## References
    - [FastAPI: background tasks (and when to use Celery)](https://fastapi.tiangolo.com/tutorial/background-tasks/#caveat)
    - [Celery: first steps](https://docs.celeryq.dev/en/stable/getting-started/first-steps-with-celery.html)
    """

    code = "FL305"
    name = "heavy-background-task"
    message = "Background task `{task}` does {work}: it runs in the web worker's process"
    fix_hint = "Send heavy jobs to a worker queue (Celery, RQ, arq); keep BackgroundTasks for small ones"
    requires = ("add_task", "BackgroundTask")

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        if self.ctx.is_support_code or not node.args:
            return
        sink = queries.schedules_background_task(self.ctx.model, node)
        if sink is None or sink.is_false:
            return
        task = next((a.value for a in node.args if a.keyword is None or a.keyword.value == "func"), None)
        if task is None:
            return
        desc = model.describe(task)
        heavy = queries.does_heavy_work(desc)
        if heavy.is_false:
            return
        self.report(task, when=sink & heavy, task=self.ctx.snippet(task), work=Lookup("heavy_chain", (desc,)))
