from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from fastlint import sql
from fastlint.analysis import known, queries
from fastlint.analysis.chains import chain_calls, chain_root, looks_like_query_chain, method_name, unwrap_col
from fastlint.conditions import FALSE, TRUE, Cond, all_of, any_of
from fastlint.rule import Rule

_FETCH_ALL = frozenset({"all", "fetchall"})
_BOUNDING = frozenset({"limit", "slice", "first", "one", "one_or_none", "get", "scalar_one", "scalar_one_or_none",
                       "fetchmany", "fetchone", "paginate", "scalar", "count", "exists"})
_FILTERS = frozenset({"filter", "where"})


class UnboundedQuery(Rule):
    """A route (or a helper it calls) returns or iterates every row a query matches, with no `LIMIT`.

    ## Why is this bad?
    `.all()` on a query without a limit returns however many rows the table has: fine with the
    100 rows of a test database, a multi-second response and hundreds of megabytes of ORM objects
    once the table has grown. One request with no filter can take a worker (and its connection) out
    of service, and every response gets slower as the data grows.

    Bound the result: `.limit(n)` with a page size the client cannot raise above a maximum,
    keyset pagination, or a query that can only match one row. fastlint treats as bounded: a
    `.limit(...)` anywhere in the statement (also when it is built in a variable), `LIMIT` in raw
    SQL, `.first()`, `.one()`, `.get()`, a `==` / `.in_()` filter on a primary-key or unique column
    of the selected model (or on every column of a composite unique key), aggregates without
    `GROUP BY`, a statement handed to a helper with `limit=...`, and selecting from (or `.in_()`
    on) a subquery that has a LIMIT. Sliced results (`rows[:10]`) are not reported.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    app = FastAPI()


    @app.get("/orders")
    def list_orders(db: Session = Depends(get_db)):
        return db.scalars(select(Order).order_by(Order.created_at.desc())).all()
    ```

    ## Use instead
    ```python
    from fastapi import Depends, FastAPI, Query
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    app = FastAPI()


    @app.get("/orders")
    def list_orders(limit: int = Query(50, le=100), db: Session = Depends(get_db)):
        return db.scalars(select(Order).order_by(Order.created_at.desc()).limit(limit)).all()
    ```

    ## References
    - [SQLAlchemy: Select.limit](https://docs.sqlalchemy.org/en/20/core/selectable.html#sqlalchemy.sql.expression.Select.limit)
    - [FastAPI: query parameter validations](https://fastapi.tiangolo.com/tutorial/query-params-str-validations/)
    - [OWASP API Security: unrestricted resource consumption (API4:2023)](https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/)
    """

    code = "FL204"
    name = "unbounded-query"
    message = "`{call}` returns every matching row: the query has no LIMIT"
    fix_hint = "Add `.limit(n)` with a bounded page size, or paginate by key"
    requires = ("all(", "fetchall")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._seen: set[int] = set()
        self._executed_on: dict[str, cst.Call] = {}
        self._opaque = False

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self._consumed(node.value)

    def visit_For(self, node: cst.For) -> None:
        self._consumed(node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._consumed(node.iter)

    def _consumed(self, expr: cst.BaseExpression) -> None:
        """`expr` is returned or iterated: find the `.all()`/`.fetchall()` calls that produce it."""
        function = self.ctx.model.function
        if function is None or self.ctx.is_test:
            return
        for call in self._fetches(expr, 0):
            if id(call) in self._seen:
                continue
            self._seen.add(id(call))
            when = self._unbounded(call)
            if not when.is_false:
                self.report(call, when=when & queries.is_request_code(function.qualname), call=self.ctx.snippet(call, limit=60))

    def _fetches(self, expr: cst.BaseExpression, depth: int) -> Iterator[cst.Call]:
        """The `.all()`/`.fetchall()` calls whose rows `expr` is (or contains: a response dict, a
        model built from them, `list(...)`, `sorted(...)`). A slice (`rows[:10]`) bounds them."""
        if depth > 3:
            return
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Call) and method_name(expr) in _FETCH_ALL:
            yield expr
        elif isinstance(expr, cst.Call):
            for arg in expr.args:
                yield from self._fetches(arg.value, depth + 1)
        elif isinstance(expr, cst.Name):
            for bound in self.ctx.model.values_of(expr.value):
                if isinstance(bound, cst.BaseExpression):
                    yield from self._fetches(bound, depth + 1)
        elif isinstance(expr, (cst.List, cst.Tuple)):
            for el in expr.elements:
                yield from self._fetches(el.value, depth + 1)
        elif isinstance(expr, cst.Dict):
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    yield from self._fetches(el.value, depth + 1)

    def _unbounded(self, call: cst.Call) -> Cond:
        self._opaque = False
        receiver = call.func.value  # type: ignore[attr-defined]
        desc = self.ctx.model.describe(receiver)
        parts = list(self._statement_calls(receiver, 0))
        sites = [site for site in (self.ctx.sql.site(p) for p in parts) if site is not None]
        rows = queries.has_kind(desc, {known.QUERY, known.RESULT, known.SCALAR_RESULT})
        if sites and any(v.statements and sql.statement_kinds(v.statements)[0] == "select" for s in sites for v in s.variants):
            rows = TRUE  # raw SQL: a SELECT reached the sink (DB-API cursors, `conn.execute("...")`)
        elif desc is None and self._looks_like_query(receiver, 0):
            rows = TRUE  # an untyped session: SQLAlchemy's API shape is the evidence
        if rows.is_false:
            return FALSE
        for site in sites:
            if all(v.statements and sql.has_limit(v.statements) for v in site.variants):
                return FALSE
        joins = [p for p in parts if method_name(p) in ("join", "outerjoin", "join_from")]
        # a join keeps a unique filter's bound only when each selected row meets at most one
        # joined row: `.join(Flow, Message.flow_id == Flow.id)` (the joined side is unique)
        to_one = all_of([self._to_one(j) for j in joins]) if joins else TRUE
        grouped = any(method_name(p) == "group_by" for p in parts)
        unique: list[Cond] = []
        covered: dict[str, tuple[object, set[str]]] = {}  # owner text -> (owner, columns filtered)
        for part in parts:
            name = method_name(part)
            if name in _BOUNDING:
                return FALSE
            if _aggregate_only(part) and not grouped:
                return FALSE  # `select(func.count(...))` without GROUP BY: one row
            if _passes_limit(part):
                return FALSE  # `paginated_select(statement=q, limit=limit)`: the helper bounds it
            if any(self._limited(a.value, 0) for a in part.args):
                return FALSE  # selecting from (or `.in_()` on) a subquery that has a LIMIT
            if to_one.is_false:
                continue  # a unique filter on a joined table does not bound the selected one
            if name in _FILTERS:
                unique += [self._unique(arg.value) for arg in part.args if arg.keyword is None]
                for arg in part.args:
                    for owner, column in _equalities(arg.value):
                        key = _text(owner)
                        covered.setdefault(key, (self.ctx.model.describe(owner), set()))[1].add(column)
            elif name == "filter_by":
                statement = self.ctx.model.describe(part.func.value)  # type: ignore[attr-defined]
                unique += [queries.is_unique_column_of(statement, arg.keyword.value) for arg in part.args if arg.keyword is not None]
                columns = {arg.keyword.value for arg in part.args if arg.keyword is not None}
                if columns:
                    unique.append(queries.is_unique_cover(statement, columns))
        # a composite unique key (or primary key) whose every column is filtered bounds the rows
        unique += [queries.is_unique_cover(owner, columns) for owner, columns in covered.values() if len(columns) > 1]
        if self._opaque:
            return FALSE
        if _distinct_over_in(parts):
            return FALSE  # `select(M.tag).where(M.tag.in_(tags)).distinct()`: at most one row per value
        return rows & ~(any_of(unique) & to_one)

    def _limited(self, expr: cst.BaseExpression, depth: int) -> bool:
        """A subquery or CTE built with a LIMIT: `w.c.state` where `w = select(...).limit(n).subquery()`,
        or `ids` where `ids = select(M.id).limit(n)`."""
        if depth > 3:
            return False
        if isinstance(expr, cst.Call) and method_name(expr) in ("in_", "not_in") and expr.args:
            return self._limited(expr.args[0].value, depth + 1)
        root = chain_root(expr)
        if isinstance(root, cst.Name):
            for bound in self.ctx.model.values_of(root.value):
                if isinstance(bound, cst.BaseExpression) and bound is not expr:
                    calls = list(chain_calls(bound))
                    if any(method_name(c) == "limit" for c in calls) and any(method_name(c) in ("subquery", "cte", "scalar_subquery", "limit") for c in calls):
                        return True
                    if self._limited(bound, depth + 1):
                        return True
        return False

    def _looks_like_query(self, expr: cst.BaseExpression, depth: int) -> bool:
        if looks_like_query_chain(expr):
            return True
        root = chain_root(expr)
        if depth < 3 and isinstance(root, cst.Name):  # `result = session.execute(...)`, then `result.all()`
            return any(
                isinstance(v, cst.BaseExpression) and self._looks_like_query(v, depth + 1) for v in self.ctx.model.values_of(root.value)
            )
        return False

    def _statement_calls(self, expr: cst.BaseExpression, depth: int) -> Iterator[cst.Call]:
        """Every call that builds the statement behind `expr`: the method chain itself, the
        statements passed to `execute`/`scalars`/`exec`, the `execute(...)` before a cursor's
        `fetchall()`, and what the names in those positions were bound to. The arguments of
        `text(...)` or `select(...)` are not walked: `text(QUERIES.get("x"))` is no `.get()`."""
        if depth > 4:
            return
        for call in chain_calls(expr):
            yield call
            if method_name(call) in ("execute", "scalars", "exec", "scalar") and call.args:
                yield from self._statement_calls(call.args[0].value, depth + 1)
        root = chain_root(expr)
        if isinstance(root, cst.Name):
            for bound in self.ctx.model.values_of(root.value):
                if isinstance(bound, cst.BaseExpression) and bound is not expr:
                    yield from self._statement_calls(bound, depth + 1)
            executed = self._executed_on.get(root.value)
            if executed is not None:
                yield executed  # `cur.execute("SELECT ..."); cur.fetchall()`

    def visit_Call(self, node: cst.Call) -> None:
        # remember the last statement run on each cursor-like name, for its fetchall()
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("execute", "executemany") and isinstance(func.value, cst.Name):
            self._executed_on[func.value.value] = node

    def _unique(self, condition: cst.BaseExpression) -> Cond:
        """A filter on a primary-key or unique column: `M.id == x`, `M.email.in_(...)`; for
        `and_(...)` or `&`, any such part bounds the whole."""
        if isinstance(condition, cst.Comparison) and len(condition.comparisons) == 1:
            if isinstance(condition.comparisons[0].operator, cst.Equal):
                left, right = condition.left, condition.comparisons[0].comparator
                if self._opaque_column(left) and not self._is_class_column(right):
                    self._opaque = True
                return self._column_is_unique(left) | self._column_is_unique(right)
        if isinstance(condition, cst.Call) and method_name(condition) == "in_":
            if condition.args and _is_subquery(condition.args[0].value):
                return FALSE  # `id.in_(select(...))`: as many ids as the subquery returns
            if self._opaque_column(condition.func.value):  # type: ignore[attr-defined]
                self._opaque = True
            return self._column_is_unique(condition.func.value)  # type: ignore[attr-defined]
        if isinstance(condition, cst.Call) and isinstance(condition.func, cst.Name) and condition.func.value == "and_":
            return any_of([self._unique(a.value) for a in condition.args])
        if isinstance(condition, cst.Call) and isinstance(condition.func, cst.Name) and condition.func.value == "or_":
            # `or_(*[M.id == v for v in ids])`: one bounded term per value
            terms = [a.value.elt if a.star == "*" and isinstance(a.value, (cst.ListComp, cst.GeneratorExp)) else a.value for a in condition.args]
            return all_of([self._unique(t) for t in terms])  # a union of bounded sets
        if isinstance(condition, cst.BinaryOperation) and isinstance(condition.operator, cst.BitAnd):
            return self._unique(condition.left) | self._unique(condition.right)
        if isinstance(condition, cst.BinaryOperation) and isinstance(condition.operator, cst.BitOr):
            return self._unique(condition.left) & self._unique(condition.right)
        return FALSE

    def _to_one(self, join: cst.Call) -> Cond:
        """`.join(Target, Base.fk == Target.pk)`: the joined side of the condition is unique."""
        args = [a.value for a in join.args if a.keyword is None]
        if len(args) < 2 or not isinstance(args[1], cst.Comparison) or len(args[1].comparisons) != 1:
            return FALSE
        if not isinstance(args[1].comparisons[0].operator, cst.Equal):
            return FALSE
        target = _text(args[0])
        for side in (args[1].left, args[1].comparisons[0].comparator):
            side = unwrap_col(side)
            if isinstance(side, cst.Attribute) and _text(side.value) == target:
                return self._column_is_unique(side)
        return FALSE

    def _opaque_column(self, expr: cst.BaseExpression) -> bool:
        """`model.id` where `model` is a local whose class the code does not show
        (`model = MODELS[kind]`, `model = load_model(kind)` from an unknown library): whether the filter bounds the rows is
        unknowable, so nothing is reported."""
        expr = unwrap_col(expr)
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
            return False
        desc = self.ctx.model.describe(expr.value)
        if desc is not None and desc[0] != "sub":
            return False
        values = self.ctx.model.values_of(expr.value.value)
        return any(isinstance(v, (cst.Subscript, cst.Call)) for v in values)

    def _is_class_column(self, expr: cst.BaseExpression) -> bool:
        expr = unwrap_col(expr)
        return isinstance(expr, cst.Attribute) and isinstance(expr.value, (cst.Name, cst.Attribute)) and self.ctx.model.describe(expr.value) is not None

    def _column_is_unique(self, expr: cst.BaseExpression) -> Cond:
        expr = unwrap_col(expr)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, (cst.Name, cst.Attribute)):
            # only `Model.id`: `author.id` (an instance's value) bounds nothing
            return queries.is_unique_class_column(self.ctx.model.describe(expr.value), expr.attr.value)
        return FALSE


