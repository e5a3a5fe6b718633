from __future__ import annotations

import re

import libcst as cst

from fastlint import sql
from fastlint.analysis import queries
from fastlint.analysis.alembic import revision_of
from fastlint.analysis.model import Desc, ref_of
from fastlint.analysis.names import dotted
from fastlint.conditions import TRUE, Cond
from fastlint.rule import Rule

#: Functions, classes and modules named for migrations are a project's own migration mechanism:
#: `migrate_v2()`, `run_migrations()`, `class Migrator`, `upgrade_schema()`, `m001_initial()`.
_MIGRATION_NAME = re.compile(r"migrat|^_*(?:upgrade|downgrade)(?:_|$)|^_*m\d+_", re.IGNORECASE)
#: Alembic objects that exist only while a migration runs.
_ALEMBIC_RUNTIME = ("alembic.op", "alembic.context")
#: Drivers of embedded SQLite files: a store that the component opening it owns (a cache, a
#: spool, an outbox), whose schema lives with that code, outside the application's migrations.
_EMBEDDED_DRIVERS = ("sqlite3.", "aiosqlite.")


class DdlAtRuntime(Rule):
    """Raw DDL (`CREATE`, `ALTER` or `DROP` of a table, index or column) runs from application code.

    ## Why is this bad?
    A schema change the application makes on its own, typically `CREATE TABLE IF NOT EXISTS` or
    `ALTER TABLE ... ADD COLUMN` run at start-up or on first use, is a migration without a
    version: nothing records which changes a database has had, nothing can downgrade them,
    `alembic revision --autogenerate` sees a schema that disagrees with the models, and several
    workers starting at once race to apply the same change (or block each other on table locks).
    Schema changes belong in migrations, applied once per deployment.

    fastlint classifies the SQL with sqlglot where it is run: `session.execute(text(...))`,
    `session.exec(...)`, `conn.exec_driver_sql(...)`, DB-API and asyncpg `execute`, with the text
    written in place or held in a local variable or module constant. It reports what the running
    application executes: at import time of an application module, in start-up code, in request
    code, and in what those call.

    Not reported: temporary tables (and dropping them), tables filled from a query (`CREATE TABLE
    t AS SELECT ...`), tables whose name is chosen at run time (one per tenant, collection or
    upload), views and extensions, embedded SQLite files opened with `sqlite3` or `aiosqlite` (a
    component's own cache or spool), DDL that is built but never run, tests, scripts, CLI commands
    and `__main__` blocks, Alembic revisions, `env.py` and Alembic's own `alembic_version` table,
    and a project's own migration code (`migrations.py`, `migrate_*()`, `upgrade_*()`,
    `m001_*()`, a `Migrator` class).

    ## Example
    ```python
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("postgresql://localhost/app")


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE users ADD COLUMN IF NOT EXISTS last_login TIMESTAMP"))
        yield


    app = FastAPI(lifespan=lifespan)
    ```

    ## Use instead
    ```python
    # migrations/versions/3f2a_add_last_login.py, applied with `alembic upgrade head`
    import sqlalchemy as sa
    from alembic import op

    revision = "3f2a"
    down_revision = "1b7c"


    def upgrade():
        op.add_column("users", sa.Column("last_login", sa.DateTime(), nullable=True))


    def downgrade():
        op.drop_column("users", "last_login")
    ```

    ## References
    - [Alembic: tutorial, create a migration script](https://alembic.sqlalchemy.org/en/latest/tutorial.html#create-a-migration-script)
    - [Alembic: operation reference](https://alembic.sqlalchemy.org/en/latest/ops.html)
    - [SQLAlchemy: textual SQL](https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text)
    """

    code = "FL605"
    name = "ddl-at-runtime"
    message = "`{change}` executed from application code"
    fix_hint = "Make the schema change an Alembic migration (`op.create_table`, `op.add_column`, ...)"
    requires = ("create", "alter", "drop")

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._migration_module: bool | None = None
        #: tables the file creates for data (temporary, or from a query): dropping one is cleanup
        self._transient: set[str] = set()
        #: (the executing call, "CREATE TABLE", the table or index, when it runs in the application)
        self._found: list[tuple[cst.Call, str, str, Cond]] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in sql.RUNNING_METHODS:
            return
        if not self.ctx.is_application_code or self.ctx.model.main_block_depth:
            return
        found = None
        for variant in self.ctx.sql.executed(node):
            # a table named at run time (one per tenant, collection or upload) holds data
            dynamic = [p.name for p in variant.sql.pieces if not _fixed_name(p)]
            for change in sql.schema_changes(variant.statements):
                if change.transient:
                    self._transient.add(change.names[0].lower())
                    continue
                named_at_run_time = any(p in name for name in change.names for p in dynamic)
                if found is None and not named_at_run_time and not _alembic_bookkeeping(change):
                    found = (change.label, sql.with_sources(change.names[0], variant.sql.pieces))
        if found is None or self._is_migration() or self._embedded(self.ctx.model.describe(func.value)):
            return
        function = self.ctx.model.function
        runs = queries.is_runtime_code(function.qualname) if function is not None else TRUE
        self._found.append((node, *found, runs))

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, label, name, runs in self._found:
            if label == "DROP TABLE" and name.lower() in self._transient:
                continue
            self.report(node, when=runs, change=f"{label} {name}")

    def _is_migration(self) -> bool:
        """An Alembic revision or environment, or code named for migrations."""
        if self._migration_module is None:
            model = self.ctx.model
            self._migration_module = (
                revision_of(self.ctx.module) is not None
                or any(q.startswith(_ALEMBIC_RUNTIME) for q in model.names.imports.values())
                or bool(_MIGRATION_NAME.search(model.module_name.rpartition(".")[2]))
            )
        return self._migration_module or any(
            _MIGRATION_NAME.search(scope.node.name.value)  # type: ignore[attr-defined]
            for scope in self.ctx.model.scopes
            if scope.kind in ("function", "class")
        )

    def _embedded(self, receiver: Desc, depth: int = 0) -> bool:
        """The statement runs on a connection of an embedded SQLite driver (`sqlite3`,
        `aiosqlite`), directly or through a cursor or an instance attribute bound in this file."""
        if not isinstance(receiver, list) or depth > 6:
            return False
        if receiver[0] == "attr" and isinstance(receiver[1], list) and receiver[1][:1] == ["inst"]:
            owner = ref_of(receiver[1][1])
            attrs = self.ctx.model.summary["classes"].get(owner, {}).get("attrs", {}) if owner else {}
            if self._embedded(attrs.get(receiver[2]), depth + 1):
                return True
        return any(
            (isinstance(part, str) and part.startswith(_EMBEDDED_DRIVERS)) or self._embedded(part, depth + 1)
            for part in receiver[1:]
        )


def _alembic_bookkeeping(change: sql.SchemaChange) -> bool:
    """A change of Alembic's own `alembic_version` table: migration tooling, not the schema."""
    return any(name.rsplit(".", 1)[-1].strip('"`').lower() == "alembic_version" for name in change.names)


def _fixed_name(piece: sql.Piece) -> bool:
    """A table name the code fixes: a literal or constant, a model's `__tablename__` or
    `__table__.name`, an UPPER_CASE attribute; not `self.name` of an object made at run time."""
    if not piece.constant:
        return False
    node = piece.node
    return not isinstance(node, cst.Attribute) or "__table" in (dotted(node) or "") or node.attr.value.isupper()
