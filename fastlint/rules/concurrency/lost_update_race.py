from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.chains import chain_calls, method_name, nodes_in_order
from fastlint.analysis.names import dotted
from fastlint.conditions import TRUE
from fastlint.rule import Rule

#: the last call of a chain that loads one row (`.first()`, `session.get(M, id)`, ...)
_LOADS = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "get", "get_one", "scalar", "fetchone"})
#: augmented assignments that compute the new value from the old one
_ARITHMETIC = (cst.AddAssign, cst.SubtractAssign, cst.MultiplyAssign, cst.DivideAssign, cst.FloorDivideAssign, cst.ModuloAssign)
#: text in a function that shows it serialises its writes another way (raw `FOR UPDATE`,
#: advisory locks, a strict isolation level)
_OTHER_LOCKS = ("for update", "for no key update", "advisory", "serializable", "repeatable read", "lock table")


_SELECT = re.compile(r"^\s*select\b", re.IGNORECASE)
_UPDATE = re.compile(r"^\s*update\b", re.IGNORECASE)
#: methods that run SQL or fetch what it returned (SQLAlchemy, DB-API, asyncpg, databases)
_RUNS = frozenset({"execute", "exec_driver_sql", "fetch", "fetchrow", "fetchval", "fetch_one", "fetch_val", "fetch_all", "scalar"})
_FETCHES = frozenset({"fetchone", "fetchall", "fetchmany", "first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none"})


