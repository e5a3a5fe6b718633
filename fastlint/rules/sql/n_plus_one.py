from __future__ import annotations

import libcst as cst

from fastlint import sql
from fastlint.analysis import known, queries, work
from fastlint.analysis.chains import chain_calls, chain_root, is_write_statement, looks_like_query_chain, method_name, returned_values
from fastlint.analysis.model import ref_of
from fastlint.conditions import FALSE, TRUE, Cond, any_of
from fastlint.rule import Rule

#: Calls that run a statement (the outermost call of the chain is reported).
_EXECUTING = frozenset({"execute", "scalars", "scalar", "get", "exec", "all", "first", "one", "one_or_none",
                        "scalar_one", "scalar_one_or_none", "fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one",
                        "fetch_val", "count"})
_LOADERS = frozenset({"selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager", "raiseload",
                      "noload", "defaultload", "lazyload", "load_only", "Load"})


class _Loop:
    __slots__ = ("names", "iterable", "reported", "exits", "locked")

    def __init__(self, names: set[str], iterable: cst.BaseExpression | None) -> None:
        self.names = names
        self.iterable = iterable
        self.reported: set[str] = set()
        #: how many enclosing `if` bodies that end in return/raise/break (run at most once)
        self.exits = 0
        #: a row-locking query ran in this iteration
        self.locked = False


