from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries, work
from fastlint.analysis.model import ref_of
from fastlint.rule import Lookup, Rule
from fastlint.rules.async_work._sites import classify


class CpuHeavyInRoute(Rule):
    """CPU-heavy work on the event loop (password hashing, image processing, pandas), or image processing in any route.

    ## Why is this bad?
    CPU-bound work does not await anything: while bcrypt spends 250 ms on a password or PIL
    resizes an upload, the event loop serves no other request of the worker. `async def` gives
    no concurrency to CPU work; it removes the threadpool that a `def` endpoint would have had.
    Image transforms are heavy enough to tie up a threadpool worker (and its share of the CPU)
    even from a sync route.

    Run it in a thread or process (`await run_in_threadpool(pwd_context.hash, password)`,
    `await asyncio.to_thread(...)`, a `ProcessPoolExecutor` for long CPU work), or move it to a
    worker queue (Celery, RQ, arq). Reported: bcrypt / passlib / argon2 hashing and verifying,
    PBKDF2 and scrypt, compression, pandas parsing and transforms, reached by direct calls from an
    `async def` entry point (through helpers in other modules too, `call-depth` deep); PIL image
    transforms in any request code. Not reported: calls handed to a thread or process, PBKDF2 with
    a literal work factor under 50,000 iterations, tests.

    ## Example
    ```python
    import bcrypt
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/signup")
    async def signup(email: str, password: str):
        digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
        return {"email": email, "digest": digest.decode()}
    ```

    ## Use instead
    ```python
    import bcrypt
    from fastapi import FastAPI
    from starlette.concurrency import run_in_threadpool

    app = FastAPI()


    @app.post("/signup")
    async def signup(email: str, password: str):
        digest = await run_in_threadpool(bcrypt.hashpw, password.encode(), bcrypt.gensalt())
        return {"email": email, "digest": digest.decode()}
    ```

    ## References
    - [FastAPI: concurrency and async / await](https://fastapi.tiangolo.com/async/)
    - [Python: asyncio, running blocking code](https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code)
    """

    code = "FL303"
    requires = ("(",)  # reported at calls
    name = "cpu-heavy-in-route"
    message = "`{call}` is {what} ({where})"
    fix_hint = "Offload it: `await run_in_threadpool(...)` / `asyncio.to_thread(...)`, or a worker queue for long jobs"

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        function = model.function
        if function is None or id(node) in model.offloaded or self.ctx.is_support_code:
            return
        found = classify(model, node, work.CPU_FUNCTIONS, work.CPU_METHODS)
        if found is None:
            return
        what, when = found
        if _light_key_derivation(node, model):
            return
        on_loop = queries.is_on_event_loop(function.qualname)
        call = self.ctx.call_snippet(node)
        self.report(node, when=when & on_loop, what=what, call=call, where=Lookup("loop_chain_text", (function.qualname,)))
        if isinstance(node.func, cst.Attribute):
            # image transforms are heavy anywhere in a request, sync routes included
            image = queries.has_kind(model.describe(node.func.value), {work.PIL_IMAGE})
            if not image.is_false and node.func.attr.value in _IMAGE_TRANSFORMS:
                self.report(
                    node,
                    when=image & ~on_loop & queries.is_request_code(function.qualname),
                    what="image processing (PIL)",
                    call=call,
                    where="in request code; it ties up a threadpool worker",
                )


def _light_key_derivation(node: cst.Call, model) -> bool:  # type: ignore[no-untyped-def]
    """`hashlib.pbkdf2_hmac(..., 2048)`: a literal work factor too small to matter (< 50,000
    iterations; password storage uses 600,000)."""
    if ref_of(model.callee(node)) != "hashlib.pbkdf2_hmac":
        return False
    iterations = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "iterations"), None)
    positional = [a.value for a in node.args if a.keyword is None]
    if iterations is None and len(positional) >= 4:
        iterations = positional[3]
    if isinstance(iterations, cst.Integer):
        return int(iterations.value.replace("_", ""), 0) < 50_000
    return False


_IMAGE_TRANSFORMS = frozenset({"resize", "thumbnail", "rotate", "transform", "filter"})
