from __future__ import annotations

import libcst as cst

from fastlint import sql
from fastlint.sql import SQL_SINK_TOKENS
from fastlint.analysis import queries
from fastlint.conditions import any_of
from fastlint.rule import Rule

_SCHEMA_KEYWORDS = frozenset({"server_default", "server_onupdate", "default", "onupdate", "sqltext"})


class SqlStringBuilding(Rule):
    """SQL text built from a variable value with an f-string, `%`, `.format()` or `+`, then run.

    ## Why is this bad?
    A value pasted into SQL text is SQL injection waiting for its input: `' OR 1=1 --` in a
    name, and the query reads or deletes every row. Even when the value is trusted today, pasting
    it defeats the database's statement cache (every distinct value is a new statement to parse and
    plan) and breaks on quotes in the data.

    Pass values as bind parameters: `text("... WHERE id = :id")` with `{"id": user_id}`,
    `cursor.execute("... WHERE id = %s", (user_id,))`, asyncpg's `$1`. fastlint reports a value
    only where it lands in a value position (a comparison, a quoted literal, `VALUES`, `IN`,
    `LIMIT`); table and column names cannot be bound and are not reported (quote them with the
    dialect's identifier quoting). Not reported either: constant-only concatenation (also with
    constants imported from other modules), `int(...)` casts, the placeholder-building idiom
    `", ".join(["%s"] * len(ids))`, numbers forced by the format (`%d`, `{n:d}`), by a parameter
    annotated `int` or by a function annotated `-> int`, properties and functions that return only
    literals (`db.timestamp_now`), identifier quoting helpers, `server_default=text(...)` column
    defaults, tests, migrations and examples. `SET`, `PRAGMA` and DDL statements cannot take bind
    parameters: there only a value taken straight from a function parameter is reported. A variable
    assigned in several branches is checked in each.

    ## Example
    ```python
    from sqlalchemy import text


    def find_user(session, email: str):
        return session.execute(text(f"SELECT id FROM users WHERE email = '{email}'")).first()
    ```

    ## Use instead
    ```python
    from sqlalchemy import text


    def find_user(session, email: str):
        return session.execute(text("SELECT id FROM users WHERE email = :email"), {"email": email}).first()
    ```

    ## References
    - [OWASP: SQL injection prevention cheat sheet](https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html)
    - [CWE-89: SQL injection](https://cwe.mitre.org/data/definitions/89.html)
    - [SQLAlchemy: textual SQL with bound parameters](https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text)
    """

    code = "FL203"
    name = "sql-string-building"
    message = "SQL built with {how} from `{value}`, which lands in a value position"
    fix_hint = "Pass the value as a bind parameter (`:name` with a params dict, `%s`/`?` with a tuple)"
    requires = SQL_SINK_TOKENS

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._seen: set[int] = set()
        self._schema_defaults: set[int] = set()

    def visit_Arg(self, node: cst.Arg) -> None:
        # `server_default=text(f"'{DEFAULT}'")`: a column default in the schema, not a query
        if node.keyword is not None and node.keyword.value in _SCHEMA_KEYWORDS and isinstance(node.value, cst.Call):
            self._schema_defaults.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_support_code or id(node) in self._schema_defaults:
            return
        site = self.ctx.sql.site(node)
        if site is None:
            return
        for variant in site.variants:
            self._check(variant)

    def _check(self, variant: sql.Variant) -> None:
        text = variant.sql
        if text.how is None or not variant.statements or id(text.anchor) in self._seen:
            return
        roles = sql.placeholder_roles(variant.statements)
        # In SET/PRAGMA/DDL nothing can be bound: only a value straight from a parameter (which may
        # come from a request) is reported there; settings and computed values are the norm.
        variable = [
            p for p in text.pieces
            if not (p.constant or p.safe) and (roles.get(p.name) == "value" or (roles.get(p.name) == "nobind" and p.param))
        ]
        if not variable:
            return
        self._seen.add(id(text.anchor))
        # Constants and numbers defined in other modules or behind properties: the index decides.
        when = any_of([~queries.is_constant_value(self.ctx.model.describe(p.node)) for p in variable])
        first = next((p for p in variable if p.ref is None), variable[0])
        self.report(text.anchor, when=when, how=text.how, value=self.ctx.snippet(first.node))
