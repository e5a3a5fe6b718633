from __future__ import annotations

import libcst as cst

from fastlint import sql
from fastlint.rule import Rule


class SelectStar(Rule):
    """Raw SQL selects every column of a table with `SELECT *` or `SELECT t.*`.

    ## Why is this bad?
    `SELECT *` reads and ships every column, including large ones (JSON, text, blobs) the caller
    never uses; it defeats index-only scans; and the result's shape changes silently when a
    migration adds, drops or reorders columns, so code that unpacks rows by position or feeds them
    to a response model breaks or leaks new columns (a password hash added to `users` reaches the
    API).

    Not reported: `COUNT(*)`, `EXISTS (SELECT * ...)`, a `SELECT *` inside a subquery or CTE
    whose consumer chooses the columns, `SELECT *` over a subquery or CTE that already chose its
    columns, `LIMIT 0` probes of a table's columns, and migrations and tests (copying a table
    whole is their job).

    ## Example
    ```python
    from sqlalchemy import text


    def list_users(session):
        return session.execute(text("SELECT * FROM users WHERE active")).all()
    ```

    ## Use instead
    ```python
    from sqlalchemy import text


    def list_users(session):
        return session.execute(text("SELECT id, email, name FROM users WHERE active")).all()
    ```

    ## References
    - [PostgreSQL: index-only scans](https://www.postgresql.org/docs/current/indexes-index-only-scans.html)
    - [SQLAlchemy: textual SQL](https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text)
    """

    code = "FL201"
    name = "select-star"
    message = "`SELECT *` reads every column of `{table}`"
    fix_hint = "Select only the columns the caller needs"
    requires = ("*",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_support_code:
            return
        site = self.ctx.sql.site(node)
        if site is None:
            return
        for variant in site.variants:
            for statement in variant.statements:
                for _, table in sql.select_stars(statement):
                    self.report(variant.sql.anchor, table=table)
                    return