class NPlusOne(Rule):
    """A query runs once per item of a loop (N+1 queries), explicitly or through a lazy relationship.

    ## Why is this bad?
    Loading 100 orders and then, for each, querying its customer makes 101 round trips to the
    database where one or two would do. Each costs network latency and a statement execution, so
    an endpoint that is fast on a test database with 5 rows takes seconds with 500. Lazy
    relationships hide the same loop: `order.customer` in a loop runs one `SELECT` per order (and
    with `AsyncSession` it raises instead).

    Load what the loop needs before it: one query with `where(Model.id.in_(ids))`, a join, or an
    eager-loading option on the query that produced the items (`selectinload(Order.customer)`,
    `joinedload(...)`). fastlint reports (1) a query run inside a `for` loop or comprehension whose
    statement uses the loop variable, and (2) reading a relationship that loads lazily on each item
    of a query result in a loop, when the query (visible in the same function) has no loader
    option for it. Not reported: loops over literal lists and tuples; batches (`col.in_(chunk)` in
    a loop over chunks, or fixed-size pages `.offset(o).limit(500)`, are the fix); one
    `UPDATE`/`DELETE`/`INSERT` per item (a write pattern); migrations and tests.

    ## Example
    ```python
    from sqlalchemy import select


    def order_totals(session, user_ids: list[int]):
        totals = {}
        for user_id in user_ids:
            totals[user_id] = session.scalar(select(Order.total).where(Order.user_id == user_id))
        return totals
    ```

    ## Use instead
    ```python
    from sqlalchemy import select


    def order_totals(session, user_ids: list[int]):
        rows = session.execute(select(Order.user_id, Order.total).where(Order.user_id.in_(user_ids)))
        return dict(rows.all())
    ```

    ## References
    - [SQLAlchemy: relationship loading techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html)
    - [SQLAlchemy: the N+1 problem and selectin loading](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html#the-zen-of-joined-eager-loading)
    """

    code = "FL206"
    name = "n-plus-one"
    message = "`{what}` runs one query per item of the loop over `{iterable}`"
    fix_hint = "{fix}"
    requires = ("for ",)

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._loops: list[_Loop] = []
        self._handled: set[int] = set()
        self._bodies: dict[int, _Loop] = {}
        self._exiting: set[int] = set()
        self._assigned: set[int] = set()
        self._helpers: dict[str, cst.FunctionDef] = {}

    # -- loops ---------------------------------------------------------------------------------
    def visit_For(self, node: cst.For) -> None:
        # the loop starts with its body: the iterable is evaluated once
        fixed = self._fixed_size(node.iter) or self._chunked(node.iter)
        self._bodies[id(node.body)] = _Loop(_targets(node.target), None if fixed else node.iter)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        loop = self._bodies.get(id(node))
        if loop is not None:
            self._loops.append(loop)
        elif id(node) in self._exiting and self._loops:
            self._loops[-1].exits += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self._bodies.pop(id(node), None) is not None:
            self._loops.pop()
        elif id(node) in self._exiting and self._loops:
            self._loops[-1].exits -= 1

    visit_SimpleStatementSuite = visit_IndentedBlock  # type: ignore[assignment]  # `for x in y: f(x)`
    leave_SimpleStatementSuite = leave_IndentedBlock  # type: ignore[assignment]

    def visit_If(self, node: cst.If) -> None:
        # `if found: ...; return x` inside a loop runs at most once
        body = node.body
        if isinstance(body, cst.IndentedBlock) and body.body:
            last = body.body[-1]
            if isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, (cst.Return, cst.Raise, cst.Break)) for s in last.body):
                self._exiting.add(id(body))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned.add(id(target.target))

    def _fixed_size(self, iterable: cst.BaseExpression, depth: int = 0) -> bool:
        """A collection whose size the code or the schema fixes, not the data: a literal, a name
        bound to one (also a module constant, and its `.items()`/`.keys()`/`.values()`), table
        metadata (`table.columns`, `metadata.tables`), an inspector's `get_*()` results."""
        if _literal(iterable):
            return True
        if depth > 3:
            return False
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            name = iterable.func.attr.value
            if name in ("items", "keys", "values"):
                return self._fixed_size(iterable.func.value, depth + 1)
            if name.startswith("get_") and _mentions_inspector(iterable.func.value):
                return True
        if isinstance(iterable, cst.Attribute) and iterable.attr.value in _SCHEMA_COLLECTIONS:
            return True
        if isinstance(iterable, cst.Name):
            values = [v for v in self.ctx.model.values_of(iterable.value) if isinstance(v, cst.BaseExpression)]
            return bool(values) and all(self._fixed_size(v, depth + 1) for v in values)
        return False

    def _data_sized(self, expr: cst.BaseExpression | None, depth: int) -> Cond:
        """Evidence that the loop runs over data (rows, a request's or caller's list), not over
        a collection the code fixes (constants, settings, schema objects): a query result, a
        parameter, a value derived from one, or a project function that returns rows."""
        if expr is None or depth > 4:
            return FALSE
        model = self.ctx.model
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return TRUE if not expr.elements else FALSE  # `ids = []`, filled as the code runs
        if isinstance(expr, (cst.Await, cst.UnaryOperation)):
            return self._data_sized(expr.expression, depth + 1)
        if isinstance(expr, cst.Subscript):
            return self._data_sized(expr.value, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            return self._data_sized(expr.left, depth + 1) | self._data_sized(expr.right, depth + 1)
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self._data_sized(expr.for_in.iter, depth + 1)
        if isinstance(expr, cst.Name):
            desc = model.resolve_name(expr.value)
            if desc is not None and desc[0] in ("inst", "ref"):
                return FALSE  # `self`/`cls`, a global: the object's own state or the code's
            if desc is not None and desc[0] in ("param", "iter"):
                return TRUE  # a caller's or a request's collection; an item of an outer data loop
            function = model.function
            if function is not None and any(p[0].lstrip("*") == expr.value for p in function.facts["params"]):
                return TRUE  # an unannotated parameter
            values = [v for v in model.values_of(expr.value) if isinstance(v, cst.BaseExpression)]
            return any_of([self._data_sized(v, depth + 1) for v in values])
        if isinstance(expr, cst.Attribute):
            # `payload.ids`, `order.lines`: data when what it hangs off is; `settings.names` is not
            base = self._data_sized(expr.value, depth + 1)
            if base.is_false:
                return base
            return base & ~queries.has_kind(model.describe(expr.value), {work.SETTINGS})
        if isinstance(expr, cst.Call):
            name = _callee(expr)
            if name in _ROW_SOURCES:
                return TRUE
            if isinstance(expr.func, cst.Name) and name in _PASS_THROUGH and expr.args:
                return any_of([self._data_sized(a.value, depth + 1) for a in expr.args])
            if isinstance(expr.func, cst.Attribute) and name in ("items", "keys", "values"):
                return self._data_sized(expr.func.value, depth + 1)
            return queries.has_kind(model.describe(expr), {known.ROWS, known.QUERY, known.SCALAR_RESULT, known.RESULT, known.CURSOR})
        return FALSE

    def _chunked(self, iterable: cst.BaseExpression) -> bool:
        """`chunk_list(ids, 500)`, `batched(ids, BATCH)`, `more_itertools.chunked(ids, n)`: a
        call of a non-builtin function given a fixed integer size hands out batches."""
        if not isinstance(iterable, cst.Call) or len(iterable.args) < 2:
            return False
        target = self.ctx.model.qualname(iterable.func)
        if target is None or target.startswith("builtins."):
            return False
        size = iterable.args[-1].value
        if isinstance(size, cst.Name):
            bound = self.ctx.model.values_of(size.value)
            size = bound[-1] if bound and isinstance(bound[-1], cst.BaseExpression) else size
            if isinstance(size, cst.Name) and ref_of(self.ctx.model.describe(size)) is not None:
                return True  # a module constant (`CHUNK_SIZE`), also one imported from elsewhere
        return isinstance(size, cst.Integer) and int(size.value.replace("_", ""), 0) > 1

    def _enter_comprehension(self, node: cst.BaseComp) -> None:
        names: set[str] = set()
        iterable = None
        comp = node.for_in
        while comp is not None:
            if not self._fixed_size(comp.iter):
                names |= _targets(comp.target)
                iterable = iterable or comp.iter
            comp = comp.inner_for_in
        self._loops.append(_Loop(names, iterable))

    def _leave_comprehension(self, node: cst.BaseComp) -> None:
        self._loops.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension  # type: ignore[assignment]
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension  # type: ignore[assignment]

    def _used(self, expr: cst.BaseExpression, depth: int = 0) -> set[str]:
        """Names the statement depends on, through the variables it was built in
        (`stmt = select(M).where(M.id == oid)` in the loop, then `session.scalars(stmt)`)."""
        names = _names(expr, batch_ok=True)
        if depth < 3:
            for name in list(names):
                for bound in self.ctx.model.values_of(name):
                    if isinstance(bound, cst.BaseExpression) and not self._executes(bound):
                        # a value another query of the iteration fetched: that query is the
                        # per-item one (reported there, if at all), not this
                        names |= self._used(bound, depth + 1)
        return names

    def _executes(self, expr: cst.BaseExpression) -> bool:
        """`conn.execute(...).scalars()`, `await db.scalar(...)`, `session.get(M, k)` on a known
        session: a query's result (not `payload.get("id")`)."""
        for call in chain_calls(expr):
            name = method_name(call)
            if name in ("execute", "scalars", "scalar", "exec", "fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one") and call.args:
                return True
            if name == "get" and len(call.args) >= 2:
                receiver = self.ctx.model.describe(call.func.value)  # type: ignore[attr-defined]
                if queries.has_kind(receiver, known.SESSIONS).is_true:
                    return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        # the module's functions, also those defined below their callers
        for statement in node.body:
            if isinstance(statement, cst.FunctionDef):
                self._helpers.setdefault(statement.name.value, statement)

    def _helper_writes(self, expr: cst.BaseExpression) -> bool:
        """`cur.execute(_drop_table(name))`: a function of this module that returns a write or
        DDL statement (`return f"DROP TABLE {name}"`, `return sql.SQL("DROP ...").format(...)`)."""
        if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name)):
            return False
        helper = self._helpers.get(expr.func.value)
        if helper is None:
            return False
        return any(is_write_statement(value) for value in returned_values(helper))

    def _statement_is_item(self, call: cst.Call) -> bool:
        """The whole statement run is the loop's item (`execute(pragma)`, `execute(text(query))`)."""
        if method_name(call) not in ("execute", "exec", "executescript", "fetch", "fetchrow", "fetchval") or not call.args:
            return False
        first = call.args[0].value
        if isinstance(first, cst.Call) and _callee(first) == "text" and first.args:
            first = first.args[0].value
        # `stmt` or `stmt.where(...)` where the loop hands out statements
        root = chain_root(first)
        return isinstance(root, cst.Name) and any(root.value in loop.names for loop in self._loops)

    def _locks(self, expr: cst.BaseExpression, depth: int) -> bool:
        """The statement takes row locks: `.with_for_update()`, `with_row_locks(stmt)`, also
        when it was built in a variable."""
        for call in chain_calls(expr):
            if _callee(call) in _LOCKING:
                return True
            if isinstance(call.func, cst.Name) and depth < 3 and any(self._locks(a.value, depth + 1) for a in call.args):
                return True
        root = chain_root(expr)
        if isinstance(root, cst.Name) and depth < 3:
            return any(isinstance(v, cst.BaseExpression) and self._locks(v, depth + 1) for v in self.ctx.model.values_of(root.value))
        return False

    def _identifier_only(self, site: sql.SqlSite) -> set[str]:
        """Names pasted into the SQL text only as identifiers (`FROM "{table.name}"`): a loop
        over tables issues one statement per table, which no `IN (...)` can merge."""
        identifiers: set[str] = set()
        values: set[str] = set()
        for variant in site.variants:
            if not variant.statements:
                return set()
            roles = sql.placeholder_roles(variant.statements)
            for piece in variant.sql.pieces:
                # through the variables it was built in (`where = f"{col} NOT IN ..."`)
                (identifiers if roles.get(piece.name, "identifier") == "identifier" else values).update(self._used(piece.node))
        return identifiers - values

    def _loop_using(self, names: set[str]) -> _Loop | None:
        for loop in reversed(self._loops):
            if loop.iterable is not None and loop.names & names:
                return loop
        return None

    # -- (1) a query per iteration ---------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if not self._loops or id(node) in self._handled or self.ctx.is_support_code:
            return
        if self._loops[-1].exits:
            return  # in a branch that leaves the loop (`if found: ...; return x`): runs once
        if method_name(node) not in _EXECUTING:
            return
        calls = list(chain_calls(node))
        self._handled.update(id(c) for c in calls)
        if any(is_write_statement(a.value, self.ctx.model.values_of) or self._helper_writes(a.value) for c in calls for a in c.args):
            return  # one UPDATE/DELETE/INSERT per item is a write pattern, not the N+1 read
        if any(self._statement_is_item(c) for c in calls):
            return  # `for stmt in statements: conn.execute(stmt)`: a list of statements, run in turn
        used: set[str] = set()
        for call in calls:
            for arg in call.args:
                if _callee(call) in _FROM_TARGETS and isinstance(arg.value, cst.Name):
                    continue  # `query(...).select_from(model)`: what is queried, per table
                used |= self._used(arg.value)
        loop_locked = next((loop for loop in reversed(self._loops) if loop.locked), None)
        if loop_locked is not None:
            return  # rows claimed with FOR UPDATE earlier in this iteration: a lock-then-work unit
        if any(self._locks(a.value, 0) for c in calls for a in c.args):
            if self._loops:
                self._loops[-1].locked = True
            return  # `SELECT ... FOR UPDATE` per item claims rows one unit at a time, by design
        # the raw SQL run, also under a chain (`conn.execute(text(...).bindparams(...))`)
        site = self.ctx.sql.site(node) or next(
            (found for c in calls for a in c.args for inner in chain_calls(a.value) if (found := self.ctx.sql.site(inner)) is not None),
            None,
        )
        if site is not None:
            used -= self._identifier_only(site)
        loop = self._loop_using(used)
        if loop is None:
            return
        root = chain_root(node)
        desc = self.ctx.model.describe(root)
        runs = queries.has_kind(desc, known.SESSIONS | {known.CONNECTION, known.ASYNC_CONNECTION, known.CURSOR})
        if site is not None:
            kinds = [sql.statement_kinds(v.statements)[0] for v in site.variants if v.statements]
            if any(k != "select" for k in kinds) or any(_not_a_read(v.sql.text) for v in site.variants):
                return  # DDL, writes, sequence resets, row locks, catalog probes: not the N+1 read
            if any(v.statements and sql.ranks_by_parameter(v.statements) for v in site.variants):
                return  # a top-k search per input vector or term, not a lookup to batch
            if kinds:
                runs = TRUE  # raw SQL read (asyncpg `fetchrow("... $1", v)`, a cursor, `text(...)`)
        elif desc is None and looks_like_query_chain(node):
            runs = TRUE
        if runs.is_false:
            return
        data = self._data_sized(loop.iterable, 0)
        if data.is_false:
            return
        self.report(
            node,
            when=runs & data,
            what=self.ctx.snippet(node, limit=50),
            iterable=self.ctx.snippet(loop.iterable),
            fix="Load the rows for all items in one query before the loop (`where(X.id.in_(ids))`, a join)",
        )

    # -- (2) a lazy relationship read on each item -----------------------------------------------
    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._loops or not isinstance(node.value, cst.Name) or self.ctx.is_support_code:
            return
        if id(node) in self._assigned or self._loops[-1].exits:
            return  # `item.rel = []` writes the relationship; a branch that leaves runs once
        name = node.value.value
        loop = self._loop_using({name})
        if loop is None or node.attr.value in loop.reported:
            return
        item = self.ctx.model.resolve_name(name)
        if item is None or item[0] != "iter" or loop.iterable is None:
            return
        options = self._loader_options(loop.iterable)
        if options is None or node.attr.value in options or "*" in options:
            return
        lazy = queries.is_lazy_relationship_of(item, node.attr.value)
        if lazy.is_false:
            return
        loop.reported.add(node.attr.value)
        self.report(
            node,
            when=lazy,
            what=f"{name}.{node.attr.value}",
            iterable=self.ctx.snippet(loop.iterable),
            fix=f"Add an eager-loading option to the query: `.options(selectinload(<Model>.{node.attr.value}))`",
        )

    def _loader_options(self, expr: cst.BaseExpression, depth: int = 0) -> set[str] | None:
        """Relationship names the iterated query loads eagerly. None when the query is not built
        in this function: a helper may load what it likes, so nothing is reported."""
        if depth > 4:
            return None
        if isinstance(expr, cst.Name):
            return self._each_binding(expr.value, self._loader_options, depth)
        calls = list(chain_calls(expr))
        in_chain = set().union(*(self._loaded_through(a.value) for c in calls for a in c.args)) if calls else set()
        for call in calls:
            name = method_name(call)
            if name == "query":
                return in_chain
            if name in ("scalars", "execute", "exec") and call.args:
                statement = self._statement_loaders(call.args[0].value, depth + 1)
                return None if statement is None else in_chain | statement
        root = chain_root(expr)
        if calls and isinstance(root, cst.Name):  # `result.scalars().all()`: follow `result`
            return self._loader_options(root, depth + 1)
        return None

    def _statement_loaders(self, expr: cst.BaseExpression, depth: int) -> set[str] | None:
        if depth > 4:
            return None
        if isinstance(expr, cst.Name):
            return self._each_binding(expr.value, self._statement_loaders, depth)
        found = _loaded(expr) | set().union(*(self._loaded_through(a.value) for c in chain_calls(expr) for a in c.args))
        root = chain_root(expr)
        if isinstance(root, cst.Name) and self.ctx.model.values_of(root.value):  # `stmt.options(...)`
            earlier = self._each_binding(root.value, self._statement_loaders, depth)
            found |= earlier or set()
        return found

    def _loaded_through(self, value: cst.BaseExpression) -> set[str]:
        """Loader options in an argument, also through a variable (`opts = [selectinload(...)]`,
        then `.options(*opts)`)."""
        found = _loaded(value)
        if isinstance(value, cst.Name):
            for bound in self.ctx.model.values_of(value.value):
                if isinstance(bound, cst.BaseExpression):
                    found |= _loaded(bound)
        return found

    def _each_binding(self, name: str, follow, depth: int) -> set[str] | None:  # type: ignore[no-untyped-def]
        values = [v for v in self.ctx.model.values_of(name) if isinstance(v, cst.BaseExpression)]
        if not values:
            return None
        found: set[str] = set()
        for value in values:
            sub = follow(value, depth + 1)
            if sub is None:
                return None
            found |= sub
        return found


