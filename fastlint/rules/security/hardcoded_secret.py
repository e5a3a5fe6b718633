from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule
from fastlint.rules.security._values import literal_of

#: signing functions -> index of the key among positional arguments, and its keyword
_SIGNERS: dict[str, tuple[int, str]] = {
    "jwt.encode": (1, "key"),
    "jwt.decode": (1, "key"),
    "jwt.api_jwt.encode": (1, "key"),
    "jwt.api_jwt.decode": (1, "key"),
    "jose.jwt.encode": (1, "key"),
    "jose.jwt.decode": (1, "key"),
    "authlib.jose.jwt.encode": (2, "key"),
    "authlib.jose.jwt.decode": (1, "key"),
    "itsdangerous.URLSafeTimedSerializer": (0, "secret_key"),
    "itsdangerous.URLSafeSerializer": (0, "secret_key"),
}
_SESSION_MIDDLEWARE = frozenset({"starlette.middleware.sessions.SessionMiddleware"})


class HardcodedSecret(Rule):
    """A JWT signing key or an app secret is a string literal in the code.

    ## Why is this bad?
    Whoever reads the code (the repository, a leaked wheel, an image layer) can sign tokens that
    the service accepts: any user, any role, any expiry. A literal key is also the same in every
    environment and never rotated, and a fallback such as `os.getenv("SECRET_KEY", "change-me")`
    silently signs production tokens with the placeholder when the variable is missing.

    Read the key from the environment or a secret store with no literal fallback, and fail at
    start-up when it is missing: `SECRET_KEY = os.environ["SECRET_KEY"]`, or a pydantic-settings
    field without a default. Reported: a literal (or a module constant bound to one, also in
    another module, also as an environment lookup's default) given as the key of `jwt.encode` /
    `jwt.decode` (PyJWT, python-jose, authlib), of itsdangerous serializers, or as
    `SessionMiddleware(secret_key=...)`. Not reported: an empty string, values read from the
    environment without a literal default, tests.

    ## Example
    ```python
    import jwt

    SECRET_KEY = "super-secret-change-me"


    def issue(user_id: str) -> str:
        return jwt.encode({"sub": user_id}, SECRET_KEY, algorithm="HS256")
    ```

    ## Use instead
    ```python
    import os

    import jwt

    SECRET_KEY = os.environ["SECRET_KEY"]


    def issue(user_id: str) -> str:
        return jwt.encode({"sub": user_id}, SECRET_KEY, algorithm="HS256")
    ```

    ## References
    - [CWE-798: use of hard-coded credentials](https://cwe.mitre.org/data/definitions/798.html)
    - [CWE-321: use of hard-coded cryptographic key](https://cwe.mitre.org/data/definitions/321.html)
    - [OWASP: secrets management cheat sheet](https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html)
    """

    code = "FL404"
    name = "hardcoded-secret"
    message = "{what} is a string literal in the code: anyone who reads it can sign tokens"
    fix_hint = "Read it from the environment with no literal fallback (`os.environ[\"SECRET_KEY\"]`) and fail at start-up when missing"
    requires = ("encode", "decode", "Serializer", "SessionMiddleware")

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        model = self.ctx.model
        target = ref_of(model.callee(node))
        key: cst.Arg | None = None
        if target in _SIGNERS:
            index, keyword = _SIGNERS[target]
            key = next((a for a in node.args if a.keyword is not None and a.keyword.value == keyword), None)
            positional = [a for a in node.args if a.keyword is None and not a.star]
            if key is None and len(positional) > index:
                key = positional[index]
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_middleware" and node.args:
            if ref_of(model.describe(node.args[0].value)) in _SESSION_MIDDLEWARE:
                key = next((a for a in node.args if a.keyword is not None and a.keyword.value == "secret_key"), None)
        elif target in _SESSION_MIDDLEWARE:
            key = next((a for a in node.args if a.keyword is not None and a.keyword.value == "secret_key"), None)
        if key is None:
            return
        value = key.value
        literal = literal_of(model, value)
        if isinstance(literal, cst.SimpleString):
            text = literal.evaluated_value
            if isinstance(text, str) and text:
                self.report(key, what="The signing key" if not isinstance(value, cst.Name) else f"The signing key `{value.value}`")
            return
        if literal is None and isinstance(value, (cst.Name, cst.Attribute)):
            ref = ref_of(model.describe(value))
            if ref is not None:
                self.report(key, when=queries.constant_is_secret_literal(ref), what=f"The signing key `{ref.rsplit('.', 1)[-1]}`")
