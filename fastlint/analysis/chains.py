"""Method chains (`session.query(User).filter(...).all()`) read syntactically."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

#: Methods that run a statement on a session or connection: their presence in a chain is
#: SQLAlchemy's API shape even when the receiver's type cannot be resolved (an untyped parameter).
EXECUTING_METHODS = frozenset({"query", "scalars", "scalar", "execute", "exec"})


def chain_calls(expr: cst.BaseExpression) -> Iterator[cst.Call]:
    """The calls of a method chain, outermost first: `a.b(1).c(2)` gives `c(2)` then `b(1)`."""
    node = expr
    while True:
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.Call):
            yield node
            node = node.func
        elif isinstance(node, cst.Attribute):
            node = node.value
        else:
            return


def method_name(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def chain_root(expr: cst.BaseExpression) -> cst.BaseExpression:
    """What a chain starts from: `session` in `session.query(User).all()`."""
    node = expr
    while True:
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            node = node.value
        else:
            return node


def looks_like_query_chain(expr: cst.BaseExpression) -> bool:
    """A chain that runs a statement (`x.query(M)...`, `x.scalars(stmt)`, `x.execute(stmt)`)."""
    return any(method_name(c) in EXECUTING_METHODS and c.args for c in chain_calls(expr))


def unwrap_col(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`col(Hero.name)` (SQLModel's typing helper) is `Hero.name`."""
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value == "col"
        and len(expr.args) == 1
        and expr.args[0].keyword is None
    ):
        return expr.args[0].value
    return expr


#: Statement builders and SQL verbs that write or change the schema.
_WRITE_BUILDERS = frozenset({"update", "delete", "insert", "values", "returning", "on_conflict_do_nothing", "on_conflict_do_update"})
_WRITE_VERBS = frozenset({
    "insert", "update", "delete", "merge", "upsert", "replace", "create", "alter", "drop", "truncate",
    "grant", "revoke", "comment", "vacuum", "analyze", "reindex", "refresh", "lock", "copy", "call",
})


def _leading_word(expr: cst.BaseExpression) -> str | None:
    """The first SQL word of a literal: `"DELETE FROM t"` gives "delete"."""
    if isinstance(expr, cst.ConcatenatedString):
        return _leading_word(expr.left)
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
    elif isinstance(expr, cst.FormattedString):
        first = expr.parts[0] if expr.parts else None
        text = first.value if isinstance(first, cst.FormattedStringText) else ""
    else:
        return None
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    words = text.split(None, 1)
    return words[0].lower().rstrip("(;") if words else None


def is_write_statement(expr: cst.BaseExpression, values_of=None, depth: int = 0) -> bool:  # type: ignore[no-untyped-def]
    """A statement that writes or changes the schema: `update(M)...`, `delete(M).where(...)`,
    `insert(M).values(rows).returning(...)`, `table.update()`, `text("DELETE FROM ...")`, a
    `"DROP TABLE ..."` string; with `values_of`, also one built in a local variable."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return _leading_word(expr) in _WRITE_VERBS
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return is_write_statement(expr.left, values_of, depth + 1)  # `"DROP TABLE " + name`
    for call in chain_calls(expr):
        func = call.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if name in _WRITE_BUILDERS and (call.args or name != "values"):  # not `dict.values()`
            return True
        if name in ("text", "SQL") and call.args and _leading_word(call.args[0].value) in _WRITE_VERBS:
            return True
        if isinstance(func, cst.Name) and name != "text" and depth < 3 and values_of is not None:
            # a wrapper given a write statement returns one: `_filtered(upd, col)`
            if any(is_write_statement(a.value, values_of, depth + 1) for a in call.args if not isinstance(a.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))):
                return True
    if values_of is not None and depth < 3:
        root = chain_root(expr)
        if isinstance(root, cst.Name):
            return any(
                isinstance(v, cst.BaseExpression) and is_write_statement(v, values_of, depth + 1)
                for v in values_of(root.value)
            )
    return False


_SEQUENCES = (tuple, list)
#: (node class, which fields hold something) -> the fields `.children` visits, in its order
_CHILD_FIELDS: dict[tuple[type, int], tuple[str, ...]] = {}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def _is_node(value: object) -> bool:
    """`isinstance(value, cst.CSTNode)`, memoised per type (CSTNode is an ABC: isinstance is slow)."""
    kind = type(value)
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = isinstance(value, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children` (its child nodes in source order), without LibCST's visitor machinery
    (about ten times faster). The order of a class's fields in `.children` depends only on the
    class and on which fields hold a node: it is learned from `.children` itself the first time
    a class shows a combination, and reused after."""
    cls = type(node)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        import dataclasses

        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    values = [getattr(node, name) for name in names]
    present = 0
    for i, value in enumerate(values):
        if _is_node(value) or (type(value) in _SEQUENCES and value):
            present |= 1 << i
    order = _CHILD_FIELDS.get((cls, present))
    if order is None:
        return _learn(node, cls, names, values, present)
    out: list[cst.CSTNode] = []
    for name in order:
        value = getattr(node, name)
        if type(value) in _SEQUENCES:
            out.extend(v for v in value if _is_node(v))
        elif _is_node(value):
            out.append(value)
    return out


def _learn(node: cst.CSTNode, cls: type, names: tuple[str, ...], values: list[object], present: int) -> list[cst.CSTNode]:
    exact = list(node.children)
    owner: dict[int, str] = {}
    for name, value in zip(names, values):
        if type(value) in _SEQUENCES:
            for v in value:  # type: ignore[union-attr]
                owner[id(v)] = name
        elif _is_node(value):
            owner[id(value)] = name
    order: list[str] = []
    for child in exact:
        name = owner.get(id(child))
        if name is None:
            return exact  # a child that is no field's value: do not learn this class
        if name not in order:
            order.append(name)
        elif order[-1] != name:
            return exact  # a field visited in two places: do not learn it
    _CHILD_FIELDS[(cls, present)] = tuple(order)
    return exact


def nodes_in_order(node: cst.CSTNode, *, enter_scopes: bool = True) -> Iterator[cst.CSTNode]:
    """The nodes under `node` (itself first) in source order. With `enter_scopes=False`, nested
    functions, classes and lambdas are yielded but not entered."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if not enter_scopes and item is not node and isinstance(item, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(reversed(children(item)))


def calls_in(node: cst.CSTNode) -> list[cst.Call]:
    """Every call inside `node` (nested functions and lambdas included)."""
    out: list[cst.Call] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Call):
            out.append(item)
        stack.extend(children(item))
    return out


def returned_values(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    """The values of the function's own `return` statements (not those of nested functions)."""
    out: list[cst.BaseExpression] = []
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Return):
            if item.value is not None:
                out.append(item.value)
        elif not isinstance(item, (cst.FunctionDef, cst.ClassDef, cst.BaseExpression)):
            stack.extend(children(item))
    return out