_AGGREGATES = frozenset({"count", "sum", "min", "max", "avg", "bool_and", "bool_or", "every"})


def _aggregate_only(call: cst.Call) -> bool:
    """`select(func.count(M.id), func.max(M.id))` / `query(func.count())`: aggregates without a
    GROUP BY return one row."""
    func = call.func
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
    if name not in ("select", "query") or not call.args:
        return False
    for arg in call.args:
        value = arg.value
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _AGGREGATES):
            return False
        if not (isinstance(value.func.value, cst.Name) and value.func.value.value == "func"):
            return False
    return True


def _distinct_over_in(parts: list[cst.Call]) -> bool:
    """The rows are grouped (`.group_by(X)`) or made distinct (`select(X)...distinct()`) on the
    very columns an `.in_(values)` filters: one row per value given."""
    filtered: set[str] = set()
    for part in parts:
        if method_name(part) in _FILTERS:
            for arg in part.args:
                value = arg.value
                if isinstance(value, cst.Call) and method_name(value) == "in_":
                    filtered.add(_text(unwrap_col(value.func.value)))  # type: ignore[attr-defined]
    if not filtered:
        return False
    for part in parts:
        name = method_name(part)
        if name == "group_by" and part.args and all(_text(unwrap_col(a.value)) in filtered for a in part.args):
            return True
    if any(method_name(p) == "distinct" for p in parts):
        for part in parts:
            func = part.func
            if isinstance(func, cst.Name) and func.value == "select" or method_name(part) == "query":
                if part.args and all(_text(unwrap_col(a.value)) in filtered for a in part.args):
                    return True
    return False