def _loaded(expr: cst.BaseExpression) -> set[str]:
    """Attribute names named in loader options: `selectinload(User.posts).joinedload(Post.tags)`,
    `joinedload("posts")`, `selectinload("*")`; also inside `select(...)`/`.options(...)` chains."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            callee = node.func.attr.value if isinstance(node.func, cst.Attribute) else node.func.value if isinstance(node.func, cst.Name) else None
            if callee in _LOADERS:
                for arg in node.args:
                    if isinstance(arg.value, cst.Attribute):
                        out.add(arg.value.attr.value)
                    elif isinstance(arg.value, cst.SimpleString) and isinstance(arg.value.evaluated_value, str):
                        out.add(arg.value.evaluated_value.split(".")[-1])
            stack.append(node.func)
            stack.extend(a.value for a in node.args)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, (cst.List, cst.Tuple)):
            stack.extend(e.value for e in node.elements)
    return out


_SCHEMA_COLLECTIONS = frozenset({"columns", "c", "tables", "indexes", "foreign_keys", "constraints", "primary_key", "sorted_tables"})


def _mentions_inspector(expr: cst.BaseExpression) -> bool:
    """`inspector.get_indexes(t)`, `sa.inspect(conn).get_columns(t)`."""
    node = expr
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            if isinstance(node.func, (cst.Name, cst.Attribute)) and _last(node.func) == "inspect":
                return True
            node = node.func
        else:
            node = node.value
    return isinstance(node, cst.Name) and "inspector" in node.value.lower()


def _last(expr: cst.BaseExpression) -> str:
    return expr.value if isinstance(expr, cst.Name) else expr.attr.value if isinstance(expr, cst.Attribute) else ""


def _not_a_read(text: str) -> bool:
    """Sequence resets, advisory locks, row locks and catalog probes (that guard DDL)."""
    lowered = " ".join(text.lower().split())
    return any(marker in lowered for marker in _NOT_READS)


_NOT_READS = (
    "setval(", "nextval(", "pg_advisory", "pg_try_advisory", "get_lock(", "release_lock(", "for update",
    "for share", "for no key update", "information_schema.", "pg_catalog.", "pg_tables", "pg_indexes",
    "pg_class", "sqlite_master", "sqlite_schema",
)
#: Row-locking builders: a per-item `SELECT ... FOR UPDATE` is a claim, not an N+1 read.
_LOCKING = frozenset({"with_for_update", "with_row_locks"})


def _targets(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for el in target.elements:
            out |= _targets(el.value)
        return out
    return set()


def _literal(iterable: cst.BaseExpression) -> bool:
    """A fixed, small collection written in the code: not N+1."""
    if isinstance(iterable, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
        return bool(iterable.elements)  # `ids = []` is filled later: data-sized
    return isinstance(iterable, cst.SimpleString) or (
        isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "range"
        and all(isinstance(a.value, cst.Integer) for a in iterable.args)
    )


#: A loop variable used only here makes a batch, not an N+1: `.in_(chunk)`, or pages of a fixed
#: size (`for offset in range(0, total, 500): ... .offset(offset).limit(500)`).
_BATCH_ARGS = frozenset({"in_", "not_in", "offset", "limit", "slice"})


def _column_ref(expr: cst.BaseExpression) -> bool:
    """`Model.col`, `table.c.col`, `getattr(model, name)`: a column, not a value."""
    return isinstance(expr, cst.Attribute) or _is_getattr(expr)


def _is_getattr(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "getattr" and len(expr.args) >= 2


def _value_part(expr: cst.BaseExpression) -> cst.BaseExpression:
    """For `getattr(model, name)` only the name varies a value; anything else as it is."""
    return expr.args[1].value if _is_getattr(expr) else expr  # type: ignore[attr-defined]


#: Calls whose result is rows of a query.
_ROW_SOURCES = frozenset({"all", "fetchall", "fetchmany", "scalars", "execute", "exec", "unique", "partitions", "mappings", "fetch", "fetch_all"})
#: Builtins whose result has the size of their argument.
_PASS_THROUGH = frozenset({"enumerate", "sorted", "list", "set", "tuple", "reversed", "zip", "filter", "map", "iter", "frozenset", "dict"})

_FROM_TARGETS = frozenset({"select", "query", "select_from", "from_statement"})


def _callee(call: cst.Call) -> str | None:
    func = call.func
    return func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None


def _names(expr: cst.CSTNode, batch_ok: bool = False) -> set[str]:
    """Names an expression reads. With `batch_ok`, the argument of `.in_(...)` is left out: a
    loop over chunks that queries `col.in_(chunk)` is the batched fix, not an N+1."""
    out: set[str] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            out.add(node.value)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Call):
            if batch_ok and isinstance(node.func, cst.Attribute) and node.func.attr.value in _BATCH_ARGS:
                if node.func.attr.value not in ("in_", "not_in"):
                    stack.append(node.func)  # `.offset(o)`: the statement it is called on counts
                continue  # `model.id.in_(ids)`: a batch over whatever the loop varies
            stack.append(node.func)
            if batch_ok and _callee(node) in _FROM_TARGETS:
                # `select(model)`, `select_from(table)`: what is queried, not a value in its
                # WHERE; a loop over tables or models cannot be merged into one `IN (...)`
                stack.extend(a.value for a in node.args if not isinstance(a.value, cst.Name))
                continue
            stack.extend(a.value for a in node.args)
        elif isinstance(node, (cst.Comparison,)):
            sides = [node.left, *(c.comparator for c in node.comparisons)]
            if batch_ok and len(sides) == 2 and _column_ref(sides[0]) != _column_ref(sides[1]):
                # `table.c.workspace != x`, `getattr(model, attr) == v`: the column's owner is
                # what is queried; only the value side varies the statement per item
                stack.append(sides[1] if _column_ref(sides[0]) else sides[0])
            else:
                stack.extend(_value_part(side) for side in sides)
        elif isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            stack.extend((node.left, node.right))
        elif isinstance(node, cst.UnaryOperation):
            stack.append(node.expression)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            stack.extend(e.value for e in node.elements)
        elif isinstance(node, cst.Dict):  # bind parameters: `{"id": v}`
            stack.extend(e.value for e in node.elements if isinstance(e, cst.DictElement))
        elif isinstance(node, cst.Subscript):
            stack.append(node.value)
            stack.extend(s.slice.value for s in node.slice if isinstance(s.slice, cst.Index))
        elif isinstance(node, cst.FormattedString):
            stack.extend(p.expression for p in node.parts if isinstance(p, cst.FormattedStringExpression))
        elif isinstance(node, cst.Await):
            stack.append(node.expression)
    return out
