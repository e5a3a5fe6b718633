from __future__ import annotations

import libcst as cst

from fastlint import sql
from fastlint.analysis import known, queries
from fastlint.analysis.chains import chain_calls, method_name
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule

_SINGLE_ROW = frozenset({"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none"})


def _is_one(call: cst.Call) -> bool:
    return len(call.args) == 1 and isinstance(call.args[0].value, cst.Integer) and call.args[0].value.value == "1"


class OffsetPagination(Rule):
    """Pagination with `OFFSET`: raw SQL, or `.offset(...)` on a SQLAlchemy query or `select()`.

    ## Why is this bad?
    To return page 5,000 the database still reads and discards the 100,000 rows before it, so
    deep pages get slower in proportion to their depth, and a crawler walking the pages loads the
    database quadratically. Rows inserted or deleted between two requests shift the window: users
    see duplicates or miss items.

    Paginate by key instead (keyset, or "cursor", pagination): remember the last row's sort key
    and ask for the rows after it, `WHERE id > :last_id ORDER BY id LIMIT :size`, which an index
    answers in the same time for every page. Not reported: a fixed literal offset (`OFFSET 1`),
    reading the n-th row (`.offset(n).first()`, `.offset(n).limit(1)`), migrations and tests.

    ## Example
    ```python
    from sqlalchemy import select


    def page(session, skip: int, limit: int):
        return session.scalars(select(Item).order_by(Item.id).offset(skip).limit(limit)).all()
    ```

    ## Use instead
    ```python
    from sqlalchemy import select


    def page(session, after_id: int, limit: int):
        stmt = select(Item).where(Item.id > after_id).order_by(Item.id).limit(limit)
        return session.scalars(stmt).all()
    ```

    ## References
    - [Use The Index, Luke: paging through results](https://use-the-index-luke.com/no-offset)
    - [PostgreSQL: LIMIT and OFFSET](https://www.postgresql.org/docs/current/queries-limit.html)
    - [SQLAlchemy: Select.offset](https://docs.sqlalchemy.org/en/20/core/selectable.html#sqlalchemy.sql.expression.Select.offset)
    """

    code = "FL202"
    name = "offset-pagination"
    message = "{what} pages by offset: deep pages scan and discard every row before them"
    fix_hint = "Paginate by key (keyset/cursor): `WHERE id > :last_id ORDER BY id LIMIT :size`"
    requires = ("offset", "OFFSET", "LIMIT", "limit")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._single_row: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test or self.ctx.is_migration:
            return
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else None
        if name in _SINGLE_ROW or (name == "limit" and _is_one(node)):
            # `.offset(n).first()` / `.offset(n).limit(1)`: the n-th row, not a page
            self._single_row.update(id(c) for c in chain_calls(node))
        if name == "offset":
            if len(node.args) == 1 and self._fixed(node.args[0].value):
                return  # a fixed skip, not pagination
            if id(node) in self._single_row or any(method_name(c) == "limit" and _is_one(c) for c in chain_calls(node)):
                return
            statement = queries.has_kind(self.ctx.model.describe(func.value), known.STATEMENTS)
            if not statement.is_false and len(node.args) == 1:
                ref = ref_of(self.ctx.model.describe(node.args[0].value))
                if ref is not None:  # `.offset(SKIP_HEADER)` with a constant from another module
                    statement = statement & ~queries.is_constant(ref)
            if not statement.is_false:
                self.report(node, when=statement, what="`.offset(...)`")
            return
        site = self.ctx.sql.site(node)
        if site is None:
            return
        for variant in site.variants:
            if any(sql.offsets(s) for s in variant.statements):
                self.report(variant.sql.anchor, what="`OFFSET` in this query")
                return

    def _fixed(self, value: cst.BaseExpression) -> bool:
        """An integer literal, or a name bound to one in this module (`SKIP_HEADER = 1`)."""
        if isinstance(value, cst.Integer):
            return True
        if isinstance(value, cst.Name):
            bound = self.ctx.model.values_of(value.value)
            return bool(bound) and all(isinstance(v, cst.Integer) for v in bound)
        return False
