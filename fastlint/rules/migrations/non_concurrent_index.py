from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from fastlint.analysis import queries
from fastlint.analysis.model import Desc, argument, ref_of
from fastlint.conditions import Cond
from fastlint.rule import Rule
from fastlint.rules.security._values import literal_of

_OP = "alembic.op."
_INDEX_OPS = ("create_index", "drop_index", "create_unique_constraint")
#: `ALTER TABLE` operations that take the table's ACCESS EXCLUSIVE lock, and where their table is
_ALTERS = {
    "add_column": 0,
    "drop_column": 0,
    "alter_column": 0,
    "drop_constraint": 1,
    "create_primary_key": 1,
    "create_check_constraint": 1,
    "create_unique_constraint": 1,
}
_COLUMNS = frozenset({"sqlalchemy.Column", "sqlalchemy.schema.Column", "sqlalchemy.sql.schema.Column", "sqlmodel.Column"})
#: Column arguments whose database fills the existing rows (`sa.Identity()`, `sa.Computed(...)`).
_GENERATED = ("Identity", "Computed", "Sequence")
#: Dialects other than PostgreSQL, as a migrations folder or a dialect test names them.
_OTHER_DIALECTS = frozenset({"sqlite", "mysql", "mariadb", "mssql", "oracle"})
_TEXT = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"})
#: a statement that empties a whole table: `DELETE FROM t`, `TRUNCATE TABLE t` (the name without a schema)
_EMPTIES = re.compile(r'^\s*(?:DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:["`]?\w+["`]?\.)?["`]?(\w+)["`]?\s*;?\s*$', re.IGNORECASE)
#: marks a table key that is the source of an expression, not a table's name
_EXPRESSION = "="
_POSTGRES = frozenset({"postgresql", "postgres"})
_DIALECTS = _OTHER_DIALECTS | _POSTGRES

_ADD_COLUMN_HINT = (
    "Add it nullable, backfill, then `op.alter_column(..., nullable=False)`; or give it a `server_default`"
)
_INDEX_HINT = "Pass `postgresql_concurrently=True` inside `with op.get_context().autocommit_block():`"
_AUTOCOMMIT_HINT = "Run it inside `with op.get_context().autocommit_block():`"
_BATCH_HINT = (
    "Move it out of `batch_alter_table`: `op.{op}(..., postgresql_concurrently=True)` inside "
    "`with op.get_context().autocommit_block():`"
)
_UNIQUE_HINT = (
    "Build it with `op.create_index(..., unique=True, postgresql_concurrently=True)` in an autocommit "
    "block, then add the constraint `USING INDEX` if one is needed"
)


@dataclass
class _Batch:
    name: str  # the `as` name of the batch operations object
    table: str | None
    recreate: bool  # `recreate="always"`: the table is copied, no index is built in place


@dataclass
class _Candidate:
    function: str  # the top-level function of the revision file the call is in
    node: cst.Call
    op: str
    table: str | None  # the table's name, or `_EXPRESSION` + the source of a non-literal one
    batch: bool
    recreate: bool
    concurrent: bool
    autocommit: bool
    blocks: tuple[int, ...]  # the blocks that enclose the call in its function
    column: str | None = None  # add_column: the NOT NULL column's name
    index: str | None = None  # the index's name, if a literal