class LostUpdateRace(Rule):
    """A row is loaded without a lock, changed from its old value and written back.

    ## Why is this bad?
    `account = session.get(Account, id)`, `account.balance -= amount`, `session.commit()` is a
    read-modify-write: between the read and the commit another request can read the same old
    balance, and whichever commits last silently overwrites the other's change (a lost update).
    Under load this loses money, oversells stock and drops counter increments, and no error is
    ever raised: the default isolation level (READ COMMITTED) does not prevent it.

    Either lock the row for the transaction when reading it (`.with_for_update()` on the query
    or select, `session.get(Account, id, with_for_update=True)`), or let the database compute the
    new value in one atomic statement: `update(Account).where(Account.id == id)
    .values(balance=Account.balance - amount)`. A version counter (`__mapper_args__ =
    {"version_id_col": ...}`) makes the second writer fail instead of winning.

    Reported: in one function, a row loaded directly (`session.get`, a 1.x `query(...)` or 2.0
    `select(...)` chain ending in `.first()`, `.one()`, `.scalar_one()`... also through
    `execute`/`scalars`/`exec` of a statement built in a variable), then a mapped column of it
    written from its old value (`row.stock -= 1`, `row.count = row.count + 1`), then a commit or
    flush (or the write sits in a `session.begin()` block). Not reported: rows loaded
    `with_for_update`, mapped classes with a `version_id_col`, rows created in the function,
    functions that take another lock (raw `FOR UPDATE`, advisory locks) or run SERIALIZABLE,
    functions whose callers in the module all hold a lock (`async with lock:`, an
    `acquire_...lock()` helper, an advisory lock), start-up code (seeding and repairs a
    lifespan runs once), and tests. The raw-SQL form is reported too: a literal `SELECT` (SQLAlchemy `text()`,
    DB-API cursors, asyncpg `fetchrow`/`fetchval`) whose result feeds, through Python
    variables, the parameters of a later literal `UPDATE` in the same function.

    ## Example
    ```python
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


    class Base(DeclarativeBase):
        pass


    class Product(Base):
        __tablename__ = "products"
        id: Mapped[int] = mapped_column(primary_key=True)
        stock: Mapped[int] = mapped_column(Integer)


    def buy(session: Session, product_id: int) -> None:
        product = session.get(Product, product_id)
        product.stock -= 1
        session.commit()
    ```

    ## Use instead
    ```python
    from sqlalchemy import Integer, update
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


    class Base(DeclarativeBase):
        pass


    class Product(Base):
        __tablename__ = "products"
        id: Mapped[int] = mapped_column(primary_key=True)
        stock: Mapped[int] = mapped_column(Integer)


    def buy(session: Session, product_id: int) -> None:
        session.execute(update(Product).where(Product.id == product_id).values(stock=Product.stock - 1))
        session.commit()
    ```

    ## References
    - [CWE-362: concurrent execution using shared resource with improper synchronization](https://cwe.mitre.org/data/definitions/362.html)
    - [SQLAlchemy: `Select.with_for_update`](https://docs.sqlalchemy.org/en/20/core/selectable.html#sqlalchemy.sql.expression.Select.with_for_update)
    - [SQLAlchemy: configuring a version counter](https://docs.sqlalchemy.org/en/20/orm/versioning.html)
    - [PostgreSQL: explicit row-level locks](https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS)
    """

    code = "FL501"
    name = "lost-update-race"
    message = "`{target}` is read (`{load}`) without a row lock, changed from its old value and written back: concurrent requests overwrite each other's update"
    fix_hint = "Load the row `.with_for_update()`, or update atomically: `update(M).where(...).values(col=M.col - x)`"
    requires = ("commit", "flush", "begin")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        #: id of an assignment that loads a row without a lock -> (the load, its descriptor),
        #: taken during the walk, while the function's names resolve
        self._loads: dict[int, tuple[cst.BaseExpression, object]] = {}
        #: id of a call that runs a literal SELECT or UPDATE -> "select" / "update"
        self._sql: dict[int, str] = {}
        self._functions: list[str] = []
        #: per enclosing function: whether it loads a row or runs literal SQL
        self._candidates: list[bool] = []
        self._scope = TRUE

    def visit_Call(self, node: cst.Call) -> None:
        # `conn.execute(text("SELECT balance ..."))`, `await db.fetchrow(QUERY, id)`: the SQL a call
        # runs, read while the function's names resolve
        if self.ctx.model.function is None or method_name(node) not in _RUNS or not node.args:
            return
        sql = self._sql_text(node.args[0].value)
        if sql is not None and (_SELECT.search(sql) or _UPDATE.search(sql)):
            self._sql[id(node)] = "select" if _SELECT.search(sql) else "update"
            self._mark()

    def _sql_text(self, value: cst.BaseExpression) -> str | None:
        if isinstance(value, cst.Call) and value.args and method_name(value) is None:
            value = value.args[0].value  # `text("...")`, `sa.text("...")`
        elif isinstance(value, cst.Call) and value.args and isinstance(value.func, cst.Attribute) and value.func.attr.value == "text":
            value = value.args[0].value
        if isinstance(value, cst.Name):
            bound = [v for v in self.ctx.model.values_of(value.value) if isinstance(v, cst.BaseExpression)]
            value = bound[0] if len(bound) == 1 else value
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            text = value.evaluated_value
            return text if isinstance(text, str) else None
        return None

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.model.function is None or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        load = self._unlocked_load(node.value)
        if load is not None:
            self._loads[id(node)] = (load, self.ctx.model.describe(load))
            self._mark()

    def _mark(self) -> None:
        """The innermost function loads a row or runs literal SQL: worth checking when it ends."""
        if self._candidates:
            self._candidates[-1] = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = self.ctx.model.defining
        self._functions.append(scope.qualname if scope is not None else "")
        self._candidates.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        qualname = self._functions.pop()
        if not self._candidates.pop() or self.ctx.is_test:
            return  # most functions load no row and run no SQL: no need to walk them again
        # start-up code (a lifespan's seeding and repairs) runs once, not beside itself
        # and a function whose callers all hold a lock does not run beside itself either
        self._scope = ~(queries.is_runtime_code(qualname) & ~queries.is_request_code(qualname)) & ~queries.is_serialized_by_callers(qualname)
        self._check(original_node)

    def _check(self, function: cst.FunctionDef) -> None:
        order = list(_own_nodes(function.body))
        if any(_takes_other_lock(item) for item in order):
            return
        if self._sql:
            self._check_raw_sql(order)
        loaded: dict[str, tuple[cst.BaseExpression, object]] = {}
        writes: list[tuple[int, cst.CSTNode, str, str, tuple[cst.BaseExpression, object]]] = []
        commits: list[int] = []
        in_begin: set[int] = set()
        for position, item in enumerate(order):
            if isinstance(item, cst.Assign) and len(item.targets) == 1 and isinstance(item.targets[0].target, cst.Name):
                name = item.targets[0].target.value
                if id(item) in self._loads:
                    loaded[name] = self._loads[id(item)]
                else:
                    loaded.pop(name, None)
            write = _write_from_old_value(item, loaded)
            if write is not None:
                writes.append((position, item, *write, loaded[write[0]]))
            if isinstance(item, cst.Call) and method_name(item) in ("commit", "flush"):
                commits.append(position)
            if isinstance(item, cst.With) and any(
                isinstance(w.item, cst.Call) and method_name(w.item) == "begin" for w in item.items
            ):
                in_begin.update(id(node) for node in _own_nodes(item.body))
        for position, node, name, attr, (load, row) in writes:
            if not (any(c > position for c in commits) or id(node) in in_begin):
                continue
            when = self._scope & queries.has_kind(row, (known.ROW,)) & queries.is_column_of(row, attr) & ~queries.is_versioned_entity_of(row)
            outer = _outer_call(load)
            label = self.ctx.call_snippet(outer) if isinstance(outer.func, cst.Attribute) and isinstance(outer.func.value, cst.Name) else f"...{method_name(outer)}()"
            self.report(node, when=when, target=f"{name}.{attr}", load=label)

    def _check_raw_sql(self, order: list[cst.CSTNode]) -> None:
        """`row = conn.execute(text("SELECT balance ...")).one()`, a new value computed from `row`
        in Python (`row.balance - amount`), then `conn.execute(text("UPDATE ... SET balance =
        :b"), {"b": new})`. An UPDATE that only reuses the row's values (its id) is not this."""
        #: name -> (the SELECT its value comes from, whether arithmetic on that value made it)
        tainted: dict[str, tuple[cst.Call, bool]] = {}
        selected: dict[str, cst.Call] = {}  # cursor name -> the SELECT it ran
        for item in order:
            if isinstance(item, cst.Call) and self._sql.get(id(item)) == "select" and isinstance(item.func, cst.Attribute) and isinstance(item.func.value, cst.Name):
                selected[item.func.value.value] = item  # `cur.execute("SELECT ...")`, fetched later
            if isinstance(item, cst.Assign) and len(item.targets) == 1:
                select = self._select_in(item.value, selected)
                source = (select, False) if select is not None else _computed_from(item.value, tainted)
                for target in _target_names(item.targets[0].target):
                    if source is not None:
                        tainted[target] = source
                    else:
                        tainted.pop(target, None)
            if isinstance(item, cst.Call) and self._sql.get(id(item)) == "update":
                for arg in item.args[1:]:
                    found = _computed_from(arg.value, tainted)
                    if found is not None and found[1]:
                        used = next(n for n in _names_in(arg.value) if n in tainted)
                        self.report(item, when=self._scope, target=used, load=self.ctx.snippet(found[0].args[0].value, limit=50))
                        break

    def _select_in(self, value: cst.BaseExpression, selected: dict[str, cst.Call]) -> cst.Call | None:
        """The SELECT whose rows `value` reads: run in it, or fetched from a cursor that ran one."""
        for call in _calls_within(value):
            if self._sql.get(id(call)) == "select":
                return call
            if method_name(call) in _FETCHES and isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name):
                if call.func.value.value in selected:
                    return selected[call.func.value.value]
        return None

    def _unlocked_load(self, value: cst.BaseExpression) -> cst.BaseExpression | None:
        """`value` when it loads one row and nothing in its chain (or the statement it runs)
        locks it; else None."""
        calls = list(chain_calls(value))
        if not calls or method_name(calls[0]) not in _LOADS:
            return None
        if method_name(calls[0]) == "get" and len(calls) == 1 and len(calls[0].args) < 2:
            return None  # `d.get(key)`: a mapping, not `session.get(Model, id)`
        return None if self._locked(value, 0) else value

    def _locked(self, value: cst.BaseExpression, depth: int) -> bool:
        """A `with_for_update` in `value`, or in what the names it uses are bound to: the
        statement it runs (`execute(stmt)`), the result it reads (`result.first()`)."""
        for call in _calls_within(value):
            if method_name(call) == "with_for_update" or _locks_by_keyword(call):
                return True
        if depth < 2:
            for name in set(_names_in(value)):
                for bound in self.ctx.model.values_of(name):
                    if isinstance(bound, cst.BaseExpression) and self._locked(bound, depth + 1):
                        return True
        return False


