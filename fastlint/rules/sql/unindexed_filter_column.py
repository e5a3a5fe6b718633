from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.chains import chain_calls, chain_root, looks_like_query_chain, method_name, unwrap_col
from fastlint.conditions import TRUE, all_of, any_of
from fastlint.rule import Lookup, Rule

_FILTERS = frozenset({"filter", "where", "having"})
_RANGE = (cst.Equal, cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


@dataclass(frozen=True)
class Options:
    #: report every filtered column without an index, not only foreign keys
    all_columns: bool = False


class UnindexedFilterColumn(Rule):
    """A query filters on a foreign-key column that leads no index.

    ## Why is this bad?
    Without an index whose first column is one of the filtered ones, the database reads the whole table
    for every such query: fine with 1,000 rows, a sequential scan of millions later, and the query
    gets slower as the table grows. Foreign keys are not indexes (PostgreSQL does not create one
    for them).

    A statement is reported once, when no column it filters (with the same model, combined with
    AND) leads an index: `where(Order.user_id == u, Order.status == s)` uses an index on `user_id`
    and is fine without one on `status`.

    Add an index where the model is defined (`index=True`, `Index("ix_...", "col")` in
    `__table_args__`, or a composite index whose first column is this one) and create it with an
    Alembic migration. fastlint knows the indexes declared on the model (also in other modules and
    base classes: primary keys, `unique=True`, `index=True`, `Index`/`UniqueConstraint` in
    `__table_args__`, SQLModel `Field(index=True)`) and those created by Alembic's
    `op.create_index` and `op.create_table` for the model's table.

    By default only foreign-key columns are reported (`Order.user_id == ...`): a lookup by the
    parent is what the schema was designed for, and the index behind it is the one most often
    forgotten. Other columns are often filtered without an index on purpose (small tables,
    indexes created outside the models); `all-columns = true` reports them too. Off by default:
    enable it with `extend-select = ["FL207"]`. Not seen: indexes created by raw SQL, by helper
    functions or in a `declared_attr` `__table_args__`; MySQL indexes every foreign key itself.

    ## Example
    ```python
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


    def orders_of(session, user_id: int):
        return session.scalars(select(Order).where(Order.user_id == user_id).limit(50)).all()
    ```

    ## Use instead
    ```python
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


    def orders_of(session, user_id: int):
        return session.scalars(select(Order).where(Order.user_id == user_id).limit(50)).all()
    ```

    ## Options
    - `all-columns` (boolean, default false): report any filtered column that leads no index, not
      only foreign keys.

    ## References
    - [PostgreSQL: indexes](https://www.postgresql.org/docs/current/indexes-intro.html)
    - [SQLAlchemy: indexes and constraints](https://docs.sqlalchemy.org/en/20/core/constraints.html#indexes)
    - [Alembic: create_index](https://alembic.sqlalchemy.org/en/latest/ops.html#alembic.operations.Operations.create_index)
    """

    code = "FL207"
    name = "unindexed-filter-column"
    message = "`{model}` is filtered on `{column}`, but no index leads with a filtered column (model at {where})"
    fix_hint = "Add `index=True` (or an `Index(...)` in `__table_args__`) and a migration that creates it"
    default_enabled = False
    Options = Options
    requires = ("filter", "where")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._done: set[int] = set()
        #: statements seen, decided at the end of the module: a later `q = q.where(...)` extends one
        self._records: list[_Record] = []
        self._by_call: dict[int, _Record] = {}

    def visit_Call(self, node: cst.Call) -> None:
        """Each statement once, at its outermost filter: a column filtered together with one
        that leads an index (the same model, ANDed) does not make the query scan the table."""
        name = method_name(node)
        if (name not in _FILTERS and name != "filter_by") or id(node) in self._done:
            return
        chain = list(chain_calls(node))
        calls = [c for c in chain if method_name(c) in _FILTERS or method_name(c) == "filter_by"]
        self._done.update(id(c) for c in calls)
        receiver = calls[-1].func.value  # type: ignore[attr-defined]
        desc = self.ctx.model.describe(receiver)
        statement = queries.has_kind(desc, known.STATEMENTS)
        if desc is None and looks_like_query_chain(receiver):
            statement = TRUE
        if statement.is_false:
            return
        if any(_opaque_filter(a) for c in calls if method_name(c) != "filter_by" for a in c.args):
            return  # `.where(*conditions)`, `.where(for_key(k))`: filters this file cannot see
        entries: list[_Entry] = []
        # `.join(Target, Base.fk == Target.pk)`: the joined model is looked up by its key
        bindings = [v for v in self.ctx.model.values_of(chain_root(node).value) if isinstance(v, cst.BaseExpression)] if isinstance(chain_root(node), cst.Name) else []
        for call in [*chain, *(c for b in bindings for c in chain_calls(b))]:
            if method_name(call) in ("join", "outerjoin", "join_from"):
                for arg in call.args[1:]:
                    for owner_node, column, where, _, _ in _compared_columns(arg.value):
                        entries.append(_Entry(_key(owner_node), self.ctx.model.describe(owner_node), column, where, False, True))
        for call in reversed(calls):  # source order: the innermost call is written first
            if method_name(call) == "filter_by":
                owner = self.ctx.model.describe(call.func.value)  # type: ignore[attr-defined]
                entries += [_Entry("\0statement", owner, a.keyword.value, a, False, _low_cardinality(a.value)) for a in call.args if a.keyword is not None]
            else:
                for arg in call.args:
                    if arg.keyword is None:
                        for owner_node, column, where, in_or, pair in _compared_columns(arg.value):
                            entries.append(_Entry(_key(owner_node), self.ctx.model.describe(owner_node), column, where, in_or, pair))
        record = _Record(statement, entries)
        root = chain_root(node)
        built_here = any(method_name(c) in ("query", "select_from") or _last_name(c.func) in ("select", "update", "delete") for c in chain)
        if not built_here and isinstance(root, cst.Name) and not self.ctx.model.values_of(root.value):
            desc_root = self.ctx.model.resolve_name(root.value)
            if desc_root is not None and desc_root[0] == "param":
                # `def narrow(stmt): return stmt.where(...)`: the caller built the statement and
                # may already filter it on an indexed column
                return
        # `q = select(M).where(M.user_id == u)` ... `q = q.where(M.status == s)`: one statement
        if isinstance(root, cst.Name):
            for bound in self.ctx.model.values_of(root.value):
                if not isinstance(bound, cst.BaseExpression):
                    continue
                for call in chain_calls(bound):
                    earlier = self._by_call.get(id(call))
                    if earlier is not None and earlier is not record:
                        earlier.extended = True
                        record.inherited.append(earlier)
                        break
        for call in chain:
            self._by_call[id(call)] = record
        self._records.append(record)

    def leave_Module(self, node: cst.Module) -> None:
        for record in self._records:
            if not record.extended:
                self._decide(record)

    def _decide(self, record: _Record) -> None:
        entries = record.all_entries()
        by_owner: dict[str, list[_Entry]] = {}
        for entry in entries:
            by_owner.setdefault(entry.key, []).append(entry)
        statement_level = by_owner.get("\0statement", [])
        for key, entries in by_owner.items():
            owner = entries[0].owner
            if owner is None:
                continue
            # An AND-ed column that leads an index narrows the scan for the whole statement; a
            # column inside an OR covers only its branch, unless every branch is covered. A
            # comparison of two attributes may be a join condition or a value
            # (`Order.user_id == user.id`), a flag (`== True`) rarely deserves an index: both
            # can cover, neither is reported. `filter_by(...)` columns belong to the statement's
            # entity, which the file cannot always tell from `Model.col` filters: each covers both.
            others = [e for k, es in by_owner.items() if k != key for e in es] if key == "\0statement" else statement_level
            covered = any_of(
                [queries.is_indexed_column_of(e.owner, e.column) for e in (*entries, *others) if not e.in_or and e.owner is not None]
                + [
                    all_of([queries.is_indexed_column_of(e.owner, e.column) for e in group])
                    for group in _or_groups(entries)
                ]
            )
            reportable = [e for e in entries if not e.pair]
            if not reportable:
                continue
            missing = any_of(
                [
                    queries.is_column_of(owner, e.column)
                    & ~queries.is_indexed_column_of(owner, e.column)
                    & (TRUE if self.options.all_columns else queries.is_foreign_key_of(owner, e.column))
                    for e in reportable
                ]
            )
            model: object = Lookup("entity_name", (owner,))
            columns = ", ".join(dict.fromkeys(e.column for e in reportable))
            self.report(reportable[0].where, when=record.statement & ~covered & missing, model=model, column=columns, where=Lookup("model_location", (owner,)))


class _Entry:
    __slots__ = ("key", "owner", "column", "where", "in_or", "pair")

    def __init__(self, key: str, owner: object, column: str, where: cst.CSTNode, in_or: bool, pair: bool) -> None:
        self.key, self.owner, self.column, self.where, self.in_or, self.pair = key, owner, column, where, in_or, pair


class _Record:
    __slots__ = ("statement", "entries", "inherited", "extended")

    def __init__(self, statement: object, entries: list[_Entry]) -> None:
        self.statement = statement
        self.entries = entries
        self.inherited: list[_Record] = []
        self.extended = False

    def all_entries(self, depth: int = 0) -> list[_Entry]:
        out = list(self.entries)
        if depth < 8:
            for earlier in self.inherited:
                out = earlier.all_entries(depth + 1) + out
        return out


def _or_groups(entries: list[_Entry]) -> list[list[_Entry]]:
    """Entries of each simple OR (`or_(A.x == 1, A.y == 2)`: one comparison per branch)."""
    groups: dict[int, list[_Entry]] = {}
    for entry in entries:
        if isinstance(entry.in_or, int) and not isinstance(entry.in_or, bool):
            groups.setdefault(entry.in_or, []).append(entry)
    return [g for g in groups.values() if len(g) >= 2]


def _low_cardinality(value: cst.BaseExpression) -> bool:
    """`== True`, `== False`, `== None`: a flag, which an index rarely helps."""
    return isinstance(value, cst.Name) and value.value in ("True", "False", "None")


def _key(node: cst.BaseExpression) -> str:
    from fastlint.analysis.names import dotted

    return dotted(node) or str(id(node))


def _compared_columns(expr: cst.BaseExpression, in_or: bool = False) -> Iterator[tuple[cst.BaseExpression, str, cst.CSTNode, bool, bool]]:
    """(owner, column, node, inside an OR, paired) for `Owner.column <op> value` comparisons (==,
    <, <=, >, >=), `Owner.column.in_(...)` / `.between(...)`, through `and_`/`or_`/`&`/`|`. Both
    sides of `A.x == B.y` come out "paired": a join condition, or a column and an instance's value.
    Comparisons with `True`/`False`/`None` (flags) are left out."""
    if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
        target = expr.comparisons[0]
        if isinstance(target.operator, _RANGE):
            left, right = unwrap_col(expr.left), unwrap_col(target.comparator)
            if _low_cardinality(left) or _low_cardinality(right):
                # a flag: it may lead an index (it covers), but is never worth reporting
                column = left if _column(left) else right if _column(right) else None
                if column is not None:
                    yield column.value, column.attr.value, expr, in_or, True  # type: ignore[attr-defined]
                return
            if _column(left) and _column(right):
                yield left.value, left.attr.value, expr, in_or, True  # type: ignore[attr-defined]
                yield right.value, right.attr.value, expr, in_or, True  # type: ignore[attr-defined]
            elif _column(left):
                yield left.value, left.attr.value, expr, in_or, False  # type: ignore[attr-defined]
            elif _column(right):
                yield right.value, right.attr.value, expr, in_or, False  # type: ignore[attr-defined]
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("in_", "between"):
        column = unwrap_col(expr.func.value)
        if _column(column):
            yield column.value, column.attr.value, expr, in_or, False  # type: ignore[attr-defined]
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("is_", "is_not", "isnot"):
        column = unwrap_col(expr.func.value)
        if _column(column):  # `col IS NULL`: an index serves it, but it is never worth reporting
            yield column.value, column.attr.value, expr, in_or, True  # type: ignore[attr-defined]
    elif isinstance(expr, cst.Call) and _last_name(expr.func) in ("and_", "or_"):
        is_or = _last_name(expr.func) == "or_"
        branch = in_or or is_or
        if is_or and not in_or and all(_simple(a.value) for a in expr.args):
            branch = id(expr)  # a simple OR: covered when each branch is
        for arg in expr.args:
            yield from _compared_columns(arg.value, branch)
    elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitAnd, cst.BitOr)):
        branch = in_or or isinstance(expr.operator, cst.BitOr)
        if isinstance(expr.operator, cst.BitOr) and not in_or and _simple(expr.left) and _simple(expr.right):
            branch = id(expr)
        yield from _compared_columns(expr.left, branch)
        yield from _compared_columns(expr.right, branch)


_SQL_HELPERS = frozenset({"and_", "or_", "not_", "col", "true", "false", "text", "exists", "tuple_", "literal", "cast", "func"})


def _opaque_filter(arg: cst.Arg) -> bool:
    """A filter argument whose conditions the file cannot read: `*conditions`, or the result of
    a project helper (`.where(for_key(key))`)."""
    if arg.star:
        return True
    value = arg.value
    if isinstance(value, cst.Call) and _last_name(value.func) in ("and_", "or_", "not_"):
        return any(_opaque_filter(a) for a in value.args)
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value not in _SQL_HELPERS


def _simple(expr: cst.BaseExpression) -> bool:
    """One column compared with a value: exactly one entry comes out of it."""
    entries = list(_compared_columns(expr, False))
    return len(entries) == 1


def _last_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _column(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and isinstance(expr.value, (cst.Name, cst.Attribute))