class NonConcurrentIndex(Rule):
    """A migration builds or drops an index, or adds a NOT NULL column, on an existing table with a lock.

    ## Why is this bad?
    On PostgreSQL, `op.create_index` runs `CREATE INDEX`, which blocks every write to the table
    until the whole index is built: minutes on a big table, during which the application's
    inserts and updates queue up and time out. `op.drop_index` takes an exclusive lock that also
    blocks reads, and waits behind every running query to get it. `CREATE INDEX CONCURRENTLY`
    (`postgresql_concurrently=True`) builds the index without blocking writes, but cannot run
    inside a transaction: Alembic runs each migration in one, so the call must sit in
    `with op.get_context().autocommit_block():`. `op.create_unique_constraint` builds its unique
    index under an exclusive lock too; build the index concurrently instead (and attach the
    constraint with `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX` where one is needed).

    `op.add_column` of a `nullable=False` column (a primary key counts) without a
    `server_default` fails on a table that has rows: the existing rows have no value for it. A
    Python-side `default=` does not help them. Add the column nullable, backfill it, then make it
    `NOT NULL`; or give it a `server_default` (instant on PostgreSQL 11+).

    PostgreSQL-specific and off by default: enable it with `extend-select = ["FL604"]`. Only
    `upgrade()` of an Alembic revision file is read (and the file's functions it calls), with
    `op` imported from `alembic`. Not reported:
    - tables created, emptied (`DELETE FROM t` without a `WHERE`, `TRUNCATE t`, also under the
      name an `op.rename_table` gives them) or dropped in the same revision;
    - `op.drop_index` on a table the revision also alters (`add_column`, `drop_column`,
      `alter_column`, constraints): that `ALTER TABLE` holds the same exclusive lock until the
      migration commits, so a concurrent drop would gain nothing;
    - concurrent operations in a helper that `upgrade()` calls inside the autocommit block, or in
      a migration that leaves its transaction itself (`dbapi_connection.autocommit = True`,
      `isolation_level="AUTOCOMMIT"`);
    - code under a test of the dialect that excludes PostgreSQL (`if dialect.name == "sqlite":`),
      revisions in a folder named for another dialect (`versions/sqlite/`), histories whose
      revisions name other databases (`mysql`, `sqlite`, ...) and never PostgreSQL, and projects
      whose `sql-dialect` is set to another dialect than `postgres`.

    `op.batch_alter_table(...)` emits the same plain `ALTER TABLE` and `CREATE INDEX`
    statements on PostgreSQL (it only recreates tables on SQLite), so `batch_op.add_column`,
    `batch_op.create_index`, `batch_op.drop_index` and `batch_op.create_unique_constraint` are
    reported like their `op.` forms; to build the index concurrently, move it out of the batch.
    A `recreate="always"` batch copies the whole table anyway: its index operations are not
    reported, its NOT NULL columns are (the copy of the existing rows fails the same way).

    ## Example
    ```python
    import sqlalchemy as sa
    from alembic import op

    revision = "b2c3d4e5f6a7"
    down_revision = "a1b2c3d4e5f6"


    def upgrade() -> None:
        op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
        op.add_column("orders", sa.Column("currency", sa.String(3), nullable=False))


    def downgrade() -> None:
        op.drop_column("orders", "currency")
        op.drop_index("ix_orders_customer_id", table_name="orders")
    ```

    ## Use instead
    ```python
    import sqlalchemy as sa
    from alembic import op

    revision = "b2c3d4e5f6a7"
    down_revision = "a1b2c3d4e5f6"


    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.create_index("ix_orders_customer_id", "orders", ["customer_id"], postgresql_concurrently=True)
        op.add_column("orders", sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"))


    def downgrade() -> None:
        op.drop_column("orders", "currency")
        op.drop_index("ix_orders_customer_id", table_name="orders")
    ```

    ## References
    - [PostgreSQL: CREATE INDEX, building indexes concurrently](https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY)
    - [PostgreSQL: ALTER TABLE ADD COLUMN](https://www.postgresql.org/docs/current/sql-altertable.html)
    - [PostgreSQL: explicit locking, table-level locks](https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES)
    - [Alembic: create_index (`postgresql_concurrently`)](https://alembic.sqlalchemy.org/en/latest/ops.html#alembic.operations.Operations.create_index)
    - [Alembic: MigrationContext.autocommit_block](https://alembic.sqlalchemy.org/en/latest/api/runtime.html#alembic.runtime.migration.MigrationContext.autocommit_block)
    - [Alembic: batch migrations](https://alembic.sqlalchemy.org/en/latest/batch.html)
    """

    code = "FL604"
    name = "non-concurrent-index"
    message = "`{call}` {what}"
    fix_hint = "{fix}"
    default_enabled = False
    requires = ("create_index", "drop_index", "add_column", "create_unique_constraint")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._on = False
        self._functions: dict[str, cst.FunctionDef] = {}
        #: the revision file's top-level function the walk is in, and its def node
        self._function: str | None = None
        self._function_node: cst.FunctionDef | None = None
        #: top-level function -> (a function of the file it calls, whether in an autocommit block)
        self._calls: dict[str, set[tuple[str, bool]]] = {}
        #: top-level function -> the tables it creates, empties or drops; the tables it renames
        self._new_tables: dict[str, set[str]] = {}
        self._renames: dict[str, list[tuple[str, str]]] = {}
        #: top-level function -> the tables it alters with an ACCESS EXCLUSIVE lock
        self._altered: dict[str, set[str]] = {}
        self._candidates: list[_Candidate] = []
        self._batches: list[_Batch] = []
        self._with_batches: dict[int, int] = {}  # id(With) -> how many batches it opened
        self._autocommit: list[int] = []  # ids of the `with ...autocommit_block():` statements
        #: functions that switch the connection to autocommit by hand (`dbapi_conn.autocommit = True`)
        self._switches: set[str] = set()
        #: blocks (and `elif` statements) that run only on a dialect other than PostgreSQL
        self._other_dialect_blocks: set[int] = set()
        self._other_dialect_depth = 0
        #: the blocks (ids) that enclose the node, from the function's body in
        self._blocks: list[int] = []
        #: tables emptied inside a nested block: (function, table, the blocks enclosing it)
        self._emptied: list[tuple[str, str, tuple[int, ...]]] = []

    # -- where the walk is -----------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        revision = self.ctx.revision
        folders = {part.lower() for part in self.ctx.relpath.split("/")[:-1]}
        dialect = getattr(self.ctx.settings, "sql_dialect", None)
        postgres = dialect is None or dialect.lower() in _POSTGRES
        self._on = revision is not None and postgres and not folders & _OTHER_DIALECTS
        self._functions = revision.functions if revision is not None else {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._on and self._function is None and self._functions.get(node.name.value) is node:
            self._function, self._function_node = node.name.value, node

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if original_node is self._function_node:
            self._function = self._function_node = None

    def visit_If(self, node: cst.If) -> None:
        if self._function is None:
            return
        if id(node) in self._other_dialect_blocks:  # an `elif` under a branch without PostgreSQL
            self._other_dialect_depth += 1
        branches = _dialect_branches(self.ctx.model, node.test)
        if branches is None:
            return
        body_other, else_other = branches
        if body_other:
            self._other_dialect_blocks.add(id(node.body))
        if else_other and node.orelse is not None:
            target = node.orelse.body if isinstance(node.orelse, cst.Else) else node.orelse
            self._other_dialect_blocks.add(id(target))

    def leave_If(self, original_node: cst.If) -> None:
        if id(original_node) in self._other_dialect_blocks:
            self._other_dialect_depth -= 1

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_block(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._leave_block(original_node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_block(node)

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_block(original_node)

    def _enter_block(self, node: cst.BaseSuite) -> None:
        if self._function is not None:
            self._blocks.append(id(node))
        if id(node) in self._other_dialect_blocks:
            self._other_dialect_depth += 1

    def _leave_block(self, node: cst.BaseSuite) -> None:
        if self._blocks and self._blocks[-1] == id(node):
            self._blocks.pop()
        if id(node) in self._other_dialect_blocks:
            self._other_dialect_depth -= 1

    def visit_With(self, node: cst.With) -> None:
        if self._function is None:
            return
        model = self.ctx.model
        opened = 0
        for item in node.items:
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "autocommit_block":
                self._autocommit.append(id(node))
            elif ref_of(model.callee(call)) == _OP + "batch_alter_table" and item.asname is not None:
                name = item.asname.name
                if isinstance(name, cst.Name):
                    table = argument(call, 0, "table_name")
                    recreate = argument(call, None, "recreate")
                    always = recreate is not None and _string(model, recreate) == "always"
                    self._batches.append(_Batch(name.value, self._table(table), always))
                    opened += 1
        if opened:
            self._with_batches[id(node)] = opened

    def leave_With(self, original_node: cst.With) -> None:
        if self._autocommit and self._autocommit[-1] == id(original_node):
            self._autocommit.pop()
        for _ in range(self._with_batches.pop(id(original_node), 0)):
            self._batches.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        # `dbapi_connection.autocommit = True`: the migration leaves its transaction by hand
        if self._function is not None and _is_name(node.value, "True"):
            if any(isinstance(t.target, cst.Attribute) and t.target.attr.value == "autocommit" for t in node.targets):
                self._switches.add(self._function)

    def visit_Arg(self, node: cst.Arg) -> None:
        # `connection.execution_options(isolation_level="AUTOCOMMIT")`
        if self._function is not None and node.keyword is not None and node.keyword.value == "isolation_level":
            if isinstance(node.value, cst.SimpleString) and node.value.evaluated_value == "AUTOCOMMIT":
                self._switches.add(self._function)

    # -- the operations --------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        function = self._function
        if function is None or self._other_dialect_depth:
            return
        model = self.ctx.model
        callee = model.callee(node)
        target = ref_of(callee)
        if isinstance(node.func, cst.Name) and node.func.value in self._functions:
            if target == model.global_qualname(node.func.value):
                self._calls.setdefault(function, set()).add((node.func.value, bool(self._autocommit)))
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "execute" and node.args:
            emptied = self._emptied_table(node.args[0].value)
            if emptied is not None and len(self._blocks) <= 1:
                self._new_tables.setdefault(function, set()).add(emptied)
            elif emptied is not None:
                # `if context.is_offline_mode(): op.execute("DELETE ...")`: empty in that block only
                self._emptied.append((function, emptied, tuple(self._blocks)))
            return
        if target is not None and target.startswith(_OP):
            op = target[len(_OP):]
            if op in _ALTERS:
                altered = self._table(argument(node, _ALTERS[op], "table_name"))
                if altered is not None:
                    self._altered.setdefault(function, set()).add(altered)
            if op in ("create_table", "drop_table"):
                table = self._table(argument(node, 0, "table_name"))
                if table is not None:
                    self._new_tables.setdefault(function, set()).add(table)
            elif op == "rename_table":
                old, new = self._table(argument(node, 0, "old_table_name")), self._table(argument(node, 1, "new_table_name"))
                if old is not None and new is not None:
                    self._renames.setdefault(function, []).append((old, new))
            elif op in _INDEX_OPS:
                table = argument(node, 1, "table_name") or argument(node, None, "source")  # `source`: Alembic < 1.0
                self._index_op(node, op, self._table(table), None)
            elif op == "add_column":
                self._add_column(node, argument(node, 1, "column"), self._table(argument(node, 0, "table_name")), None)
            return
        batch = self._batch_of(node, callee)
        if batch is None:
            return
        op = callee[2]
        if op in _ALTERS and batch.table is not None:
            self._altered.setdefault(function, set()).add(batch.table)
        if op in _INDEX_OPS:
            self._index_op(node, op, batch.table, batch)
        elif op == "add_column":
            self._add_column(node, argument(node, 0, "column"), batch.table, batch)

    def _batch_of(self, node: cst.Call, callee: Desc) -> _Batch | None:
        """The batch whose operations object `node` calls a method of (`batch_op.add_column(...)`)."""
        if not (isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name)):
            return None
        if callee is None or callee[0] != "attr" or not isinstance(callee[1], list) or callee[1][0] != "enter":
            return None
        opened = callee[1][1]
        if not (isinstance(opened, list) and opened[0] == "call" and ref_of(opened[1]) == _OP + "batch_alter_table"):
            return None
        name = node.func.value.value
        return next((b for b in reversed(self._batches) if b.name == name), None)

    def _index_op(self, node: cst.Call, op: str, table: str | None, batch: _Batch | None) -> None:
        flag = argument(node, None, "postgresql_concurrently")
        concurrent = flag is not None and not (isinstance(flag, cst.Name) and flag.value in ("False", "None"))
        self._candidates.append(
            _Candidate(
                function=self._function or "",
                node=node,
                op=op,
                table=table,
                batch=batch is not None,
                recreate=batch is not None and batch.recreate,
                concurrent=concurrent,
                autocommit=bool(self._autocommit),
                blocks=tuple(self._blocks),
                index=_string(self.ctx.model, node.args[0].value) if node.args else None,
            )
        )

    def _add_column(self, node: cst.Call, column: cst.BaseExpression | None, table: str | None, batch: _Batch | None) -> None:
        name = self._not_null_without_server_default(column)
        if name is not None:
            self._candidates.append(
                _Candidate(
                    function=self._function or "",
                    node=node,
                    op="add_column",
                    table=table,
                    batch=batch is not None,
                    recreate=False,
                    concurrent=False,
                    autocommit=False,
                    blocks=tuple(self._blocks),
                    column=name,
                )
            )

    def _not_null_without_server_default(self, column: cst.BaseExpression | None) -> str | None:
        """The column's name (or its source) when `column` is a `NOT NULL` `Column(...)` without a
        `server_default` whose database would fill existing rows; None otherwise."""
        model = self.ctx.model
        if isinstance(column, cst.Name):
            column = _single_value(model, column.value)
        if not isinstance(column, cst.Call) or ref_of(model.describe(column.func)) not in _COLUMNS:
            return None
        keywords = {a.keyword.value: a.value for a in column.args if a.keyword is not None}
        server_default = keywords.get("server_default")
        if server_default is not None and not _is_name(server_default, "None"):
            return None
        nullable = keywords.get("nullable")
        primary_key = keywords.get("primary_key")
        if nullable is not None:
            if not _is_name(literal_of(model, nullable) or nullable, "False"):
                return None
        elif primary_key is None or not _is_name(literal_of(model, primary_key) or primary_key, "True"):
            return None
        for arg in column.args:
            if arg.keyword is None and isinstance(arg.value, cst.Call):
                func = arg.value.func
                called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
                if called in _GENERATED:
                    return None
        first = column.args[0].value if column.args and column.args[0].keyword is None else keywords.get("name")
        name = _string(model, first) if first is not None else None
        return name if name is not None else "?"

    def _emptied_table(self, statement: cst.BaseExpression) -> str | None:
        """The table `DELETE FROM t` / `TRUNCATE t` (no `WHERE`) empties, run by `op.execute(...)`
        or `connection.execute(sa.text(...))`: its index builds and NOT NULL columns are cheap."""
        if isinstance(statement, cst.Call) and statement.args and ref_of(self.ctx.model.callee(statement)) in _TEXT:
            statement = statement.args[0].value
        text = _string(self.ctx.model, statement)
        match = _EMPTIES.match(text) if text is not None else None
        return match.group(1) if match else None

    def _table(self, expr: cst.BaseExpression | None) -> str | None:
        if expr is None:
            return None
        text = _string(self.ctx.model, expr)
        if text is not None:
            return text
        return _EXPRESSION + " ".join(self.ctx.module.code_for_node(expr).split())[:40]

    # -- decided once the file is read -----------------------------------------------------------
    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._candidates:
            return
        # the functions `upgrade()` runs, each with whether some call path reaches it outside an
        # autocommit block (False) and inside one (True)
        start = ("upgrade", False)
        reached, todo = {start}, [start]
        while todo:
            function, autocommit = todo.pop()
            for callee, in_block in self._calls.get(function, ()):
                state = (callee, autocommit or in_block)
                if state not in reached:
                    reached.add(state)
                    todo.append(state)
        functions = {f for f, _ in reached}
        in_transaction = {f for f, autocommit in reached if not autocommit}
        new_tables = set().union(*(self._new_tables.get(f, set()) for f in functions))
        renames = [pair for f in functions for pair in self._renames.get(f, ())]
        for _ in renames:  # a new or emptied table keeps its rows (none) under its new name
            grown = {new for old, new in renames if old in new_tables} - new_tables
            if not grown:
                break
            new_tables |= grown
        switches = bool(self._switches & functions)
        altered = set().union(*(self._altered.get(f, set()) for f in functions))
        for c in self._candidates:
            if c.function not in functions or (c.table is not None and c.table in new_tables):
                continue
            if any(f == c.function and t == c.table and c.blocks[: len(b)] == b for f, t, b in self._emptied):
                continue
            if c.concurrent and (c.autocommit or c.function not in in_transaction or switches):
                continue
            if c.op == "drop_index" and c.table is None and c.index is not None:
                # `op.drop_index("ix_users_email")`: SQLAlchemy's naming convention `ix_<table>_<column>`
                c.table = next((t for t in sorted(altered | new_tables) if c.index.startswith(f"ix_{t}_")), None)
                if c.table in new_tables:
                    continue
            if c.op == "drop_index" and not c.concurrent and c.table in altered:
                continue  # the revision's `ALTER TABLE` takes the same lock until it commits
            self._report(c)

    def _report(self, c: _Candidate) -> None:
        call = self.ctx.snippet(c.node.func)
        if c.table is None:
            table = "an existing table"
        elif c.table.startswith(_EXPRESSION):
            table = f"an existing table (`{c.table[len(_EXPRESSION):]}`)"
        else:
            table = f"existing table `{c.table}`"
        if c.op == "add_column":
            what = f"adds NOT NULL column `{c.column}` to {table} without a `server_default`"
            self.report(c.node, when=self._history_may_use_postgres(), call=call, what=what, fix=_ADD_COLUMN_HINT)
        elif c.concurrent:
            what = "with `postgresql_concurrently=True` needs an autocommit block: it cannot run in a transaction"
            self.report(c.node, when=self._history_may_use_postgres(), call=call, what=what, fix=_AUTOCOMMIT_HINT)
        elif c.recreate:
            return  # a `recreate="always"` batch copies the table: no index is built or dropped in place
        elif c.op == "create_unique_constraint":
            self.report(c.node, when=self._history_may_use_postgres(), call=call, what=f"on {table} builds its unique index under a lock", fix=_UNIQUE_HINT)
        else:
            fix = _BATCH_HINT.format(op=c.op) if c.batch else _INDEX_HINT
            self.report(c.node, when=self._history_may_use_postgres(), call=call, what=f"on {table} without `postgresql_concurrently=True`", fix=fix)


    def _history_may_use_postgres(self) -> Cond:
        """Not a history whose revisions name only other databases (MySQL, SQLite...): a
        project that never runs on PostgreSQL is not locked by these operations."""
        return ~queries.is_alembic_history_without_postgres(self.ctx.history_folder)


def _is_name(node: cst.BaseExpression | None, value: str) -> bool:
    return isinstance(node, cst.Name) and node.value == value


def _string(model, expr: cst.BaseExpression) -> str | None:  # type: ignore[no-untyped-def]
    value = literal_of(model, expr)
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
        text = value.evaluated_value
        return text if isinstance(text, str) else None
    return None


def _single_value(model, name: str) -> cst.BaseExpression | None:  # type: ignore[no-untyped-def]
    values = [v for v in model.values_of(name) if isinstance(v, cst.BaseExpression)]
    return values[0] if len(values) == 1 else None


def _dialect_branches(model, test: cst.BaseExpression, depth: int = 0) -> tuple[bool, bool] | None:  # type: ignore[no-untyped-def]
    """Whether the body and the `else` of `if <test>:` run only on a dialect other than
    PostgreSQL, for a test of the dialect's name (`op.get_bind().dialect.name == "sqlite"`,
    `dialect_name != "postgresql"`, `dialect in ("mysql", "mssql")`, or a name bound to one:
    `is_postgres = conn.dialect.name == "postgresql"`); None for other tests."""
    if depth > 3:
        return None
    if isinstance(test, cst.Name):
        value = _single_value(model, test.value)
        return _dialect_branches(model, value, depth + 1) if value is not None else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _dialect_branches(model, test.expression, depth + 1)
        return (inner[1], inner[0]) if inner is not None else None
    if isinstance(test, cst.BooleanOperation):
        left, right = _dialect_branches(model, test.left, depth + 1), _dialect_branches(model, test.right, depth + 1)
        if isinstance(test.operator, cst.And):
            # `if dialect == "sqlite" and ...:` the body runs on SQLite only
            body = bool(left and left[0]) or bool(right and right[0])
            return (body, False) if body else None
        # `if dialect == "sqlite" or dialect == "mysql":` the else runs on neither
        body = bool(left and left[0]) and bool(right and right[0])
        orelse = bool(left and left[1]) or bool(right and right[1])
        return (body, orelse) if body or orelse else None
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    operator = target.operator
    if isinstance(operator, (cst.Equal, cst.In)):
        inside = True
    elif isinstance(operator, (cst.NotEqual, cst.NotIn)):
        inside = False
    else:
        return None
    names = _dialect_names(target.comparator)
    subject = test.left
    if names is None and isinstance(operator, (cst.Equal, cst.NotEqual)):
        names, subject = _dialect_names(test.left), target.comparator
    if names is None or not _mentions_dialect(subject):
        return None
    postgres = bool(names & _POSTGRES)
    # `==`/`in`: the body runs when the dialect is one of `names`, the else when it is not
    return (not postgres, postgres) if inside else (postgres, not postgres)


def _dialect_names(node: cst.BaseExpression) -> set[str] | None:
    values = [node]
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        values = [e.value for e in node.elements]
    names = set()
    for value in values:
        if not isinstance(value, cst.SimpleString) or not isinstance(value.evaluated_value, str):
            return None
        names.add(value.evaluated_value.lower())
    return names if names and names <= _DIALECTS else None


def _mentions_dialect(node: cst.BaseExpression) -> bool:
    """The expression reads a dialect's name: `conn.dialect.name`, `dialect_name`, `bind.engine.name`."""
    while True:
        if isinstance(node, cst.Name):
            return "dialect" in node.value.lower()
        if isinstance(node, cst.Attribute):
            if "dialect" in node.attr.value.lower():
                return True
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return False
