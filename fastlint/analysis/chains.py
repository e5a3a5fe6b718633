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
