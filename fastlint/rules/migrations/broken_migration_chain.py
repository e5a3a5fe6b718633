from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.rule import Rule


class BrokenMigrationChain(Rule):
    """A revision follows one that does not exist, shares its id with another, or closes a cycle.

    ## Why is this bad?
    Alembic walks the history through `down_revision` (and `depends_on`) links. A link to an id
    no revision declares (a file deleted or renamed, an id mistyped while resolving a merge
    conflict) makes every `alembic` command fail with "Can't locate revision"; two files with
    the same `revision` id make one of them silently shadow the other; a cycle makes the history
    unorderable. All three break the next deployment and usually surface only then.

    Reported at the offending line: the `down_revision`/`depends_on` that names a missing id
    (a branch label counts as present for `depends_on`), both `revision = ...` lines of a
    duplicate id, and the `down_revision` of each revision on a cycle. On a run over some files
    only, the other revision files of their folders are read too.

    ## Example
    ```python
    # file: versions/b2x_add_email.py
    revision = "b2x"
    down_revision = None


    def upgrade() -> None:
        pass


    # "b2" was renamed to "b2x" during a rebase
    # file: versions/c3_add_phone.py
    revision = "c3"
    down_revision = "b2"


    def upgrade() -> None:
        pass
    ```

    ## Use instead
    ```python
    # file: versions/b2x_add_email.py
    revision = "b2x"
    down_revision = None


    def upgrade() -> None:
        pass


    # file: versions/c3_add_phone.py
    revision = "c3"
    down_revision = "b2x"


    def upgrade() -> None:
        pass
    ```

    ## References
    - [Alembic: the migration environment and revision identifiers](https://alembic.sqlalchemy.org/en/latest/tutorial.html#create-a-migration-script)
    - [Alembic: dependencies between revisions](https://alembic.sqlalchemy.org/en/latest/branches.html#branch-dependencies)
    """

    code = "FL603"
    name = "broken-migration-chain"
    message = "{problem}"
    fix_hint = "Point `down_revision` at an existing revision id and keep ids unique (`alembic history` shows the chain)"
    requires = ("down_revision",)

    def leave_Module(self, original_node: cst.Module) -> None:
        revision = self.ctx.revision
        if revision is None or revision.revision is None:
            return
        folder = self.ctx.history_folder
        rev = revision.revision
        if revision.down_node is not None:
            for named in revision.down:
                self.report(
                    revision.down_node,
                    when=queries.is_alembic_missing(folder, named),
                    problem=f"`down_revision` names `{named}`, which no revision of this history declares",
                )
            if rev not in revision.down:
                self.report(
                    revision.down_node,
                    when=queries.is_alembic_in_cycle(folder, rev),
                    problem=f"Revision `{rev}` lies on a cycle of `down_revision` links",
                )
            else:
                self.report(revision.down_node, problem=f"Revision `{rev}` names itself as its `down_revision`")
        if revision.depends_node is not None:
            for named in revision.depends_on:
                self.report(
                    revision.depends_node,
                    when=queries.is_alembic_missing(folder, named),
                    problem=f"`depends_on` names `{named}`, which is no revision or branch label of this history",
                )
        if revision.revision_node is not None:
            self.report(
                revision.revision_node,
                when=queries.is_alembic_duplicate(folder, rev),
                problem=f"Revision id `{rev}` is declared by another revision file too",
            )
