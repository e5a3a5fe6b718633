from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from fastlint.analysis.chains import children

from fastlint.analysis import known, queries
from fastlint.analysis.model import ref_of
from fastlint.diagnostics import FixSafety
from fastlint.rule import Rule
from fastlint.rules._edits import with_keyword

DEFAULT_NAMES = (
    "limit",
    "page_size",
    "pagesize",
    "per_page",
    "size",
    "take",
    "max_results",
    "max_items",
    "page_limit",
    "count",
    "top",
    "first",
    "batch_size",
)
_BOUNDS = frozenset({"le", "lt", "max_value", "maximum"})
_QUERY = frozenset({"fastapi.Query", "fastapi.params.Query", "fastapi.param_functions.Query"})


@dataclass(frozen=True)
class Options:
    #: parameter names that set a page size (compared case-insensitively)
    names: tuple[str, ...] = DEFAULT_NAMES
    #: the upper bound the fix writes (`le=`)
    max_page_size: int = 100


class UnboundedPageSize(Rule):
    """A route parameter that sets a page size is an integer with no upper bound.

    ## Why is this bad?
    `?limit=10000000` is one request away: the endpoint loads and serialises that many rows, holds
    them in memory, and ties up a worker and a database connection for as long as it takes. A
    page size the client controls needs a maximum that the framework enforces before your code
    runs.

    Bound it: `limit: int = Query(50, ge=1, le=100)`,
    `limit: Annotated[int, Query(ge=1, le=100)] = 50`, `conint(le=100)` or `Field(le=100)`.
    Not reported: parameters whose type enumerates the allowed values (`Literal[10, 50, 100]`, an
    `Enum`), and parameters a dependency fills (`limit: int = Depends(get_limit)`: the dependency's
    own query parameter is the one to bound). Names are compared without case or underscores
    (`pageSize` is `page_size`). A parameter the code bounds itself is not reported either:
    `min(limit, MAX)`, `if limit > MAX: raise ...`, or a slice bound on data already in memory,
    in the route or in a project function it passes the parameter to (up to three calls deep;
    when the receiver of that call comes from a factory the index cannot follow, the project's
    methods of that name are checked), and a parameter the function never reads. A `None` default
    (`limit: int | None = None`) usually means "no limit": bound it too.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/items")
    def list_items(limit: int = 100):
        return ITEMS.head(limit)
    ```

    ## Use instead
    ```python
    from typing import Annotated

    from fastapi import FastAPI, Query

    app = FastAPI()


    @app.get("/items")
    def list_items(limit: Annotated[int, Query(ge=1, le=100)] = 50):
        return ITEMS.head(limit)
    ```

    ## Fix safety
    The fix adds `le=<max-page-size>` to the parameter's `Query(...)`: the one in its
    `Annotated[...]`, or its default (`limit: int = Query(20, ge=1)` becomes
    `limit: int = Query(20, ge=1, le=100)`); a plain default becomes one when the module imports
    `Query` from FastAPI (`limit: int = 100` becomes `limit: int = Query(100, le=100)`). It is
    unsafe: clients that ask for more than the bound now get a 422 error instead of their rows, and
    code that calls the function directly gets the `Query` object as the default. No fix is offered
    for a parameter without an annotation, one whose integer default is above the bound, one bounded
    some other way (`conint`, `Field`, `Path`), or when `Query` would have to be imported.

    ## Options
    - `names` (list of strings): the parameter names that set a page size. Default: `limit`,
      `page_size`, `pagesize`, `per_page`, `size`, `take`, `max_results`, `max_items`,
      `page_limit`, `count`, `top`, `first`, `batch_size`.
    - `max-page-size` (integer, default 100): the bound the fix writes (`le=100`).

    ## References
    - [FastAPI: query parameters and numeric validations](https://fastapi.tiangolo.com/tutorial/query-params-str-validations/)
    - [OWASP API Security: unrestricted resource consumption (API4:2023)](https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/)
    """

    code = "FL205"
    name = "unbounded-page-size"
    message = "Page-size parameter `{param}` has no upper bound: a client can ask for every row"
    fix_hint = "Bound it: `{param}: Annotated[int, Query(ge=1, le={bound})]`"
    Options = Options
    requires = ("def ",)
    fix = FixSafety.UNSAFE

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.ctx.is_test:
            return
        names = {_normal(n) for n in self.options.names}
        function = self.ctx.model.defining
        if function is None or function.kind != "function":
            return
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if _normal(param.name.value) not in names:
                continue
            annotation = param.annotation.annotation if param.annotation is not None else None
            if _injected(annotation, param.default):
                continue  # filled by a dependency, whose own query parameter is checked there
            if not _is_int(annotation, param.default) or _bounded(annotation) or _bounded(param.default):
                continue
            if not _reads(node.body, param.name.value):
                continue  # accepted for compatibility and ignored: it sizes nothing
            # `limit: int = LimitBody()` where `LimitBody()` returns `Depends(...)`: injected
            desc = dict(function.facts["params"]).get(param.name.value)
            injected = queries.has_kind(desc, {known.INJECTED})
            fix = self._bound_fix(param)
            self.report(
                param.name,
                when=queries.is_entry_point(function.qualname) & ~queries.is_capped(function.qualname, param.name.value) & ~injected,
                replacement=fix[1] if fix else None,
                replaces=fix[0] if fix else None,
                param=param.name.value,
                bound=self.options.max_page_size,
            )


    def _bound_fix(self, param: cst.Param) -> tuple[cst.BaseExpression, cst.Call] | None:
        """(the node to replace, its replacement) that adds `le=<max-page-size>` to the
        parameter's `Query(...)`, or None."""
        if param.annotation is None:
            return None  # FastAPI would not know the type the bound applies to
        bound = self.options.max_page_size
        limit = cst.Integer(str(bound))
        annotation = param.annotation.annotation
        if isinstance(annotation, cst.Subscript) and _name(annotation.value) == "Annotated":
            for element in annotation.slice[1:]:
                if isinstance(element.slice, cst.Index) and self._is_query(element.slice.value):
                    return self._add_bound(element.slice.value, limit, param.default, bound)
            return None
        default = param.default
        if isinstance(default, cst.Call):
            return self._add_bound(default, limit, None, bound) if self._is_query(default) else None
        query = self._query_name()
        if query is None or not _fits(default, bound) or isinstance(annotation, cst.Call):
            return None
        if not (isinstance(default, cst.Integer) or (isinstance(default, cst.Name) and default.value == "None")):
            return None
        call = cst.Call(func=cst.Name(query), args=[cst.Arg(default)])
        new = with_keyword(call, "le", limit)
        return (default, new) if new is not None else None

    def _add_bound(
        self, call: cst.Call, limit: cst.Integer, default: cst.BaseExpression | None, bound: int
    ) -> tuple[cst.BaseExpression, cst.Call] | None:
        if not call.args and default is None:
            return None
        if any(a.keyword is not None and a.keyword.value in ("le", "lt") for a in call.args) or any(a.star for a in call.args):
            return None
        given = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "default"), None)
        if given is None and call.args and call.args[0].keyword is None:
            given = call.args[0].value
        if not _fits(given, bound) or not _fits(default, bound):
            return None
        after = next((a for a in call.args if a.keyword is not None and a.keyword.value in ("ge", "gt")), None)
        new = with_keyword(call, "le", limit, after=after)
        return (call, new) if new is not None else None

    def _is_query(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and ref_of(self.ctx.model.describe(node.func)) in _QUERY

    def _query_name(self) -> str | None:
        """The module's name for `fastapi.Query` (`from fastapi import Query`), if it has one."""
        table = self.ctx.model.names
        names = sorted(name for name, qual in table.imports.items() if qual in _QUERY and "." not in name and name not in table.defined)
        return "Query" if "Query" in names else (names[0] if names else None)


def _fits(default: cst.BaseExpression | None, bound: int) -> bool:
    """The default is not an integer above the bound (the fix would make it invalid)."""
    if isinstance(default, cst.Integer):
        try:
            return int(default.evaluated_value) <= bound
        except (TypeError, ValueError):
            return False
    return True


def _reads(body: cst.BaseSuite, name: str) -> bool:
    """`name` is read somewhere in the function body (nested functions included)."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            if node.value == name:
                return True
            continue
        if isinstance(node, cst.SimpleString):
            continue
        stack.extend(children(node))
    return False


def _normal(name: str) -> str:
    """`page_size`, `pageSize`, `page-size` and `PAGESIZE` are the same name."""
    return name.replace("_", "").replace("-", "").lower()


def _injected(annotation: cst.BaseExpression | None, default: cst.BaseExpression | None) -> bool:
    def is_dep(node: cst.BaseExpression | None) -> bool:
        return isinstance(node, cst.Call) and _name(node.func) in ("Depends", "Security")

    if is_dep(default):
        return True
    if isinstance(annotation, cst.Subscript) and _name(annotation.value) == "Annotated":
        return any(isinstance(el.slice, cst.Index) and is_dep(el.slice.value) for el in annotation.slice)
    return False


def _name(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _is_int(annotation: cst.BaseExpression | None, default: cst.BaseExpression | None) -> bool:
    """An integer parameter: `int`, `Optional[int]`, `int | None`, `Annotated[int, ...]`,
    `conint(...)`, or unannotated with an integer default (`= 100`, `= Query(100)`)."""
    if annotation is None:
        if isinstance(default, cst.Integer):
            return True
        if isinstance(default, cst.Call) and default.args and isinstance(default.args[0].value, cst.Integer):
            return _name(default.func) in ("Query", "Field", "Path", "Body")
        return False
    if isinstance(annotation, cst.SimpleString):
        text = annotation.evaluated_value
        return isinstance(text, str) and text.replace(" ", "") in ("int", "Optional[int]", "int|None")
    if _name(annotation) in ("int", "PositiveInt", "NonNegativeInt", "conint"):
        return True
    if isinstance(annotation, cst.Call):
        return _name(annotation.func) == "conint"
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = [annotation.left, annotation.right]
        return any(_is_int(s, None) for s in sides) and all(_is_int(s, None) or _name(s) == "None" for s in sides)
    if isinstance(annotation, cst.Subscript) and _name(annotation.value) in ("Optional", "Annotated"):
        first = annotation.slice[0].slice
        return isinstance(first, cst.Index) and _is_int(first.value, None)
    if isinstance(annotation, cst.Subscript) and _name(annotation.value) == "Union":
        members = [el.slice.value for el in annotation.slice if isinstance(el.slice, cst.Index)]
        return any(_is_int(m, None) for m in members) and all(_is_int(m, None) or _name(m) == "None" for m in members)
    return False


def _bounded(node: cst.BaseExpression | None) -> bool:
    """`Query(le=...)`, `Field(lt=...)`, `conint(le=...)`, `Le(...)`/`Lt(...)`/`Interval(le=...)`
    (annotated-types), or such a marker inside `Annotated[...]`; `Literal[...]` enumerates."""
    if node is None:
        return False
    if isinstance(node, cst.Call):
        if _name(node.func) in ("Le", "Lt"):
            return True
        return any(
            a.keyword is not None and a.keyword.value in _BOUNDS and not (isinstance(a.value, cst.Name) and a.value.value == "None")
            for a in node.args
        )
    if isinstance(node, cst.Subscript):
        if _name(node.value) == "Literal":
            return True
        return any(isinstance(el.slice, cst.Index) and _bounded(el.slice.value) for el in node.slice)
    return False
