from __future__ import annotations

import libcst as cst

from fastlint.analysis.alembic import changes_structure, is_empty_body
from fastlint.analysis.model import ref_of
from fastlint.rule import Rule


class EmptyDowngrade(Rule):
    """A migration's `downgrade()` does nothing while its `upgrade()` changes the schema.

    ## Why is this bad?
    A rollback is the plan for a bad deployment. With an empty `downgrade()`, `alembic downgrade
    -1` reports success and changes nothing: the code rolls back, the schema does not, and the
    old code meets columns, tables and constraints it does not know. The revision is also
    recorded as downgraded, so the history no longer tells the truth about the database.

    Write the inverse operations (autogenerate writes them for you), or, when a change cannot be
    undone (a dropped column's data), say so: `raise NotImplementedError("irreversible: ...")`
    fails the rollback loudly instead of lying. Reported when `downgrade()` holds only `pass`,
    `...`, a docstring or comments and `upgrade()` adds, drops or renames a schema object
    (`op.add_column`, `op.create_table`, `op.create_index`, `batch_op.drop_column`...,
    `op.execute("CREATE TABLE ...")`): the next `alembic upgrade` then fails on an object that
    already exists, or the older code misses one it uses. Not reported: data migrations
    (`op.execute("UPDATE ...")`, rows fixed through `op.get_bind()`), in-place column changes
    (`alter_column`), idempotent DDL (`CREATE ... IF NOT EXISTS`, `ALTER TYPE ... ADD VALUE`),
    which have nothing that must be undone, and merge revisions.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade() -> None:
        op.add_column("users", sa.Column("phone", sa.String(32)))


    def downgrade() -> None:
        pass
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade() -> None:
        op.add_column("users", sa.Column("phone", sa.String(32)))


    def downgrade() -> None:
        op.drop_column("users", "phone")
    ```

    ## References
    - [Alembic tutorial: running our second migration (downgrades)](https://alembic.sqlalchemy.org/en/latest/tutorial.html#downgrading)
    - [Alembic: operation reference](https://alembic.sqlalchemy.org/en/latest/ops.html)
    """

    code = "FL602"
    name = "empty-downgrade"
    message = "`downgrade()` of revision `{revision}` does nothing, but `upgrade()` adds, drops or renames schema objects: a rollback would leave them and the next upgrade fails"
    fix_hint = "Write the inverse operations, or `raise NotImplementedError(...)` for a change that cannot be undone"
    requires = ("downgrade",)

    def leave_Module(self, original_node: cst.Module) -> None:
        revision = self.ctx.revision
        if revision is None or revision.upgrade is None or revision.downgrade is None:
            return
        if not is_empty_body(revision.downgrade):
            return
        model = self.ctx.model
        if changes_structure(revision.upgrade, lambda call: (ref_of(model.callee(call)) or "").startswith("alembic.op.")):
            self.report(revision.downgrade.name, revision=revision.revision)
