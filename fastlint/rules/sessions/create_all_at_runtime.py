from __future__ import annotations

import libcst as cst

from fastlint.analysis import known, queries
from fastlint.analysis.model import decorator_names
from fastlint.conditions import TRUE
from fastlint.rule import Rule

#: A function that also runs Alembic is initialising a fresh database the documented way.
ALEMBIC_CALLS = ("alembic.command.stamp", "alembic.command.upgrade", ".stamp")


class CreateAllAtRuntime(Rule):
    """`metadata.create_all()` runs in application code instead of a migration.

    ## Why is this bad?
    `create_all()` only creates tables that do not exist yet: it never alters a table whose model
    changed, never adds an index or a column to an existing table, and never records a version.
    Run at start-up, it hides schema drift until a query fails in production, races when several
    workers start at once, and makes the database's schema depend on which code version booted
    first. Schema changes belong in Alembic migrations (`alembic revision --autogenerate`,
    `alembic upgrade head`), applied once per deployment.

    fastlint reports calls the running application makes: at import time of an application module,
    in start-up code (lifespan, `on_event("startup")`, `on_startup=`), in request code, and in what
    those call. Not reported: tests, `conftest.py`, scripts (`scripts/`, `manage.py`, `__main__`
    blocks, CLI commands), Alembic folders, helpers the application never calls, and Alembic's
    recipe for a fresh database: `create_all()` followed by `alembic.command.stamp` (or `upgrade`,
    or a `.stamp(...)` method of a project wrapper) in the same function or one it calls.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    engine = create_engine("postgresql://localhost/app")
    Base.metadata.create_all(bind=engine)
    app = FastAPI()
    ```

    ## Use instead
    ```python
    from fastapi import FastAPI

    # Tables are created and migrated by Alembic: `alembic upgrade head` in the deployment.
    app = FastAPI()
    ```

    ## References
    - [Alembic: auto generating migrations](https://alembic.sqlalchemy.org/en/latest/autogenerate.html)
    - [SQLAlchemy: MetaData.create_all](https://docs.sqlalchemy.org/en/20/core/metadata.html#sqlalchemy.schema.MetaData.create_all)
    - [FastAPI: SQL databases ("in production you would probably use a migration script")](https://fastapi.tiangolo.com/tutorial/sql-databases/#create-the-tables)
    """

    code = "FL106"
    name = "create-all-at-runtime"
    message = "`{call}` creates tables from application code"
    fix_hint = "Manage the schema with Alembic migrations (`alembic revision --autogenerate`, `alembic upgrade head`)"
    requires = ("create_all",)

    def __init__(self, ctx, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._command_depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._command_depth or _is_cli_command(self.ctx.model.defining):
            self._command_depth += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._command_depth:
            self._command_depth -= 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "create_all" or self._command_depth or self.ctx.model.main_block_depth:
            return
        if not self.ctx.is_application_code:
            return
        receiver = node.value
        is_metadata = queries.has_kind(self.ctx.model.describe(receiver), {known.METADATA})
        # `<anything>.metadata.create_all` is SQLAlchemy's API shape even when the owner of
        # `metadata` cannot be resolved (e.g. `self.base.metadata`).
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "metadata":
            is_metadata = TRUE
        if is_metadata.is_false:
            return
        function = self.ctx.model.function
        if function is not None:
            runs = queries.is_runtime_code(function.qualname) & ~queries.calls_into(function.qualname, ALEMBIC_CALLS, 1)
            is_metadata = is_metadata & runs
        self.report(node, when=is_metadata, call=self.ctx.snippet(node, "()"))


def _is_cli_command(function: object) -> bool:
    """A click/typer command (``@cli.command()``, ``@app.command()``, ``@click.command()``)."""
    if function is None:
        return False
    for name in decorator_names(function.facts):  # type: ignore[attr-defined]
        if name.rsplit(".", 1)[-1] in ("command", "callback", "group") or name.startswith(("click.", "typer.")):
            return True
    return False
