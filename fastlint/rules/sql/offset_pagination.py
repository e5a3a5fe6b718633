from __future__ import annotations

import libcst as cst

from fastlint import sql
from fastlint.analysis import known, queries
from fastlint.analysis.chains import chain_calls, chain_root, method_name
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule

_SINGLE_ROW = frozenset({"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none"})


def _paging_limit(call: cst.Call) -> bool:
    """The offset's own chain also sets a page size (`.offset(o).limit(n)` with n not 1)."""
    return any(method_name(c) == "limit" and not _is_one(c) for c in chain_calls(call))


def _calls_within(node: cst.CSTNode, values_of) -> list[cst.Call]:  # type: ignore[no-untyped-def]
    """The calls inside an expression, following local names to what they were bound to
    (`sub = select(T.id).offset(n)` ... `delete(T).where(T.id.in_(sub))`)."""
    out: list[cst.Call] = []
    stack: list[cst.CSTNode] = [node]
    seen_names: set[str] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Call):
            out.append(item)
            stack.append(item.func)
            stack.extend(a.value for a in item.args)
        elif isinstance(item, cst.Attribute):
            stack.append(item.value)
        elif isinstance(item, (cst.Await, cst.UnaryOperation)):
            stack.append(item.expression)
        elif isinstance(item, cst.Name) and item.value not in seen_names:
            seen_names.add(item.value)
            stack.extend(v for v in values_of(item.value) if isinstance(v, cst.CSTNode))
    return out


def _chain_and_bindings(node: cst.BaseExpression, values_of) -> list[cst.Call]:  # type: ignore[no-untyped-def]
    """The calls of `node`'s chain, and of the chain its root name was bound to
    (`stmt = q.offset(k)` ... `stmt.limit(1)`)."""
    calls = list(chain_calls(node))
    root = chain_root(node)
    if isinstance(root, cst.Name):
        for value in values_of(root.value):
            if isinstance(value, cst.BaseExpression):
                calls.extend(chain_calls(value))
    return calls


def _func_name(call: cst.Call) -> str | None:
    return call.func.value if isinstance(call.func, cst.Name) else None


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
    answers in the same time for every page. Not reported: a fixed offset (`OFFSET 1`, a named
    constant), reading the n-th row (`.offset(n).first()`, `.offset(n).limit(1)`, also when the
    limit is added where the statement is run), an offset inside a `DELETE`/`UPDATE` that keeps the
    newest rows, migrations, tests and examples.

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
    requires = ("offset", "limit")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._single_row: set[int] = set()
        self._retention: set[int] = set()
        #: per function: offsets to decide at its end, and whether it reads single rows
        self._frames: list[tuple[list[tuple[cst.Call, object]], list[bool], set[int]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(([], [False, False], set()))

    def visit_Return(self, node: cst.Return) -> None:
        if self._frames and node.value is not None:
            # a statement handed back to the caller may get its page size there
            self._frames[-1][2].update(id(c) for c in _chain_and_bindings(node.value, self.ctx.model.values_of))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        offsets, (_single, paged), returned = self._frames.pop()
        for call, when in offsets:
            if id(call) in self._single_row or id(call) in self._retention:
                continue  # decided by a later line of the function
            # `q = select(...).offset(n)` ... `session.scalars(q.limit(1)).first()`: the n-th row;
            # no page size anywhere (`rows[start:]`): a slice to the end, not a page
            if not paged and not _paging_limit(call) and id(call) not in returned:
                continue
            self.report(call, when=when, what="`.offset(...)`")

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_support_code:
            return
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if name in _SINGLE_ROW or (name == "limit" and _is_one(node)):
            # `.offset(n).first()` / `.offset(n).limit(1)`: the n-th row, not a page
            self._single_row.update(id(c) for c in _chain_and_bindings(node, self.ctx.model.values_of))
            if self._frames:
                self._frames[-1][1][0] = True
        elif name == "limit" and self._frames:
            self._frames[-1][1][1] = True
        if name in ("where", "filter", "filter_by", "delete", "update") and any(
            method_name(c) in ("delete", "update") or _func_name(c) in ("delete", "update") for c in chain_calls(node)
        ):
            # `delete(T).where(T.id.in_(select(T.id).order_by(...).offset(keep)))`: keeping the
            # newest rows, not paging
            self._retention.update(id(c) for c in _calls_within(node, self.ctx.model.values_of))
        if name == "offset" and isinstance(func, cst.Attribute):
            if len(node.args) == 1 and self._fixed(node.args[0].value):
                return  # a fixed skip, not pagination
            if id(node) in self._single_row or id(node) in self._retention:
                return
            if any(method_name(c) == "limit" and _is_one(c) for c in chain_calls(node)):
                return
            statement = queries.has_kind(self.ctx.model.describe(func.value), known.STATEMENTS)
            if not statement.is_false and len(node.args) == 1:
                ref = ref_of(self.ctx.model.describe(node.args[0].value))
                if ref is not None:  # `.offset(SKIP_HEADER)` with a constant from another module
                    statement = statement & ~queries.is_constant(ref)
            if statement.is_false:
                return
            if self._frames:
                self._frames[-1][0].append((node, statement))
            else:
                self.report(node, when=statement, what="`.offset(...)`")
            return
        site = self.ctx.sql.site(node)
        if site is None:
            return
        for variant in site.variants:
            if variant.statements and sql.statement_kinds(variant.statements)[0] != "select":
                continue  # an OFFSET inside a DELETE/UPDATE trims rows, it does not page
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
