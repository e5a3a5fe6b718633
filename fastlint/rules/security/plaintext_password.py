from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.conditions import TRUE, Cond
from fastlint.rule import Rule

_PLAIN = frozenset({"password", "passwd", "pwd", "userpassword", "plainpassword", "newpassword", "currentpassword"})
_HASHED = frozenset({"hashedpassword", "passwordhash", "passwordhashed", "pwdhash", "hashedpwd", "passwdhash"})


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _last(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


class PlaintextPassword(Rule):
    """A password is compared with `==` against a stored value, or stored as it came in.

    ## Why is this bad?
    Passwords must be stored as slow salted hashes (bcrypt, argon2, scrypt) and checked with
    the hasher's `verify`. `user.password == form.password` means the database holds the
    password in clear (one leak exposes every account, and the reused passwords elsewhere);
    `user.hashed_password == hash(password)` with `==` leaks the hash byte by byte through
    timing; `User(password=body.password)` writes the clear text to the database.

    Hash on the way in (`pwd_context.hash(body.password)`, `bcrypt.hashpw(...)`) and verify on the
    way out (`pwd_context.verify(password, user.hashed_password)`); compare other secrets with
    `hmac.compare_digest`. Reported: `==`/`!=` where one side is a password hash attribute, or a
    password column of a mapped model (in Python, not a SQL `where`); a mapped model created or
    updated, in a route or dependency, with a password column taken straight from one of its
    parameters (`User(password=body.password)`). Not reported: comparing two request values
    (`password == confirm_password`), helpers whose `password` parameter may already be a hash,
    tests.

    ## Example
    ```python
    def authenticate(db, email: str, password: str):
        user = db.query(User).filter(User.email == email).first()
        if user is None or user.hashed_password != password:
            return None
        return user
    ```

    ## Use instead
    ```python
    from passlib.context import CryptContext

    pwd_context = CryptContext(schemes=["bcrypt"])


    def authenticate(db, email: str, password: str):
        user = db.query(User).filter(User.email == email).first()
        if user is None or not pwd_context.verify(password, user.hashed_password):
            return None
        return user
    ```

    ## References
    - [CWE-256: plaintext storage of a password](https://cwe.mitre.org/data/definitions/256.html)
    - [CWE-208: observable timing discrepancy](https://cwe.mitre.org/data/definitions/208.html)
    - [OWASP: password storage cheat sheet](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html)
    """

    code = "FL408"
    name = "plaintext-password"
    message = "{what}"
    fix_hint = "{fix}"
    requires = ("password", "passwd", "pwd")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.ctx.is_test or len(node.comparisons) != 1:
            return
        if not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        sides = (node.left, node.comparisons[0].comparator)
        if any(isinstance(s, (cst.SimpleString, cst.Integer)) or (isinstance(s, cst.Name) and s.value == "None") for s in sides):
            return  # `password == ""`, `hash is None`-like checks
        when: list[Cond] = []
        for side, other in (sides, sides[::-1]):
            name = _last(side)
            if name is None or _last(other) is None:
                continue
            if _norm(name) in _HASHED:
                owner = self.ctx.model.describe(side.value) if isinstance(side, cst.Attribute) else None
                if owner is not None and owner[0] == "ref":
                    return  # a SQL expression on the column
                when.append(TRUE)
            elif _norm(name) in _PLAIN and isinstance(side, cst.Attribute):
                owner = self.ctx.model.describe(side.value)
                if owner is not None and owner[0] == "ref":
                    return  # `Auth.password == x`: a SQL expression on the column, not a Python check
                when.append(queries.is_column_of(owner, side.attr.value))
        if not when:
            return
        cond = when[0]
        for extra in when[1:]:
            cond = cond | extra
        self.report(
            node,
            when=cond,
            what="A password is compared with `==`: the stored value is clear text, or its hash leaks through timing",
            fix="Verify with the hasher (`pwd_context.verify(password, user.hashed_password)`); `hmac.compare_digest` for other secrets",
        )

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return
        model = self.ctx.model
        function = model.function
        if function is None:
            return
        params = {p[0] for p in function.facts["params"]}
        for arg in node.args:
            if arg.keyword is None or _norm(arg.keyword.value) not in _PLAIN | _HASHED:
                continue
            value = arg.value
            if not isinstance(value, (cst.Name, cst.Attribute)) or _norm(_last(value) or "") not in _PLAIN:
                continue  # a call (`hash(...)`), or a value not named as a clear password
            root = value
            while isinstance(root, cst.Attribute):
                root = root.value
            if not (isinstance(root, cst.Name) and root.value in params):
                continue
            # straight from the request: a parameter of a route or dependency (`body.password`);
            # a helper's `password` parameter is often the hash its caller computed
            self.report(
                arg,
                when=queries.is_column_of(["call", model.callee(node)], arg.keyword.value)
                & queries.is_entry_point(function.qualname),
                what=f"`{arg.keyword.value}` is stored as it came in, without hashing",
                fix="Store a hash: `pwd_context.hash(password)` / `bcrypt.hashpw(...)`",
            )
