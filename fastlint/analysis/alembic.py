"""Alembic revision files, recognised by what they contain rather than where they sit.

A revision module binds `revision` to a string and `down_revision` to a string, a tuple of
strings (a merge) or None (a root) at module level, and defines `upgrade()`. That holds in any
`script_location` or `version_locations` folder an `alembic.ini` may name, so no folder
convention is needed. `revision_of` reads those bindings once per file; the model keeps them as
the file's facts (see `ModuleModel`), from which the project index builds the history graph
without re-parsing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import re

import libcst as cst

from fastlint.analysis.chains import children


@dataclass
class Revision:
    """The bindings of one revision file."""

    revision: str | None = None
    revision_node: cst.CSTNode | None = None
    #: the revisions this one follows: () for a root, two or more for a merge
    down: tuple[str, ...] = ()
    down_node: cst.CSTNode | None = None
    has_down: bool = False
    depends_on: tuple[str, ...] = ()
    depends_node: cst.CSTNode | None = None
    branch_labels: tuple[str, ...] = ()
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)

    @property
    def upgrade(self) -> cst.FunctionDef | None:
        return self.functions.get("upgrade")

    @property
    def downgrade(self) -> cst.FunctionDef | None:
        return self.functions.get("downgrade")

    def facts(self) -> dict[str, object]:
        """What the project index needs, as JSON-able data."""
        return {
            "revision": self.revision,
            "down": list(self.down),
            "depends": list(self.depends_on),
            "labels": list(self.branch_labels),
        }


_NAMES = ("revision", "down_revision", "depends_on", "branch_labels")


def revision_of(module: cst.Module) -> Revision | None:
    """The revision a module declares, or None when it is not an Alembic revision file."""
    found = Revision()
    seen: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            found.functions[statement.name.value] = statement
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            else:
                continue
            if not isinstance(target, cst.Name) or target.value not in _NAMES:
                continue
            name = target.value
            strings = _strings(value)
            seen.add(name)
            if name == "revision":
                found.revision = strings[0] if strings and len(strings) == 1 else None
                found.revision_node = statement
            elif name == "down_revision":
                found.down = tuple(strings or ())
                found.down_node = statement
                found.has_down = strings is not None
            elif name == "depends_on":
                found.depends_on = tuple(strings or ())
                found.depends_node = statement
            else:
                found.branch_labels = tuple(strings or ())
    if "revision" not in seen or "down_revision" not in seen or found.revision is None or "upgrade" not in found.functions:
        return None
    return found


def _strings(value: cst.BaseExpression) -> list[str] | None:
    """`"abc"` -> ["abc"], `("a", "b")` -> ["a", "b"], `None` -> []; None when not a literal."""
    if isinstance(value, cst.Name) and value.value == "None":
        return []
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
        text = value.evaluated_value
        return [text] if isinstance(text, str) else None
    if isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        out: list[str] = []
        for element in value.elements:
            inner = _strings(element.value)
            if inner is None:
                return None
            out.extend(inner)
        return out
    return None


def is_empty_body(function: cst.FunctionDef) -> bool:
    """The function does nothing: only `pass`, `...` and docstrings (comments are not nodes)."""
    body = function.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        smalls = statement.body if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else None
        if smalls is None:
            return False
        for small in smalls:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                continue
            return False
    return True


#: `alembic.op` (and batch-mode) operations that add, drop or rename a schema object: left in
#: place by a downgrade that does nothing, they make the next `upgrade` fail ("already exists",
#: "does not exist") or leave the older code without an object it uses. Changing a column's
#: type, nullability or comment (`alter_column`) is not among them: running it again works.
STRUCTURAL_OPS = frozenset(
    {
        "add_column", "drop_column", "create_table", "drop_table", "rename_table",
        "create_index", "drop_index", "create_unique_constraint", "create_foreign_key",
        "create_primary_key", "create_check_constraint", "create_exclude_constraint", "drop_constraint",
    }
)
#: raw DDL of the same kind; `CREATE ... IF NOT EXISTS` and `ALTER TYPE ... ADD VALUE` (an enum
#: value, which PostgreSQL cannot remove) run again without harm
_STRUCTURAL_DDL = re.compile(
    r"^\s*(create\s+(unique\s+)?(table|index|view|materialized\s+view|sequence|type)\b(?!.*\bif\s+not\s+exists\b)"
    r"|drop\s+(table|index|view|materialized\s+view|sequence|type|constraint)\b"
    r"|alter\s+table\s+\S+\s+(add|drop|rename)\b"
    r"|rename\b)",
    re.IGNORECASE | re.DOTALL,
)


def changes_structure(function: cst.FunctionDef, is_alembic_op) -> bool:  # type: ignore[no-untyped-def]
    """The function adds, drops or renames a schema object: `op.add_column(...)`,
    `batch_op.drop_column(...)` in a `batch_alter_table` block, `op.execute("CREATE TABLE ...")`.
    Data migrations (`op.execute("UPDATE ...")`, rows fixed through `op.get_bind()`) and
    in-place column changes do not. `is_alembic_op(call)` tells whether a call is an
    `alembic.op` function."""
    batch_names: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.WithItem) and isinstance(item.asname, cst.AsName) and isinstance(item.asname.name, cst.Name):
            if isinstance(item.item, cst.Call) and isinstance(item.item.func, cst.Attribute) and item.item.func.attr.value == "batch_alter_table":
                batch_names.add(item.asname.name.value)
        if isinstance(item, cst.Call) and isinstance(item.func, cst.Attribute):
            method = item.func.attr.value
            receiver = item.func.value
            from_op = is_alembic_op(item) or (isinstance(receiver, cst.Name) and receiver.value in batch_names)
            if from_op and method in STRUCTURAL_OPS:
                return True
            if from_op and method == "execute" and item.args:
                first = item.args[0].value
                if isinstance(first, cst.Call) and first.args:  # `op.execute(sa.text("..."))`
                    first = first.args[0].value
                if isinstance(first, (cst.SimpleString, cst.ConcatenatedString)):
                    text = first.evaluated_value
                    if isinstance(text, str) and _STRUCTURAL_DDL.search(text):
                        return True
        stack.extend(children(item))
    return False
