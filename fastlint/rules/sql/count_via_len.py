from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.chains import chain_calls, is_write_statement, looks_like_query_chain, method_name
from fastlint.conditions import TRUE
from fastlint.rule import Rule

_FETCH_ALL = frozenset({"all", "fetchall"})


class CountViaLen(Rule):
    """Rows counted with `len(query.all())` instead of a `COUNT` in the database.

    ## Why is this bad?
    To answer "how many", the code loads every matching row over the network, builds an ORM object
    for each (identity map, attribute state) and throws them away. The cost grows with the table;
    `SELECT count(*)` returns one integer, often from an index.

    ## Example
    ```python
    from sqlalchemy import select


    def active_users(session):
        return len(session.scalars(select(User).where(User.active)).all())
    ```

    ## Use instead
    ```python
    from sqlalchemy import func, select


    def active_users(session):
        return session.scalar(select(func.count()).select_from(User).where(User.active))
    ```

    ## References
    - [SQLAlchemy: counting rows with select(func.count())](https://docs.sqlalchemy.org/en/20/orm/queryguide/select.html)
    - [SQLAlchemy: Query.count](https://docs.sqlalchemy.org/en/20/orm/queryguide/query.html#sqlalchemy.orm.Query.count)
    """

    code = "FL210"
    name = "count-via-len"
    message = "`len(...)` of `{call}` loads every row just to count them"
    fix_hint = "Count in the database: `session.scalar(select(func.count()).select_from(...))` or `query.count()`"
    requires = ("len(",)

    def visit_Call(self, node: cst.Call) -> None:
        if not (isinstance(node.func, cst.Name) and node.func.value == "len" and len(node.args) == 1):
            return
        if self.ctx.model.qualname(node.func) != "builtins.len":
            return
        inner = node.args[0].value
        if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and inner.func.attr.value in _FETCH_ALL):
            return
        calls = list(chain_calls(inner.func.value))
        if any(method_name(c) in ("limit", "slice") for c in calls):
            return  # `len(q.limit(2).all())`: "is there more than one?", at most 2 rows
        if any(is_write_statement(a.value, self.ctx.model.values_of) for c in calls for a in c.args):
            return  # counting the rows an INSERT/UPDATE/DELETE ... RETURNING touched
        receiver = self.ctx.model.describe(inner.func.value)
        rows = queries.has_kind(receiver, {known.QUERY, known.RESULT, known.SCALAR_RESULT, known.CURSOR})
        if receiver is None and looks_like_query_chain(inner.func.value):
            rows = TRUE  # an untyped session: SQLAlchemy's API shape is the evidence
        if not rows.is_false:
            self.report(node, when=rows, call=self.ctx.snippet(inner, limit=50))
