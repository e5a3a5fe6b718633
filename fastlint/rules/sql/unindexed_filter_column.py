from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.chains import looks_like_query_chain, method_name
from fastlint.conditions import TRUE
from fastlint.rule import Lookup, Rule

_FILTERS = frozenset({"filter", "where", "having"})
_RANGE = (cst.Equal, cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


class UnindexedFilterColumn(Rule):
    """A query filters on a mapped column that leads no index.

    ## Why is this bad?
    Without an index whose first column is the filtered one, the database reads the whole table
    for every such query: fine with 1,000 rows, a sequential scan of millions later, and the query
    gets slower as the table grows. Foreign keys are not indexes (PostgreSQL does not create one
    for them).

    Add an index where the model is defined (`index=True`, `Index("ix_...", "col")` in
    `__table_args__`, or a composite index whose first column is this one) and create it with an
    Alembic migration. fastlint knows the indexes declared on the model (also in other modules and
    base classes: primary keys, `unique=True`, `index=True`, `Index`/`UniqueConstraint` in
    `__table_args__`, SQLModel `Field(index=True)`) and those created by Alembic's
    `op.create_index` for the model's table.

    Off by default: small lookup tables and low-cardinality columns are filtered without an index
    on purpose. Enable it with `extend-select = ["FL207"]`.

    ## Example
    ```python
    from sqlalchemy import String, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(320))


    def by_email(session, email: str):
        return session.scalars(select(User).where(User.email == email)).first()
    ```

    ## Use instead
    ```python
    from sqlalchemy import String, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(320), unique=True)


    def by_email(session, email: str):
        return session.scalars(select(User).where(User.email == email)).first()
    ```

    ## References
    - [PostgreSQL: indexes](https://www.postgresql.org/docs/current/indexes-intro.html)
    - [SQLAlchemy: indexes and constraints](https://docs.sqlalchemy.org/en/20/core/constraints.html#indexes)
    - [Alembic: create_index](https://alembic.sqlalchemy.org/en/latest/ops.html#alembic.operations.Operations.create_index)
    """

    code = "FL207"
    name = "unindexed-filter-column"
    message = "`{model}.{column}` is filtered on but leads no index (model at {where})"
    fix_hint = "Add `index=True` (or an `Index(...)` in `__table_args__`) and a migration that creates it"
    default_enabled = False
    requires = ("filter", "where")

    def visit_Call(self, node: cst.Call) -> None:
        name = method_name(node)
        if name not in _FILTERS and name != "filter_by":
            return
        receiver = node.func.value  # type: ignore[attr-defined]
        desc = self.ctx.model.describe(receiver)
        statement = queries.has_kind(desc, known.STATEMENTS)
        if desc is None and looks_like_query_chain(receiver):
            statement = TRUE
        if statement.is_false:
            return
        if name == "filter_by":
            for arg in node.args:
                if arg.keyword is not None:
                    self._report(arg, desc, Lookup("entity_name", (desc,)), arg.keyword.value, statement)
            return
        for arg in node.args:
            if arg.keyword is None:
                for owner, column, where in _compared_columns(arg.value):
                    self._report(where, self.ctx.model.describe(owner), self.ctx.snippet(owner), column, statement)

    def _report(self, node: cst.CSTNode, owner, model_text, column: str, statement) -> None:  # type: ignore[no-untyped-def]
        if owner is None:
            return
        when = statement & queries.is_column_of(owner, column) & ~queries.is_indexed_column_of(owner, column)
        self.report(node, when=when, model=model_text, column=column, where=Lookup("model_location", (owner,)))


def _compared_columns(expr: cst.BaseExpression) -> Iterator[tuple[cst.BaseExpression, str, cst.CSTNode]]:
    """(owner, column, node) for `Owner.column <op> value` comparisons (==, <, <=, >, >=),
    `Owner.column.in_(...)` / `.between(...)`, through `and_`/`or_`/`&`/`|`. Comparisons of two
    columns (join conditions) are left out."""
    if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
        target = expr.comparisons[0]
        if isinstance(target.operator, _RANGE):
            left, right = expr.left, target.comparator
            if _column(left) and not _column(right):
                yield left.value, left.attr.value, expr  # type: ignore[attr-defined]
            elif _column(right) and not _column(left):
                yield right.value, right.attr.value, expr  # type: ignore[attr-defined]
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if expr.func.attr.value in ("in_", "between") and _column(expr.func.value):
            yield expr.func.value.value, expr.func.value.attr.value, expr  # type: ignore[attr-defined]
        elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("and_", "or_"):
            for arg in expr.args:
                yield from _compared_columns(arg.value)
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("and_", "or_"):
        for arg in expr.args:
            yield from _compared_columns(arg.value)
    elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitAnd, cst.BitOr)):
        yield from _compared_columns(expr.left)
        yield from _compared_columns(expr.right)


def _column(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and isinstance(expr.value, (cst.Name, cst.Attribute))
