from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries, work
from fastlint.analysis.chains import chain_calls
from fastlint.rule import Lookup, Rule
from fastlint.rules.async_work._sites import classify


class BlockingCallInAsyncRoute(Rule):
    """Blocking I/O runs on the event loop: in an `async def` route or dependency, or in code it calls directly.

    ## Why is this bad?
    An `async def` endpoint runs on the event loop, which serves every request of the worker.
    A blocking call there (`requests.get`, `time.sleep`, `open()`, a sync database session)
    stops the loop until it returns: while one request waits 300 ms for an HTTP call, every other
    request of that worker waits too, and throughput collapses to one request at a time. A plain
    call of a sync helper does not change this: the helper runs on the loop as well, however many
    modules away it is.

    Use the async flavour (`httpx.AsyncClient`, `AsyncSession`, `asyncio.sleep`, `aiofiles`),
    declare the endpoint with `def` (FastAPI then runs it in the threadpool), or hand the call to
    a thread: `await run_in_threadpool(fn, ...)`, `await asyncio.to_thread(fn, ...)`,
    `await anyio.to_thread.run_sync(fn, ...)`. fastlint follows direct calls from every
    `async def` route, dependency, middleware, exception handler and websocket handler through the
    project's functions, across modules (`call-depth`, default 3), and names the chain. A sync
    `def` route is its own entry point (the threadpool) and is not reported; nor are calls passed
    to a thread (`run_in_executor`, `to_thread`, an executor's `submit`), awaited calls (an
    `AsyncSession` annotated as `Session` is still async), tests and migrations.
    Start-up code (lifespan, startup hooks) is not followed: it blocks before serving.

    ## Example
    ```python
    import requests
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/weather")
    async def weather(city: str):
        return requests.get("https://api.example.com/weather", params={"q": city}, timeout=5).json()
    ```

    ## Use instead
    ```python
    import httpx
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/weather")
    async def weather(city: str):
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get("https://api.example.com/weather", params={"q": city})
        return response.json()
    ```

    ## References
    - [FastAPI: concurrency and async / await](https://fastapi.tiangolo.com/async/)
    - [Starlette: run_in_threadpool](https://www.starlette.io/threadpool/)
    - [Python: asyncio.to_thread](https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread)
    """

    code = "FL301"
    requires = ("(",)  # reported at calls
    name = "blocking-call-in-async-route"
    message = "`{call}` is {what} on the event loop, reached from {chain}"
    fix_hint = "Use an async client or driver, make the endpoint `def`, or offload it: `await run_in_threadpool(...)` / `asyncio.to_thread(...)`"

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._awaited: set[int] = set()

    def visit_Await(self, node: cst.Await) -> None:
        # `await session.execute(...)`: whatever the annotation says, an awaited call is async
        self._awaited.update(id(c) for c in chain_calls(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        function = model.function
        if function is None or id(node) in model.offloaded or id(node) in self._awaited or self.ctx.is_support_code:
            return
        found = classify(model, node, work.BLOCKING_FUNCTIONS, work.BLOCKING_METHODS)
        if found is None:
            return
        what, when = found
        self.report(
            node,
            when=when & queries.is_on_event_loop(function.qualname),
            what=what,
            call=self.ctx.call_snippet(node),
            chain=Lookup("loop_chain", (function.qualname,)),
        )
