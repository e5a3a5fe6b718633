from __future__ import annotations

import libcst as cst

from fastlint.analysis.model import ref_of
from fastlint.rule import Rule
from fastlint.rules.security._values import literal_of, strings_in

#: decode functions whose third positional parameter is `algorithms`
_DECODERS = frozenset(
    {
        "jwt.decode",
        "jwt.decode_complete",
        "jwt.api_jwt.decode",
        "jwt.api_jwt.decode_complete",
        "jose.jwt.decode",
    }
)
_VERIFY_KEYS = frozenset({"verify_signature", "verify"})


class JwtDecodeUnverified(Rule):
    """A JWT is decoded without checking its signature, or without pinning the algorithms.

    ## Why is this bad?
    The signature is what makes a token's claims true. Decoding with
    `options={"verify_signature": False}` (or PyJWT 1.x's `verify=False`) accepts any token anyone
    wrote: `{"sub": "admin"}` signed with nothing. Decoding without `algorithms=` lets the token's
    own header choose the algorithm: python-jose (and PyJWT before 2.0) then accept `none`, or an
    HMAC signed with the *public* key of an RSA setup (algorithm confusion). `"none"` in the list
    disables the check outright.

    Verify every token you act on, with the algorithms you issue:
    `jwt.decode(token, key, algorithms=["HS256"])`. To read a claim before verifying (to pick a key
    by `kid` or `iss`), use `jwt.get_unverified_header(token)` and then verify with the chosen key.
    Reported for PyJWT (`jwt.decode`, `jwt.decode_complete`) and python-jose (`jose.jwt.decode`):
    verification switched off by a literal (or a dict bound to one in the module), no `algorithms`
    argument, or `"none"` among the algorithms.

    ## Example
    ```python
    import jwt


    def current_user_id(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        return claims["sub"]
    ```

    ## Use instead
    ```python
    import jwt

    from app.settings import SECRET_KEY


    def current_user_id(token: str) -> str:
        claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
        return claims["sub"]
    ```

    ## References
    - [CWE-347: improper verification of cryptographic signature](https://cwe.mitre.org/data/definitions/347.html)
    - [OWASP: JSON Web Token cheat sheet](https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html)
    - [OWASP API Security API2:2023 broken authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [PyJWT: decode](https://pyjwt.readthedocs.io/en/stable/api.html#jwt.decode)
    """

    code = "FL403"
    name = "jwt-decode-unverified"
    message = "`{call}` {problem}"
    fix_hint = "Verify with a pinned algorithm list: `jwt.decode(token, key, algorithms=[\"HS256\"])`"
    requires = ("decode",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        model = self.ctx.model
        if ref_of(model.describe(node.func)) not in _DECODERS:
            return
        keywords = {a.keyword.value: a for a in node.args if a.keyword is not None}
        positional = [a for a in node.args if a.keyword is None and not a.star]
        call = self.ctx.call_snippet(node)
        options = keywords.get("options") or (positional[3] if len(positional) > 3 else None)
        if options is not None and self._verification_off(options.value):
            self.report(options, call=call, problem="does not verify the token's signature: anyone can forge its claims")
            return
        verify = keywords.get("verify")
        if verify is not None and _is_false(literal_of(model, verify.value)):
            self.report(verify, call=call, problem="does not verify the token's signature: anyone can forge its claims")
            return
        algorithms = keywords.get("algorithms") or (positional[2] if len(positional) > 2 else None)
        if algorithms is None:
            if any(a.star for a in node.args):
                return  # `**kwargs`: the algorithms may be in there
            self.report(node, call=call, problem="has no `algorithms=`: the token's header picks the algorithm (`none`, or HMAC with a public key)")
            return
        if any(name.lower() == "none" for name in strings_in(model, algorithms.value)):
            self.report(algorithms, call=call, problem='accepts the `"none"` algorithm: unsigned tokens pass')

    def _verification_off(self, value: cst.BaseExpression) -> bool:
        literal = literal_of(self.ctx.model, value) if isinstance(value, cst.Name) else value
        if not isinstance(literal, cst.Dict):
            return False
        for element in literal.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
                continue
            if element.key.evaluated_value in _VERIFY_KEYS and _is_false(literal_of(self.ctx.model, element.value)):
                return True
        return False


def _is_false(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Name) and value.value == "False"
