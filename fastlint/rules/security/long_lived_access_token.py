from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from fastlint.analysis.chains import calls_in, children
from fastlint.analysis.model import ModuleModel, ref_of
from fastlint.rule import Rule

_TIMEDELTA = frozenset({"datetime.timedelta"})
_MINUTES_PER = {"weeks": 10080.0, "days": 1440.0, "hours": 60.0, "minutes": 1.0, "seconds": 1 / 60, "milliseconds": 1 / 60000}
_ENV = frozenset({"os.getenv", "os.environ.get"})
_FIELDS = frozenset({"pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field"})
_STRATEGIES = {"fastapi_users.authentication.JWTStrategy": "lifetime_seconds", "fastapi_users.authentication.strategy.JWTStrategy": "lifetime_seconds"}


@dataclass(frozen=True)
class Options:
    #: the longest access-token lifetime, in minutes, that is not reported
    max_minutes: int = 60


class LongLivedAccessToken(Rule):
    """An access token lives longer than `max-minutes` (default 60).

    ## Why is this bad?
    An access token is a bearer credential: whoever holds it is the user until it expires, and a
    stateless JWT cannot be revoked. A token that lives for days turns every leak (a log line, a
    browser extension, a proxy, a copied curl command) into days of access, and logging out or
    changing the password does not end it.

    Keep access tokens short (5 to 60 minutes) and let a refresh token, stored server-side where
    it can be revoked and rotated, issue new ones. Reported: settings whose name says they are an
    access token's lifetime (`ACCESS_TOKEN_EXPIRE_MINUTES`, `access_token_expire_minutes`,
    `ACCESS_TOKEN_LIFETIME`, also as pydantic-settings fields), with the unit taken from the name
    (`_SECONDS`, `_MINUTES`, `_HOURS`, `_DAYS`) and constant arithmetic, `timedelta(...)`,
    `Field(default=...)` and the literal default of an environment lookup folded; `timedelta(...)`
    inside a function that makes access tokens; `expires_delta=` given to one; fastapi-users'
    `JWTStrategy(lifetime_seconds=...)`. Refresh tokens are exempt (by name or by the function
    that makes them), so are API keys minted with the same helper (`expires_delta=API_KEY_LIFETIME`),
    and so is a token the function saves server-side (`db.save_auth_token(token=token)`), where it
    can be revoked; a value read from the environment without a literal default is not reported.

    ## Example
    ```python
    ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 8
    ```

    ## Use instead
    ```python
    ACCESS_TOKEN_EXPIRE_MINUTES = 15
    REFRESH_TOKEN_EXPIRE_DAYS = 14
    ```

    ## Options
    - `max-minutes` (integer, default 60): the longest access-token lifetime that is not reported.

    ## References
    - [CWE-613: insufficient session expiration](https://cwe.mitre.org/data/definitions/613.html)
    - [OWASP: JSON Web Token cheat sheet (token lifetime)](https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html)
    - [RFC 9700: OAuth 2.0 security best current practice](https://datatracker.ietf.org/doc/html/rfc9700)
    """

    code = "FL402"
    name = "long-lived-access-token"
    message = "Access tokens live {lifetime}: a leaked one stays valid that long"
    fix_hint = "Keep access tokens at most {limit} minutes and issue new ones with a revocable refresh token"
    Options = Options
    requires = ("access", "token", "jwt")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._setting(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._setting(node.target, node.value)

    def _setting(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """`ACCESS_TOKEN_EXPIRE_MINUTES = ...` (a module constant or a settings field), or
        `config.token_expire_hours = ...` / `self.access_token_ttl = ...` anywhere."""
        if self.ctx.is_test:
            return
        if isinstance(target, cst.Name) and self.ctx.model.function is None:
            name = target.value
        elif isinstance(target, cst.Attribute):
            name = target.attr.value
        else:
            return
        where = value
        unit = _access_lifetime_unit(name)
        if unit is None:
            return
        minutes = minutes_of(self.ctx.model, value, unit)
        self._check(where, minutes)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        model = self.ctx.model
        target = ref_of(model.callee(node))
        if target in _STRATEGIES:
            arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == _STRATEGIES[target]), None)
            if arg is not None:
                self._check(arg, minutes_of(model, arg.value, 1 / 60))
            return
        callee = node.func.value if isinstance(node.func, cst.Name) else node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        if _makes_access_tokens(callee):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value in ("expires_delta", "expires_time", "expires"):
                    if isinstance(arg.value, cst.Name) and "api_key" in arg.value.value.lower().replace("apikey", "api_key"):
                        continue  # `expires_delta=API_KEY_LIFETIME`: an API key minted by the same helper
                    if model.function is not None and _stored_server_side(model.function.node, node):
                        continue  # the token is saved where it can be revoked: an API key, not a bearer JWT
                    self._check(arg, minutes_of(model, arg.value, None))
            return
        function = model.function
        if target in _TIMEDELTA and function is not None and _makes_access_tokens(function.qualname.rsplit(".", 1)[-1]):
            self._check(node, minutes_of(model, node, None))

    def _check(self, where: cst.CSTNode, minutes: float | None) -> None:
        if minutes is None or minutes <= self.options.max_minutes:
            return
        self.report(where, lifetime=_human(minutes), limit=self.options.max_minutes)


