from __future__ import annotations

import libcst as cst

from fastlint import sql
from fastlint.sql import SQL_SINK_TOKENS
from fastlint.rule import Rule


class CartesianJoin(Rule):
    """Raw SQL joins two tables with no join condition.

    ## Why is this bad?
    `FROM orders, customers` without a predicate linking them, or `JOIN customers` without `ON`
    or `USING`, pairs every row of one table with every row of the other: 10,000 orders and 10,000
    customers make 100 million rows. It is almost always a forgotten condition, and the query that
    was fast on a development database times out in production. An explicit `CROSS JOIN` says it
    is intended and is not reported; neither are tables a `WHERE` predicate connects (directly or
    through other tables), nor table functions correlated with another table
    (`jsonb_array_elements(u.tags)`).

    ## Example
    ```python
    from sqlalchemy import text

    REPORT = text("SELECT o.id, c.name FROM orders o, customers c WHERE o.total > 100")
    ```

    ## Use instead
    ```python
    from sqlalchemy import text

    REPORT = text(
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 100"
    )
    ```

    ## References
    - [PostgreSQL: joined tables](https://www.postgresql.org/docs/current/queries-table-expressions.html#QUERIES-JOIN)
    - [SQLAlchemy: cartesian product warnings ("from linting")](https://docs.sqlalchemy.org/en/20/changelog/migration_14.html#change-4737)
    """

    code = "FL208"
    name = "cartesian-join"
    message = "`{left}` and `{right}` are joined with no condition: every row pairs with every row"
    fix_hint = "Add the join condition (`JOIN b ON b.a_id = a.id`), or write `CROSS JOIN` if it is intended"
    requires = SQL_SINK_TOKENS

    def visit_Call(self, node: cst.Call) -> None:
        site = self.ctx.sql.site(node)
        if site is None:
            return
        for variant in site.variants:
            for statement in variant.statements:
                for left, right in sql.cartesian_joins(statement):
                    self.report(variant.sql.anchor, left=left, right=right)
                    return
