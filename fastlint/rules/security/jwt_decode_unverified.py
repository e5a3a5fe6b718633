from __future__ import annotations

import libcst as cst

from fastlint.analysis.chains import children, nodes_in_order, returned_values
from fastlint.analysis.model import ref_of
from fastlint.analysis.names import dotted
from fastlint.diagnostics import FixSafety
from fastlint.rule import Rule
from fastlint.rules._edits import with_keyword
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
#: encode functions whose third positional parameter is `algorithm` (default "HS256")
_ENCODERS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jose.jwt.encode"})
_DEFAULT_ALGORITHM = "HS256"
_NO_ALGORITHMS = "has no `algorithms=`: the token's header picks the algorithm (`none`, or HMAC with a public key)"


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
    argument, or `"none"` among the algorithms. Not reported: a
    token read only for its timing claims (`exp`, `iat`, `nbf`: when to refresh it), a token read
    to pick the key or provider and then verified in the same function, a token the function first
    had checked elsewhere (sent to the issuer's `userinfo`/introspection endpoint, or to a
    `verify...`/`validate...` helper), tests.

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

    ## Fix safety
    For a decode without `algorithms=`, when the module also issues tokens with `jwt.encode` and
    every such call uses the same algorithm, the fix pins it: `algorithms=[ALGORITHM]` when the
    encode names a module-level constant or setting (`algorithm=ALGORITHM`,
    `algorithm=settings.JWT_ALGORITHM`), `algorithms=["HS512"]` for a literal, `algorithms=["HS256"]`
    (the libraries' default) when the encode names none. It is unsafe: tokens signed with any other
    algorithm (by another service, or issued before a change) are now rejected. No fix is offered
    when the module has no `jwt.encode`, when its encodes disagree or take the algorithm from a
    value the fix cannot name at the decode, or for the other problems (verification switched off,
    `"none"` allowed), which need a key and a decision.

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
    fix = FixSafety.UNSAFE

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: per function: unverified decodes (call, arg to report at, problem), verified decodes
        self._frames: list[tuple[list[tuple[cst.Call, cst.CSTNode, str]], list[cst.Call], cst.FunctionDef]] = []
        self._timing_only: set[int] = set()
        #: the algorithm of each `jwt.encode` (an expression to copy, or None when unknown)
        self._encoded: list[cst.BaseExpression | None] = []
        #: decodes without `algorithms=`, reported at the end of the module (with the fix, which
        #: needs every encode): (call, the enclosing functions, message fields)
        self._unpinned: list[tuple[cst.Call, tuple[cst.FunctionDef, ...], dict[str, object]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(([], [], node))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        unverified, verified, _ = self._frames.pop()
        verified_tokens = {_token_text(c) for c in verified} - {None}
        for call, where, problem in unverified:
            if id(call) in self._timing_only:
                continue  # only `exp`/`iat` read: when to refresh, not who the caller is
            if _token_text(call) in verified_tokens and not _returned(call, node):
                continue  # read to pick a key or provider, then verified in this function
            if _assigned_and_timing_only(call, node):
                continue
            if _vetted_before(call, node):
                continue  # the token was first accepted by a verifier (the provider's userinfo endpoint)
            self._report(where, call, problem, (*(frame[2] for frame in self._frames), node))

    def _report(self, where: cst.CSTNode, call: cst.Call, problem: str, functions: tuple[cst.FunctionDef, ...]) -> None:
        fields = {"call": self.ctx.call_snippet(call), "problem": problem}
        if problem == _NO_ALGORITHMS and where is call:
            self._unpinned.append((call, functions, fields))
        else:
            self.report(where, **fields)

    def leave_Module(self, node: cst.Module) -> None:
        algorithm = _agreed(self._encoded)
        for call, functions, fields in self._unpinned:
            replacement = None
            if algorithm is not None:
                root = _root_name(algorithm)
                value = algorithm
                if root is not None and (not functions or any(_binds(f, root) for f in functions)):
                    value = self._literal_of(algorithm)  # the name means something else here
                if value is not None:
                    pinned = cst.List([cst.Element(value.deep_clone())])
                    replacement = with_keyword(call, "algorithms", pinned)
            self.report(call, replacement=replacement, **fields)

    def _literal_of(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        if isinstance(expr, cst.SimpleString):
            return expr
        value = self.ctx.model.names.values.get(expr.value) if isinstance(expr, cst.Name) else None
        return value if isinstance(value, cst.SimpleString) else None

    def visit_Subscript(self, node: cst.Subscript) -> None:
        # `jwt.decode(t, options=...)["exp"]`
        if isinstance(node.value, cst.Call) and _subscript_key(node) in _TIMING:
            self._timing_only.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        model = self.ctx.model
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and isinstance(node.func.value, cst.Call):
            if node.args and isinstance(node.args[0].value, cst.SimpleString) and node.args[0].value.evaluated_value in _TIMING:
                self._timing_only.add(id(node.func.value))  # `jwt.decode(...).get("exp")`
        callee = ref_of(model.callee(node))
        if callee in _ENCODERS:
            self._encoded.append(self._algorithm_of(node))
            return
        if callee not in _DECODERS:
            return
        found = self._problem(node)
        if not self._frames:
            if found is not None:
                self._report(found[0], node, found[1], ())
            return
        if found is None:
            self._frames[-1][1].append(node)
        else:
            self._frames[-1][0].append((node, found[0], found[1]))

    def _problem(self, node: cst.Call) -> tuple[cst.CSTNode, str] | None:
        model = self.ctx.model
        keywords = {a.keyword.value: a for a in node.args if a.keyword is not None}
        positional = [a for a in node.args if a.keyword is None and not a.star]
        options = keywords.get("options") or (positional[3] if len(positional) > 3 else None)
        unsigned = "does not verify the token's signature: anyone can forge its claims"
        if options is not None and self._verification_off(options.value):
            return options, unsigned
        verify = keywords.get("verify")
        if verify is not None and _is_false(literal_of(model, verify.value)):
            return verify, unsigned
        algorithms = keywords.get("algorithms") or (positional[2] if len(positional) > 2 else None)
        if algorithms is None:
            if any(a.star for a in node.args):
                return None  # `**kwargs`: the algorithms may be in there
            return node, _NO_ALGORITHMS
        if any(name.lower() == "none" for name in strings_in(model, algorithms.value)):
            return algorithms, 'accepts the `"none"` algorithm: unsigned tokens pass'
        return None

    def _algorithm_of(self, node: cst.Call) -> cst.BaseExpression | None:
        """What `jwt.encode(...)` signs with, as an expression a decode elsewhere in the module
        can name: a string, or a module-level name (or an attribute of one); None if unknown."""
        keywords = {a.keyword.value: a for a in node.args if a.keyword is not None}
        positional = [a for a in node.args if a.keyword is None and not a.star]
        arg = keywords.get("algorithm") or (positional[2] if len(positional) > 2 else None)
        if arg is None:
            if any(a.star for a in node.args):
                return None
            return cst.SimpleString(f'"{_DEFAULT_ALGORITHM}"')
        value = arg.value
        if isinstance(value, cst.SimpleString):
            return value if isinstance(value.evaluated_value, str) else None
        root = _root_name(value)
        if root is None:
            return None
        table = self.ctx.model.names
        if root not in table.imports and root not in table.defined:
            return None  # not a module-level name
        if any(_binds(frame[2], root) for frame in self._frames):
            return None  # a local of the encoding function
        return value

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


def _agreed(algorithms: list[cst.BaseExpression | None]) -> cst.BaseExpression | None:
    """The one algorithm every encode of the module uses (compared as code), or None."""
    if not algorithms or any(a is None for a in algorithms):
        return None
    keys = {_key(a) for a in algorithms}  # type: ignore[arg-type]
    return algorithms[0] if len(keys) == 1 else None


def _key(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.SimpleString):
        return "str:" + str(expr.evaluated_value)
    return "name:" + (dotted(expr) or "?")


def _root_name(expr: cst.BaseExpression) -> str | None:
    """`ALGORITHM` -> "ALGORITHM", `settings.jwt.algorithm` -> "settings"; None for other forms."""
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _binds(function: cst.FunctionDef, name: str) -> bool:
    """`function` (or a function nested in it) binds `name`: a parameter, an assignment, a loop
    or `with` target, an import, an `except ... as`, a walrus, a nested def or class."""
    stack: list[cst.CSTNode] = [function.params, function.body]
    while stack:
        item = stack.pop()
        targets: list[cst.CSTNode] = []
        if isinstance(item, cst.Param):
            targets.append(item.name)
        elif isinstance(item, cst.AssignTarget):
            targets.append(item.target)
        elif isinstance(item, (cst.AnnAssign, cst.AugAssign)):
            targets.append(item.target)
        elif isinstance(item, (cst.For, cst.CompFor)):
            targets.append(item.target)
        elif isinstance(item, cst.AsName):
            targets.append(item.name)
        elif isinstance(item, cst.NamedExpr):
            targets.append(item.target)
        elif isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            targets.append(item.name)
        elif isinstance(item, cst.ImportAlias) and item.asname is None:
            targets.append(cst.Name(dotted(item.name).split(".")[0]) if dotted(item.name) else item.name)
        for target in targets:
            names = [target] + [n for n in nodes_in_order(target) if isinstance(n, cst.Name)]
            if any(isinstance(n, cst.Name) and n.value == name for n in names):
                return True
        stack.extend(children(item))
    return False


def _is_false(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Name) and value.value == "False"


_TIMING = frozenset({"exp", "iat", "nbf"})


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = node.slice[0].slice.value
        if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
            return key.evaluated_value
    return None


def _token_text(call: cst.Call) -> str | None:
    """The token argument, as a dotted name (`token`, `request.token`)."""
    from fastlint.analysis.names import dotted

    first = next((a.value for a in call.args if a.keyword is None), None)
    return dotted(first) if isinstance(first, (cst.Name, cst.Attribute)) else None


def _assigned_and_timing_only(call: cst.Call, function: cst.FunctionDef) -> bool:
    """`claims = jwt.decode(...)` and every later use is `claims["exp"]` / `claims.get("iat")`."""
    target: str | None = None
    uses = timing = 0
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Assign) and item.value is call and len(item.targets) == 1 and isinstance(item.targets[0].target, cst.Name):
            target = item.targets[0].target.value
            stack.append(item.value)
            continue
        stack.extend(children(item))
    if target is None:
        return False
    stack = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Subscript) and isinstance(item.value, cst.Name) and item.value.value == target:
            uses += 1
            timing += _subscript_key(item) in _TIMING
            stack.extend(s for s in item.slice)
            continue
        if (
            isinstance(item, cst.Call)
            and isinstance(item.func, cst.Attribute)
            and isinstance(item.func.value, cst.Name)
            and item.func.value.value == target
        ):
            uses += 1
            if item.func.attr.value == "get" and item.args and isinstance(item.args[0].value, cst.SimpleString):
                timing += item.args[0].value.evaluated_value in _TIMING
            stack.extend(a.value for a in item.args)
            continue
        if isinstance(item, cst.Name) and item.value == target:
            uses += 1
            continue
        if isinstance(item, cst.AssignTarget):
            continue
        stack.extend(children(item))
    return uses > 0 and uses == timing


def _returned(call: cst.Call, function: cst.FunctionDef) -> bool:
    """The decoded claims leave the function: `return jwt.decode(...)`, or `claims = ...` and
    `return claims`."""
    names: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Assign) and item.value is call:
            names.update(t.target.value for t in item.targets if isinstance(t.target, cst.Name))
        if not isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            stack.extend(children(item))
    for value in returned_values(function):
        stack = [value]
        while stack:
            item = stack.pop()
            if item is call or (isinstance(item, cst.Name) and item.value in names):
                return True
            stack.extend(children(item))
    return False


#: words in the name of a call that checks a token elsewhere: the issuer's userinfo or
#: introspection endpoint, a verifying helper
_VETTING = ("verify", "validate", "userinfo", "introspect", "authenticate")


def _vetted_before(call: cst.Call, function: cst.FunctionDef) -> bool:
    """Before decoding it unverified, the function handed the same token (or a value built from
    it) to a call that checks it: `client.userinfo(token={"access_token": t})` and only then
    `jwt.decode(t, options={"verify_signature": False})` to read its claims."""
    from fastlint.analysis.names import dotted

    token = _token_text(call)
    if token is None:
        return False
    carriers = {token}

    def carries(expr: cst.CSTNode) -> bool:
        stack = [expr]
        while stack:
            item = stack.pop()
            if isinstance(item, (cst.Name, cst.Attribute)) and dotted(item) in carriers:
                return True
            stack.extend(children(item))
        return False

    for item in nodes_in_order(function.body):
        if item is call:
            return False
        if isinstance(item, cst.Assign) and carries(item.value):
            carriers.update(dotted(t.target) for t in item.targets if isinstance(t.target, (cst.Name, cst.Attribute)))
        elif isinstance(item, cst.Call):
            name = item.func.attr.value if isinstance(item.func, cst.Attribute) else item.func.value if isinstance(item.func, cst.Name) else ""
            if any(word in name.lower() for word in _VETTING) and any(carries(a.value) for a in item.args):
                return True
    return False