def _passes_limit(call: cst.Call) -> bool:
    """A helper given a page size: `paginated_select(statement=q, limit=limit)` (not `limit=None`)."""
    if method_name(call) in ("limit", "filter", "where"):
        return False
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("limit", "page_size", "per_page"):
            return not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
    return False


def _equalities(condition: cst.BaseExpression) -> list[tuple[cst.BaseExpression, str]]:
    """(owner, column) for `Owner.col == x` and `Owner.col.in_(...)` in a condition (through `&`/`and_`)."""
    out: list[tuple[cst.BaseExpression, str]] = []
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1 and isinstance(node.comparisons[0].operator, cst.Equal):
            for side in (node.left, node.comparisons[0].comparator):
                side = unwrap_col(side)
                if isinstance(side, cst.Attribute) and isinstance(side.value, (cst.Name, cst.Attribute)):
                    out.append((side.value, side.attr.value))
                    break
        elif isinstance(node, cst.Call) and method_name(node) == "in_":
            side = unwrap_col(node.func.value)  # type: ignore[attr-defined]
            if isinstance(side, cst.Attribute) and isinstance(side.value, (cst.Name, cst.Attribute)):
                out.append((side.value, side.attr.value))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "and_":
            stack.extend(a.value for a in node.args)
        elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitAnd):
            stack.extend((node.left, node.right))
    return out


def _text(node: cst.BaseExpression) -> str:
    from fastlint.analysis.names import dotted

    return dotted(node) or repr(id(node))


def _is_subquery(expr: cst.BaseExpression) -> bool:
    return any(
        method_name(c) in ("subquery", "scalar_subquery", "where", "filter")
        or (isinstance(c.func, cst.Name) and c.func.value == "select")
        for c in chain_calls(expr)
    )
