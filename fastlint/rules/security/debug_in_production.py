from __future__ import annotations

import libcst as cst

from fastlint.analysis.model import ref_of
from fastlint.diagnostics import FixSafety
from fastlint.rule import Rule
from fastlint.rules._edits import without_arg
from fastlint.rules.security._values import is_true

_APPS = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"})
_RUN = frozenset({"uvicorn.run", "uvicorn.main.run"})


class DebugInProduction(Rule):
    """Debug mode or auto-reload switched on in code that the server imports.

    ## Why is this bad?
    `FastAPI(debug=True)` (and `Starlette(debug=True)`) answers every unhandled exception with a
    traceback page: source lines, local paths, library versions and sometimes values from the
    failing frame, handed to whoever triggered the error. `uvicorn.run(..., reload=True)` at module
    level starts a file watcher and a reloader process in production, restarts the service on any
    file change (a log, an upload into the tree) and is not meant for serving traffic.

    Read the flag from the environment (`debug=settings.debug`, default off), and keep
    `uvicorn.run(..., reload=True)` for local runs under `if __name__ == "__main__":` or the
    `fastapi dev` / `uvicorn --reload` command line. Reported: a literal `True` (or a name the module
    binds to `True`), and `reload=True` at module level; not reported: values from settings or the
    environment, `uvicorn.run` inside a function (a deliberate local entry point), scripts, tests
    and examples.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI(debug=True)
    ```

    ## Use instead
    ```python
    import os

    from fastapi import FastAPI

    app = FastAPI(debug=os.getenv("APP_DEBUG") == "1")
    ```

    ## Fix safety
    The fix removes the flagged `debug=True` or `reload=True` argument (`FastAPI(debug=True)`
    becomes `FastAPI()`); nothing else changes, and the rest of the call keeps its layout. It is
    safe: the only behaviour it changes is the one reported, and both arguments default to off. It
    does not read the flag from settings for you; when the argument carries a comment, no fix is
    offered (the comment would go with it).

    ## References
    - [CWE-489: active debug code](https://cwe.mitre.org/data/definitions/489.html)
    - [CWE-209: error message containing sensitive information](https://cwe.mitre.org/data/definitions/209.html)
    - [OWASP Top 10 A05:2021: security misconfiguration](https://owasp.org/Top10/A05_2021-Security_Misconfiguration/)
    - [Uvicorn: deployment](https://www.uvicorn.org/deployment/)
    """

    code = "FL406"
    name = "debug-in-production"
    message = "{what}"
    fix_hint = "{fix}"
    requires = ("debug", "reload")
    fix = FixSafety.SAFE

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_support_code or not node.args:
            return
        model = self.ctx.model
        target = ref_of(model.callee(node))
        if target in _APPS:
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "debug" and is_true(model, arg.value):
                    self.report(
                        arg,
                        replacement=without_arg(node, arg),
                        replaces=node,
                        what="Debug mode is on: unhandled errors answer with a traceback page",
                        fix="Read it from settings, off by default: `FastAPI(debug=settings.debug)`",
                    )
        elif target in _RUN and model.main_block_depth == 0 and model.function is None and not self.ctx.is_script:
            # at module level: it runs whenever the module is imported (a function such as
            # `def dev(): uvicorn.run(..., reload=True)` is a deliberate local entry point)
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "reload" and is_true(model, arg.value):
                    self.report(
                        arg,
                        replacement=without_arg(node, arg),
                        replaces=node,
                        what="`uvicorn.run(..., reload=True)` runs whenever this module is imported, with a file watcher",
                        fix="Move it under `if __name__ == \"__main__\":`, or use `uvicorn --reload` for local runs",
                    )
