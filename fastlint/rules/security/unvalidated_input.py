from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.chains import calls_in, children, method_name
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule

_READS = frozenset({"json", "body"})
_VALIDATORS = frozenset(
    {
        "model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate_python", "validate_json", "validate",
        "deserialize", "from_dict", "ParseFromString", "Parse", "load",
    }
)
_SIGNATURE_HINTS = frozenset({"hmac.new", "hmac.compare_digest", "hmac.digest"})
_UNTYPED = frozenset({"builtins.dict", "typing.Dict", "typing.Any", "typing.Mapping", "collections.abc.Mapping", "typing.MutableMapping"})
_BODY = frozenset({"fastapi.Body", "fastapi.params.Body", "fastapi.param_functions.Body"})
_FRAMEWORK = ("fastapi.", "starlette.", "typing", "builtins.", "sqlalchemy.", "sqlmodel.", "collections.", "pydantic.")
_NOT_BODY = frozenset(
    {
        "fastapi.Query", "fastapi.Path", "fastapi.Header", "fastapi.Cookie", "fastapi.Depends", "fastapi.Security",
        "fastapi.Form", "fastapi.File", "fastapi.param_functions.Query", "fastapi.param_functions.Depends",
    }
)


class UnvalidatedInput(Rule):
    """A route takes its request body unvalidated: `await request.json()`, or a `dict`/`Any` body.

    ## Why is this bad?
    Pydantic models are where FastAPI checks what a client sent: types, required fields, lengths
    and ranges, and the documented schema. A body read with `await request.json()` or declared as
    `dict` / `Any` skips all of it: a string where the code expects a number, a missing key, a
    10 MB list or an unexpected nested object reaches business logic and the database as is
    (mass assignment, type confusion, denial of service), and the OpenAPI schema tells clients
    nothing.

    Declare a model and take it as the parameter (`item: ItemCreate`), or validate right away
    (`ItemCreate.model_validate(await request.json())`). Not reported: webhooks that read the raw
    body to check an HMAC signature, routes that validate the data (`model_validate`,
    `parse_obj`, a `TypeAdapter`, `Model(**data)`, `jsonschema.validate`, protobuf parsing, an
    SDK's `deserialize`), bodies passed on whole without the route reading a key (proxies,
    relays, opaque blobs), dicts whose values are typed (`dict[str, str]`), file uploads and form
    fields.

    ## Example
    ```python
    from fastapi import FastAPI, Request

    app = FastAPI()


    @app.post("/items")
    async def create_item(request: Request):
        data = await request.json()
        return save_item(data["name"], data["price"])
    ```

    ## Use instead
    ```python
    from fastapi import FastAPI
    from pydantic import BaseModel, Field

    app = FastAPI()


    class ItemCreate(BaseModel):
        name: str = Field(max_length=200)
        price: float = Field(ge=0)


    @app.post("/items")
    async def create_item(item: ItemCreate):
        return save_item(item.name, item.price)
    ```

    ## References
    - [CWE-20: improper input validation](https://cwe.mitre.org/data/definitions/20.html)
    - [OWASP API Security API3:2023 broken object property level authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
    - [FastAPI: request body](https://fastapi.tiangolo.com/tutorial/body/)
    """

    code = "FL407"
    name = "unvalidated-input"
    message = "{what}: nothing checks its shape before the code uses it"
    fix_hint = "Declare a Pydantic model and take it as the parameter, or validate at once (`Model.model_validate(...)`)"
    requires = ("request.", "dict", "Any", "Body(")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: per function: (read call, variable it is bound to or None)
        self._frames: list[list[cst.Call]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append([])

    def _untyped_body(self, param: cst.Param) -> bool:
        if param.annotation is None and param.default is None:
            return False
        model = self.ctx.model
        default = ref_of(model.describe(param.default.func)) if isinstance(param.default, cst.Call) else None
        if default in _NOT_BODY:
            return False
        annotation = param.annotation.annotation if param.annotation is not None else None
        if annotation is None:
            return default in _BODY
        if isinstance(annotation, cst.Subscript):
            base = ref_of(model.describe(annotation.value))
            if base not in ("typing.Annotated", "typing_extensions.Annotated"):
                return self._untyped_type(annotation)
            if base in ("typing.Annotated", "typing_extensions.Annotated"):
                metas = [el.slice.value for el in annotation.slice[1:] if isinstance(el.slice, cst.Index)]
                if any(isinstance(m, cst.Call) and ref_of(model.describe(m.func)) in _NOT_BODY for m in metas):
                    return False
                first = annotation.slice[0].slice
                return isinstance(first, cst.Index) and self._untyped_type(first.value)
            return base in _UNTYPED
        return self._untyped_type(annotation)

    def _has_model_body(self, node: cst.FunctionDef) -> bool:
        """A parameter typed with a project class (a Pydantic body model): the raw re-read
        (`await request.json()` for legacy fields) comes after FastAPI validated the body."""
        for param in (*node.params.params, *node.params.kwonly_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            if annotation is None or param.default is not None:
                continue
            target = ref_of(self.ctx.model.describe(annotation)) or ""
            last = target.rsplit(".", 1)[-1]
            if last[:1].isupper() and not target.startswith(_FRAMEWORK):
                return True
        return False

    def _untyped_type(self, annotation: cst.BaseExpression) -> bool:
        if isinstance(annotation, cst.Subscript):
            if ref_of(self.ctx.model.describe(annotation.value)) not in _UNTYPED:
                return False
            # `dict[str, str]`: FastAPI checks every value; `dict[str, Any]` checks nothing
            values = [el.slice.value for el in annotation.slice if isinstance(el.slice, cst.Index)]
            return not values or ref_of(self.ctx.model.describe(values[-1])) == "typing.Any"
        return ref_of(self.ctx.model.describe(annotation)) in _UNTYPED

    def visit_Call(self, node: cst.Call) -> None:
        if not self._frames or self.ctx.is_support_code:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _READS and not node.args:
            if not queries.has_kind(self.ctx.model.describe(func.value), {known.REQUEST}).is_false:
                self._frames[-1].append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        reads = self._frames.pop()
        function = self.ctx.model.defining
        if function is None or self.ctx.is_support_code:
            return
        untyped = [p for p in (*node.params.params, *node.params.kwonly_params) if self._untyped_body(p)]
        if not untyped and not reads:
            return  # the common case: nothing to look at, no body walk
        if _validates(node):
            return
        for param in untyped:
            if _reads_keys(node, param.name.value):
                self.report(param, when=queries.is_route(function.qualname), what=f"Body parameter `{param.name.value}` is a plain `dict`/`Any`")
        if not reads or _checks_signature(self.ctx.model, node) or self._has_model_body(node):
            return
        read = reads[0]
        target = _bound_name(node, read)
        if target is not None and not _reads_keys(node, target):
            return  # passed on whole (a proxy, a webhook relay, an opaque blob): nothing reads its keys
        is_request = queries.has_kind(self.ctx.model.describe(read.func.value), {known.REQUEST})  # type: ignore[attr-defined]
        self.report(
            read,
            when=is_request & queries.is_route(function.qualname),
            what=f"The request body is read with `request.{read.func.attr.value}()`",  # type: ignore[attr-defined]
        )


def _checks_signature(model, node: cst.FunctionDef) -> bool:  # type: ignore[no-untyped-def]
    """A webhook that verifies an HMAC signature over the raw body."""
    for call in calls_in(node.body):
        target = ref_of(model.describe(call.func)) or ""
        name = method_name(call) or (call.func.value if isinstance(call.func, cst.Name) else "")
        if target in _SIGNATURE_HINTS or target.startswith("hmac.") or "signature" in (name or "").lower():
            return True
    return False


def _bound_name(function: cst.FunctionDef, read: cst.Call) -> str | None:
    """`data = await request.json()`: the name the body is bound to."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Assign) and len(item.targets) == 1 and isinstance(item.targets[0].target, cst.Name):
            value = item.value.expression if isinstance(item.value, cst.Await) else item.value
            if value is read:
                return item.targets[0].target.value
        stack.extend(children(item))
    return None


def _reads_keys(function: cst.FunctionDef, name: str) -> bool:
    """The code looks inside `name`: `name["k"]`, `name.get("k")`, `name.items()`, `name.pop(...)`."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Subscript) and isinstance(item.value, cst.Name) and item.value.value == name:
            return True
        if (
            isinstance(item, cst.Call)
            and isinstance(item.func, cst.Attribute)
            and isinstance(item.func.value, cst.Name)
            and item.func.value.value == name
            and item.func.attr.value in ("get", "items", "keys", "values", "pop", "setdefault")
        ):
            return True
        stack.extend(children(item))
    return False


def _validates(node: cst.FunctionDef) -> bool:
    """The data goes through a model: `Model.model_validate(data)`, `TypeAdapter(...).validate_python`,
    `Model(**data)`."""
    for call in calls_in(node.body):
        if method_name(call) in _VALIDATORS or (isinstance(call.func, cst.Name) and call.func.value in _VALIDATORS):
            return True
        if any(a.star == "**" for a in call.args) and isinstance(call.func, (cst.Name, cst.Attribute)):
            name = call.func.value if isinstance(call.func, cst.Name) else call.func.attr.value
            if name[:1].isupper():
                return True
    return False
