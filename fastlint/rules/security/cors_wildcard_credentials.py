from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule
from fastlint.rules.security._values import is_true, strings_in

_CORS = frozenset(
    {
        "fastapi.middleware.cors.CORSMiddleware",
        "starlette.middleware.cors.CORSMiddleware",
    }
)
_MIDDLEWARE = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
#: `allow_origin_regex` values that match every origin.
_EVERYTHING = frozenset({".*", ".+", "^.*$", "^.+$", "^.*", ".*$", "(.*)", "^(.*)$", "https?://.*", "^https?://.*$"})


class CorsWildcardCredentials(Rule):
    """`CORSMiddleware` allows every origin and credentials at once.

    ## Why is this bad?
    With `allow_credentials=True`, browsers send the user's cookies and `Authorization` header on
    cross-site requests. Allowing every origin as well (`allow_origins=["*"]`, which Starlette
    then answers by echoing the caller's `Origin`, or an `allow_origin_regex` that matches
    anything) lets any web page the user visits call the API as the user and read the answers:
    account data, tokens, CSRF-protected actions.

    List the origins that may call the API with credentials (`allow_origins=["https://app.example.com"]`,
    from settings), or drop `allow_credentials` for a public, token-less API. Reported when both
    values are literals in the call, names bound to literals, or a settings constant in another
    module whose value (or the literal default of the environment variable it reads) contains
    `"*"`; the `Middleware(CORSMiddleware, ...)` form counts too.

    ## Example
    ```python
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"])
    ```

    ## Use instead
    ```python
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    app = FastAPI()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_credentials=True,
        allow_methods=["*"],
    )
    ```

    ## References
    - [CWE-942: permissive cross-domain policy with untrusted domains](https://cwe.mitre.org/data/definitions/942.html)
    - [OWASP: CORS origin header scrutiny](https://owasp.org/www-community/attacks/CORS_OriginHeaderScrutiny)
    - [FastAPI: CORS](https://fastapi.tiangolo.com/tutorial/cors/)
    """

    code = "FL405"
    name = "cors-wildcard-credentials"
    message = "CORS allows {origins} together with credentials: any site can call the API as the user"
    fix_hint = "List the allowed origins explicitly (`allow_origins=[\"https://app.example.com\"]`), or drop `allow_credentials`"
    requires = ("CORSMiddleware",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_support_code:
            return
        model = self.ctx.model
        args = node.args
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "add_middleware":
            pass
        elif ref_of(model.callee(node)) in _MIDDLEWARE:
            pass
        else:
            return
        if not args or args[0].keyword is not None or ref_of(model.describe(args[0].value)) not in _CORS:
            return
        keywords = {a.keyword.value: a for a in args if a.keyword is not None}
        credentials = keywords.get("allow_credentials")
        if credentials is None or not is_true(model, credentials.value):
            return
        origins = keywords.get("allow_origins")
        if origins is not None and "*" in strings_in(model, origins.value):
            self.report(origins, origins='every origin (`"*"`)')
            return
        if origins is not None:
            # `allow_origins=CORS_ORIGINS` from a settings module: `["*"]`, or `*` as the default
            # of an environment variable
            target = ref_of(model.describe(origins.value))
            if target is not None:
                self.report(origins, when=queries.constant_has_string(target, "*"), origins='every origin (`"*"`, the setting\'s default)')
                return
        regex = keywords.get("allow_origin_regex")
        if regex is not None and any(r in _EVERYTHING for r in strings_in(model, regex.value)):
            self.report(regex, origins="every origin (a regex that matches anything)")
