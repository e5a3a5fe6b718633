from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.rule import Lookup, Rule


class AlembicMultipleHeads(Rule):
    """The Alembic history has more than one head.

    ## Why is this bad?
    Two revisions that follow the same parent (two branches merged into `main`, each with its own
    `alembic revision`) leave the history with two heads. `alembic upgrade head` then stops with
    "Multiple head revisions are present", so the next deployment fails, and the two migrations'
    order is undefined until someone decides it. The fix is one command,
    `alembic merge heads -m "merge"`, which writes a revision whose `down_revision` is the tuple
    of both heads.

    fastlint builds the history from every revision file it reads, wherever it sits (any
    `script_location` or `version_locations` folder: a file is a revision when it binds
    `revision` and `down_revision` and defines `upgrade()`), and reports at each head's
    `revision = ...` line. Folders whose revisions name each other's ids form one history.
    Heads on differently labelled branches (`branch_labels`) are separate on purpose and not
    reported. On a run over some files only (a pre-commit hook's changed files), the other
    revision files of their folders are read too, so the history is whole.

    ## Example
    ```python
    # file: versions/a1_create_users.py
    from alembic import op

    revision = "a1"
    down_revision = None


    def upgrade() -> None:
        op.create_table("users")


    # file: versions/b2_add_email.py
    from alembic import op

    revision = "b2"
    down_revision = "a1"


    def upgrade() -> None:
        op.execute("ALTER TABLE users ADD COLUMN email text")


    # file: versions/c3_add_phone.py
    from alembic import op

    revision = "c3"
    down_revision = "a1"


    def upgrade() -> None:
        op.execute("ALTER TABLE users ADD COLUMN phone text")
    ```

    ## Use instead
    ```python
    # file: versions/a1_create_users.py
    from alembic import op

    revision = "a1"
    down_revision = None


    def upgrade() -> None:
        op.create_table("users")


    # file: versions/b2_add_email.py
    from alembic import op

    revision = "b2"
    down_revision = "a1"


    def upgrade() -> None:
        op.execute("ALTER TABLE users ADD COLUMN email text")


    # file: versions/c3_add_phone.py
    from alembic import op

    revision = "c3"
    down_revision = "a1"


    def upgrade() -> None:
        op.execute("ALTER TABLE users ADD COLUMN phone text")


    # written by `alembic merge heads`:
    # file: versions/d4_merge.py
    revision = "d4"
    down_revision = ("b2", "c3")


    def upgrade() -> None:
        pass
    ```

    ## References
    - [Alembic: working with branches, merging](https://alembic.sqlalchemy.org/en/latest/branches.html#merging-branches)
    - [Alembic: multiple heads](https://alembic.sqlalchemy.org/en/latest/branches.html#working-with-multiple-bases)
    """

    code = "FL601"
    name = "alembic-multiple-heads"
    message = "Revision `{revision}` is a head of the migration history beside {others}: `alembic upgrade head` will refuse to run"
    fix_hint = "Merge the heads: `alembic merge heads -m \"merge heads\"`"
    requires = ("down_revision",)

    def leave_Module(self, original_node: cst.Module) -> None:
        revision = self.ctx.revision
        if revision is None or revision.revision is None or revision.revision_node is None:
            return
        folder = self.ctx.history_folder
        self.report(
            revision.revision_node,
            when=queries.is_alembic_extra_head(folder, revision.revision),
            revision=revision.revision,
            others=Lookup("alembic_heads", (folder, revision.revision)),
        )