_LIFETIME_WORDS = ("expire", "expiry", "expiration", "lifetime", "ttl", "max_age")
_UNITS = ("seconds", "secs", "sec", "s", "minutes", "mins", "min", "m", "hours", "hrs", "hr", "h", "days", "d")
_PLAIN_TOKEN_WORDS = frozenset(
    {"token", "tokens", "jwt", "auth", "bearer", "default", "expire", "expires", "expiry", "expiration", "lifetime", "ttl", "delta", "time", "in", *_UNITS}
)


def _access_lifetime_unit(name: str) -> float | None:
    """Minutes per unit of a setting named like an access token's lifetime, else None."""
    lowered = name.lower()
    if "refresh" in lowered or not any(word in lowered for word in _LIFETIME_WORDS):
        return None
    if "access" not in lowered:
        # `TOKEN_EXPIRE_HOURS`, `JWT_EXPIRATION_MINUTES`, `auth_token_ttl`: the app's one token,
        # named for nothing else (not `reset_token_...`, `invite_token_...`, `session_...`)
        words = [w for w in lowered.replace("-", "_").split("_") if w]
        if not any(w in ("token", "jwt") for w in words) or any(w not in _PLAIN_TOKEN_WORDS for w in words):
            return None
    for suffix, per in (("seconds", 1 / 60), ("secs", 1 / 60), ("sec", 1 / 60), ("minutes", 1.0), ("mins", 1.0), ("min", 1.0), ("hours", 60.0), ("hrs", 60.0), ("days", 1440.0)):
        if lowered.endswith(suffix) or lowered.endswith("_" + suffix + "s"):
            return per
    if lowered.endswith(("lifetime", "ttl", "max_age", "expire", "expires", "expiry", "expiration")):
        return 1 / 60  # no unit in the name: seconds (fastapi-users, most JWT libraries)
    return None


_STORE_VERBS = ("create", "save", "store", "insert", "add", "persist", "register")


def _stored_server_side(function: cst.CSTNode, call: cst.Call) -> bool:
    """`token = create_access_token(...)` then `db.save_auth_token(token=token)`: the token is
    kept server-side (a revocable API key), which a bearer access token's lifetime is not about."""
    if not isinstance(function, cst.FunctionDef):
        return False
    names = {
        target.target.value
        for statement in _assignments(function)
        if statement.value is call
        for target in statement.targets
        if isinstance(target.target, cst.Name)
    }
    if not names:
        return False
    for other in calls_in(function):
        if other is call:
            continue
        callee = other.func.attr.value if isinstance(other.func, cst.Attribute) else other.func.value if isinstance(other.func, cst.Name) else ""
        lowered = callee.lower()
        if not lowered.startswith(_STORE_VERBS) or not any(word in lowered for word in ("token", "key", "credential")):
            continue
        if any(isinstance(a.value, cst.Name) and a.value.value in names for a in other.args):
            return True
    return False


def _assignments(function: cst.FunctionDef) -> list[cst.Assign]:
    """The function's assignments (nested scopes included)."""
    out: list[cst.Assign] = []
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Assign):
            out.append(item)
        elif not isinstance(item, cst.BaseExpression):
            stack.extend(children(item))
    return out


