from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.rule import Rule


class AsyncRouteWithoutAwait(Rule):
    """An `async def` route or dependency that awaits nothing but calls other code.

    ## Why is this bad?
    FastAPI runs an `async def` endpoint on the event loop and a `def` one in a threadpool. An
    `async def` that never awaits gains nothing from the loop, and every call it makes runs
    there: a slow or blocking one (today, or after the next refactoring of a helper) stalls every
    request of the worker. As a `def`, the same code would run beside the loop.

    Make it `def`, or await the async APIs it should be using. Off by default: for endpoints that
    only do quick in-memory work, `async def` is slightly faster than a thread hop, and many teams
    write every endpoint `async`. Enable it with `extend-select = ["FL302"]`. An endpoint that
    calls nothing (`return {"status": "ok"}`) is not reported; nor is one that uses `async for`
    or `async with`, or only builds its response (builtins, classes such as `JSONResponse(...)`
    or `Item.model_validate(row)`, dict and string methods), or uses loop-bound APIs
    (`asyncio.current_task()`, context variables).

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report(day: str):
        rows = load_rows(day)
        return summarise(rows)
    ```

    ## Use instead
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    def report(day: str):
        rows = load_rows(day)
        return summarise(rows)
    ```

    ## References
    - [FastAPI: concurrency and async / await ("in a hurry?")](https://fastapi.tiangolo.com/async/#in-a-hurry)
    """

    code = "FL302"
    name = "async-route-without-await"
    message = "`async def {name}` awaits nothing, yet calls other code: it runs on the event loop for no benefit"
    fix_hint = "Make it a plain `def` (FastAPI runs it in the threadpool), or await the async APIs it should use"
    default_enabled = False
    requires = ("async def",)

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: per function: [async, awaits, calls, in its body]
        self._frames: list[list[bool]] = []
        self._bodies: set[int] = set()
        self._raise_depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # decorators, defaults and annotations (`Depends(...)`) are not the body's calls
        self._frames.append([node.asynchronous is not None, False, False, False])
        self._bodies.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._bodies and self._frames:
            self._frames[-1][3] = True

    visit_SimpleStatementSuite = visit_IndentedBlock  # type: ignore[assignment]

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bodies.discard(id(node.body))
        is_async, awaits, calls, _ = self._frames.pop()
        function = self.ctx.model.defining
        if not is_async or awaits or not calls or self.ctx.is_support_code or function is None:
            return
        self.report(node.name, when=queries.is_entry_point(function.qualname), name=node.name.value)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._frames.append([False, False, False, True])

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._frames.pop()

    def _awaits(self) -> None:
        if self._frames:
            self._frames[-1][1] = True

    def visit_Await(self, node: cst.Await) -> None:
        self._awaits()

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._awaits()

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._awaits()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self._awaits()

    def visit_Raise(self, node: cst.Raise) -> None:
        self._raise_depth += 1

    def leave_Raise(self, node: cst.Raise) -> None:
        self._raise_depth -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if not (self._frames and self._frames[-1][3]) or self._raise_depth:
            return
        target = self.ctx.model.qualname(node.func) or ""
        if target.startswith(_LOOP_APIS):
            self._frames[-1][1] = True  # `asyncio.current_task()`, context variables: loop-bound
        elif not self._trivial(node, target):
            self._frames[-1][2] = True

    def _trivial(self, node: cst.Call, target: str, depth: int = 0) -> bool:
        """Building the response is not "calling other code": builtins (`len`, `dict`), classes
        (`JSONResponse(...)`, `Page(...)`, `Item.model_validate(row)`), container methods."""
        if target.startswith("builtins."):
            return True
        func = node.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
        if name[:1].isupper() or name in _CONSTRUCTORS or target.startswith(_RESPONSE_HELPERS):
            return True
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and depth < 3:
            # `response = JSONResponse(...)`, then `response.delete_cookie(...)`: still building it
            bound = self.ctx.model.values_of(func.value.value)
            if bound and all(isinstance(v, cst.Call) and self._trivial(v, self.ctx.model.qualname(v.func) or "", depth + 1) for v in bound):
                return True
        return isinstance(func, cst.Attribute) and name in _CONTAINER_METHODS


_LOOP_APIS = ("asyncio.", "contextvars.", "anyio.")
_RESPONSE_HELPERS = ("fastapi.openapi.docs.",)
_CONSTRUCTORS = frozenset({"model_validate", "model_construct", "from_orm", "parse_obj", "model_dump", "dict", "json", "model_dump_json"})
_CONTAINER_METHODS = frozenset({"get", "items", "keys", "values", "copy", "append", "extend", "update", "pop", "setdefault", "format", "join", "split", "strip", "lower", "upper", "replace", "startswith", "endswith"})