def _own_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes under `node` in source order, not entering nested functions, classes, lambdas."""
    return nodes_in_order(node, enter_scopes=False)


def _calls_within(expr: cst.CSTNode) -> list[cst.Call]:
    return [item for item in _own_nodes(expr) if isinstance(item, cst.Call)]


def _outer_call(expr: cst.BaseExpression) -> cst.Call:
    return next(chain_calls(expr))


def _locks_by_keyword(call: cst.Call) -> bool:
    """`session.get(M, id, with_for_update=True)`."""
    return any(a.keyword is not None and a.keyword.value == "with_for_update" for a in call.args)


def _takes_other_lock(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        return isinstance(text, str) and any(marker in text.lower() for marker in _OTHER_LOCKS)
    if isinstance(node, cst.Call):
        name = (dotted(node.func) or "").lower()
        return "advisory" in name or name.endswith("lock")
    return False


def _write_from_old_value(node: cst.CSTNode, loaded: dict[str, object]) -> tuple[str, str] | None:
    """(row name, column) for `row.col -= x` or `row.col = row.col - x` on a loaded row."""
    if isinstance(node, cst.AugAssign) and isinstance(node.operator, _ARITHMETIC):
        target = node.target
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value in loaded:
            return target.value.value, target.attr.value
        return None
    if isinstance(node, cst.Assign) and len(node.targets) == 1:
        target = node.targets[0].target
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value in loaded):
            return None
        if not isinstance(node.value, (cst.BinaryOperation, cst.Call, cst.UnaryOperation)):
            return None  # `row.status = "paid"`: a new value, not one computed from the old
        wanted = (target.value.value, target.attr.value)
        for item in _own_nodes(_without_fallbacks(node.value)):
            if isinstance(item, cst.Attribute) and isinstance(item.value, cst.Name) and (item.value.value, item.attr.value) == wanted:
                return wanted
    return None


def _without_fallbacks(value: cst.BaseExpression) -> cst.BaseExpression:
    """`value` without the old value used as a default: `form.get("name", row.name)`,
    `getattr(patch, "name", row.name)` keep the old value when nothing new came, they do not
    compute from it."""
    if isinstance(value, cst.Call) and len(value.args) == 2 and method_name(value) == "get":
        return value.args[0].value
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "getattr" and len(value.args) == 3:
        return value.args[1].value
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "max":
        # `max(time.time_ns(), row.updated_at + 1)`: a timestamp moved to now (at least one
        # tick on): whichever writer wins, the stored value is a current time
        if any(_is_clock(a.value) for a in value.args):
            return cst.Name("None")
    return value


_CLOCKS = ("time", "time_ns", "monotonic", "monotonic_ns", "now", "utcnow")


def _is_clock(expr: cst.BaseExpression) -> bool:
    """`time.time()`, `time.time_ns()`, `datetime.now(timezone.utc)`, `utcnow()`."""
    return isinstance(expr, cst.Call) and (dotted(expr.func) or "").rsplit(".", 1)[-1] in _CLOCKS


def _names_in(expr: cst.CSTNode) -> list[str]:
    return [item.value for item in _own_nodes(expr) if isinstance(item, cst.Name)]


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple):
        return [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
    return []


def _computed_from(expr: cst.BaseExpression, tainted: dict[str, tuple[cst.Call, bool]]) -> tuple[cst.Call, bool] | None:
    """Whether `expr` reads a value that came from a SELECT: (that SELECT, whether arithmetic on
    it is involved: `row.balance - amount`, or a name already computed so)."""
    found: tuple[cst.Call, bool] | None = None
    for item in _own_nodes(expr):
        if isinstance(item, cst.Name) and item.value in tainted:
            select, computed = tainted[item.value]
            found = (select, computed or (found is not None and found[1]))
        if isinstance(item, (cst.BinaryOperation, cst.AugAssign)) and any(n in tainted for n in _names_in(item)):
            select = next(tainted[n][0] for n in _names_in(item) if n in tainted)
            return select, True
    return found