def _makes_access_tokens(name: str) -> bool:
    lowered = name.lower()
    return "access" in lowered and "token" in lowered and "refresh" not in lowered and not lowered.startswith(("verify", "decode", "validate", "read"))


def minutes_of(model: ModuleModel, expr: cst.BaseExpression, unit: float | None, depth: int = 0) -> float | None:
    """The lifetime `expr` denotes, in minutes: a `timedelta(...)`, or a number in `unit`
    (minutes per unit; None when a bare number has no known unit)."""
    if depth > 5:
        return None
    if isinstance(expr, cst.Call):
        target = ref_of(model.describe(expr.func))
        if target in _TIMEDELTA:
            total = 0.0
            positional = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
            for i, arg in enumerate(expr.args):
                key = arg.keyword.value if arg.keyword is not None else positional[i] if i < len(positional) else None
                number = _number(model, arg.value, depth + 1)
                if key is None or number is None:
                    return None
                total += number * _MINUTES_PER.get(key, 0.0)
            return total
        if target in _FIELDS:
            default = next((a.value for a in expr.args if a.keyword is None or a.keyword.value == "default"), None)
            return minutes_of(model, default, unit, depth + 1) if default is not None else None
    if isinstance(expr, cst.Name):
        values = [v for v in model.values_of(expr.value) if isinstance(v, cst.BaseExpression)]
        if len(values) == 1:
            return minutes_of(model, values[0], unit, depth + 1)
    number = _number(model, expr, depth + 1)
    if number is None or unit is None:
        return None
    return number * unit


def _number(model: ModuleModel, expr: cst.BaseExpression, depth: int) -> float | None:
    """Constant arithmetic: literals, `60 * 24 * 8`, names bound to constants, `int("30")`,
    `int(os.getenv("X", "30"))` (the literal default)."""
    if depth > 8:
        return None
    if isinstance(expr, (cst.Integer, cst.Float)):
        try:
            return float(expr.value.replace("_", ""))
        except ValueError:
            return None
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        try:
            return float(text) if isinstance(text, str) else None
        except ValueError:
            return None
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _number(model, expr.expression, depth + 1)
        return None if inner is None else -inner
    if isinstance(expr, cst.BinaryOperation):
        left, right = _number(model, expr.left, depth + 1), _number(model, expr.right, depth + 1)
        if left is None or right is None:
            return None
        op = expr.operator
        if isinstance(op, cst.Multiply):
            return left * right
        if isinstance(op, cst.Add):
            return left + right
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, (cst.Divide, cst.FloorDivide)) and right:
            return left / right
        return None
    if isinstance(expr, cst.Name):
        values = [v for v in model.values_of(expr.value) if isinstance(v, cst.BaseExpression)]
        return _number(model, values[0], depth + 1) if len(values) == 1 else None
    if isinstance(expr, cst.Call):
        target = ref_of(model.describe(expr.func))
        if target in ("builtins.int", "builtins.float") and len(expr.args) == 1:
            return _number(model, expr.args[0].value, depth + 1)
        if target in _ENV and len(expr.args) >= 2:
            return _number(model, expr.args[1].value, depth + 1)
        default = _env_default(expr)
        if default is not None:
            return _number(model, default, depth + 1)
    return None


def _env_default(call: cst.Call) -> cst.BaseExpression | None:
    """The default of an environment reader other than `os.getenv`: its first argument names a
    variable (`"TOKEN_EXPIRE_HOURS"`) and the default comes second or as `default=`:
    `get_env_value("TOKEN_EXPIRE_HOURS", 48, float)`, starlette's / decouple's
    `config("ACCESS_TOKEN_EXPIRE_MINUTES", cast=int, default=60)`, `env.int("TTL", 30)`."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if not positional or not isinstance(positional[0].value, cst.SimpleString):
        return None
    variable = positional[0].value.evaluated_value
    if not isinstance(variable, str) or not variable.isupper() or not variable.replace("_", "").isalnum():
        return None
    keyword = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "default"), None)
    if keyword is not None:
        return keyword
    return positional[1].value if len(positional) > 1 else None


def _human(minutes: float) -> str:
    if minutes >= 2880:
        return f"{minutes / 1440:g} days"
    if minutes >= 120:
        return f"{minutes / 60:g} hours"
    return f"{minutes:g} minutes"
