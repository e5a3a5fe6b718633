from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries, work
from fastlint.analysis.model import argument, ref_of
from fastlint.analysis.names import dotted
from fastlint.conditions import TRUE, Cond
from fastlint.rule import Rule

#: claim names (lower case, without `_`/`-`) that carry a password or a secret
_secret = work.is_secret_name

#: calls that turn a whole object into a dict: `user.model_dump()`, `vars(user)`, ...
_DUMP_METHODS = frozenset({"model_dump", "dict", "to_dict", "as_dict", "_asdict"})
_DUMP_FUNCTIONS = frozenset({"builtins.vars", "dataclasses.asdict", "fastapi.encoders.jsonable_encoder", "pydantic_core.to_jsonable_python"})


class PasswordInJwt(Rule):
    """A JWT's claims carry a password, a password hash or a secret.

    ## Why is this bad?
    A JWT is signed, not encrypted: anyone who holds the token (the browser, its extensions, a
    log line, a proxy) reads its claims with a base64 decoder. A password in it is disclosed to
    all of them; a password hash invites offline cracking; an API key or client secret becomes a
    credential of whoever sees the token. Tokens are also long-lived copies: they outlive the
    password change that should have invalidated them.

    Put an identifier in the token (`{"sub": str(user.id)}`) and look the rest up on the server.
    Reported: a claim named like a password or secret (`password`, `hashed_password`,
    `password_hash`, `secret`, `api_key`, ...), or a value read from such an attribute
    (`user.hashed_password`), in the claims given to `jwt.encode` (PyJWT, python-jose, authlib,
    joserfc): a dict literal, or one built in the function (`payload["password"] = ...`,
    `payload.update(...)`, `data.copy()`), and in the argument of a project helper whose body
    encodes it (`create_access_token(data={...})`, also in another module). A whole object copied
    into the claims counts too (`user.model_dump()`, `user.dict()`, `user.__dict__`,
    `vars(user)`, `jsonable_encoder(user)`) when its class (an ORM or pydantic model, own or
    inherited fields) has a password or secret field, unless `include=`/`exclude=` picks fields.

    ## Example
    ```python
    import jwt

    from app.settings import SECRET_KEY


    def login_token(user) -> str:
        return jwt.encode({"sub": user.email, "password": user.hashed_password}, SECRET_KEY, algorithm="HS256")
    ```

    ## Use instead
    ```python
    import jwt

    from app.settings import SECRET_KEY


    def login_token(user) -> str:
        return jwt.encode({"sub": str(user.id)}, SECRET_KEY, algorithm="HS256")
    ```

    ## References
    - [CWE-312: cleartext storage of sensitive information](https://cwe.mitre.org/data/definitions/312.html)
    - [CWE-522: insufficiently protected credentials](https://cwe.mitre.org/data/definitions/522.html)
    - [OWASP: JSON Web Token cheat sheet (token information disclosure)](https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html)
    """

    code = "FL401"
    name = "password-in-jwt"
    message = "The JWT claims carry {what}: anyone holding the token can read it"
    fix_hint = "Put only an identifier in the token (`{{'sub': str(user.id)}}`) and look the rest up server-side"
    requires = ("encode", "token", "jwt")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: per function: dict name -> (node, what) for secret entries added after creation
        self._frames: list[dict[str, list[tuple[cst.CSTNode, str, Cond]]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        # `payload["password"] = ...`
        if not self._frames:
            return
        for target in node.targets:
            item = target.target
            if isinstance(item, cst.Subscript) and isinstance(item.value, cst.Name) and len(item.slice) == 1:
                key = item.slice[0].slice
                if isinstance(key, cst.Index) and isinstance(key.value, cst.SimpleString):
                    text = key.value.evaluated_value
                    if isinstance(text, str) and _secret(text):
                        self._frames[-1].setdefault(item.value.value, []).append((item, f"`{text}`", TRUE))

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        model = self.ctx.model
        func = node.func
        # `payload.update({"password": ...})`
        if self._frames and isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Name) and node.args:
            for found in self._secrets(node.args[0].value, 0):
                self._frames[-1].setdefault(func.value.value, []).append(found)
        target = ref_of(model.callee(node))
        if target in work.JWT_ENCODERS:
            position, keyword = work.JWT_ENCODERS[target]
            payload = argument(node, position, keyword)
            if payload is not None:
                self._report_first(self._secrets(payload, 0), TRUE)
            return
        if target is not None and target.startswith(("jwt.", "jose.", "authlib.", "joserfc.", "builtins.")):
            return
        callee = model.callee(node)
        if callee is None:
            return
        for position, arg in enumerate(a for a in node.args if not a.star):
            found = self._secrets(arg.value, 0)
            if found:
                where: object = arg.keyword.value if arg.keyword is not None else position
                self._report_first(found, queries.encodes_jwt(callee, where))

    def _report_first(self, found: list[tuple[cst.CSTNode, str, Cond]], when: Cond) -> None:
        """Report the first secret entry; the ones that depend on the project (a whole object
        whose class has a password field) are each pending on their own condition."""
        for node, what, cond in found:
            self.report(node, when=when & cond, what=what)
            if cond.is_true:
                return

    def _secrets(self, expr: cst.BaseExpression, depth: int) -> list[tuple[cst.CSTNode, str, Cond]]:
        """Secret entries of the claims `expr` builds, each with the condition under which it is
        one (TRUE for a claim named `password`)."""
        out: list[tuple[cst.CSTNode, str, Cond]] = []
        if depth > 4:
            return out
        dumped = self._dumped_object(expr)
        if dumped is not None:
            what = f"every field of `{dotted(dumped) or 'the object'}`, whose class has a password or secret field"
            return [(expr, what, queries.has_secret_field(self.ctx.model.describe(dumped)))]
        if isinstance(expr, cst.Dict):
            for element in expr.elements:
                if isinstance(element, cst.StarredDictElement):
                    out += self._secrets(element.value, depth + 1)
                    continue
                key = element.key
                if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str) and _secret(key.evaluated_value):
                    out.append((element, f"`{key.evaluated_value}`", TRUE))
                elif _secret_value(element.value):
                    out.append((element, f"`{element.value.attr.value}`", TRUE))  # type: ignore[attr-defined]
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict":
            for arg in expr.args:
                if arg.keyword is not None and _secret(arg.keyword.value):
                    out.append((arg, f"`{arg.keyword.value}`", TRUE))
                elif arg.keyword is None:
                    out += self._secrets(arg.value, depth + 1)
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "copy":
            out += self._secrets(expr.func.value, depth + 1)
        elif isinstance(expr, cst.Name):
            if self._frames:
                out += self._frames[-1].get(expr.value, [])
            for value in self.ctx.model.values_of(expr.value):
                if isinstance(value, cst.BaseExpression):
                    out += self._secrets(value, depth + 1)
        return out


    def _dumped_object(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The object whose every field `expr` copies into a dict: `user.model_dump()`,
        `user.dict()`, `user.__dict__`, `vars(user)`, `jsonable_encoder(user)`; not when fields
        are picked or left out (`include=`, `exclude=`)."""
        if isinstance(expr, cst.Attribute) and expr.attr.value == "__dict__":
            return expr.value
        if not isinstance(expr, cst.Call) or any(a.keyword is not None and a.keyword.value in ("include", "exclude") for a in expr.args):
            return None
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _DUMP_METHODS and not expr.args:
            return expr.func.value
        if expr.args and ref_of(self.ctx.model.callee(expr)) in _DUMP_FUNCTIONS:
            return expr.args[0].value
        return None


def _secret_value(value: cst.BaseExpression) -> bool:
    """`user.hashed_password`, `form.password`: a value read from a secret attribute."""
    return isinstance(value, cst.Attribute) and _secret(value.attr.value)

