"""Small syntactic patterns shared by the model and the rules."""

from __future__ import annotations

import libcst as cst

from fastlint.analysis.names import dotted


def calls_in(value: cst.BaseExpression) -> list[tuple[cst.Call, bool]]:
    """Calls whose result `value` can be: itself, either side of `or`/`and`, either branch of
    `x if c else y`, under `await`. The flag says whether it came through `or`/`and`."""
    out: list[tuple[cst.Call, bool]] = []
    stack: list[tuple[cst.BaseExpression, bool]] = [(value, False)]
    while stack:
        item, via_or = stack.pop()
        if isinstance(item, cst.Call):
            out.append((item, via_or))
        elif isinstance(item, cst.BooleanOperation):
            stack.extend(((item.left, True), (item.right, True)))
        elif isinstance(item, cst.IfExp):
            stack.extend(((item.body, via_or), (item.orelse, via_or)))
        elif isinstance(item, cst.Await):
            stack.append((item.expression, via_or))
    return out


def tested_chains(test: cst.BaseExpression) -> set[str]:
    """Every name chain a test reads (`a`, `a.b`), and `obj.attr` for `getattr(obj, "attr")`."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)):
            chain = dotted(node)
            if chain is not None:
                parts = chain.split(".")
                out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
                continue
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("getattr", "hasattr"):
            args = [a.value for a in node.args]
            if len(args) >= 2 and isinstance(args[1], cst.SimpleString):
                owner = dotted(args[0]) if isinstance(args[0], (cst.Name, cst.Attribute)) else None
                attr = args[1].evaluated_value
                if owner is not None and isinstance(attr, str):
                    out.add(f"{owner}.{attr}")
        stack.extend(_expression_parts(node))
    return out


def _expression_parts(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The sub-expressions of the node types that appear in tests (no generic `.children`, which
    rebuilds the node)."""
    if isinstance(node, cst.Comparison):
        return [node.left, *(c.comparator for c in node.comparisons)]
    if isinstance(node, (cst.BooleanOperation, cst.BinaryOperation)):
        return [node.left, node.right]
    if isinstance(node, cst.UnaryOperation):
        return [node.expression]
    if isinstance(node, cst.Call):
        return [node.func, *(a.value for a in node.args)]
    if isinstance(node, cst.Subscript):
        return [node.value]
    if isinstance(node, cst.Await):
        return [node.expression]
    if isinstance(node, cst.NamedExpr):
        return [node.target, node.value]
    return []


def store_key(target: cst.BaseExpression, globals_: set[str]) -> str | None:
    """The chain a store writes to: `self._engine`, `_engines` (for `_engines[url]`), or a
    global name; None for a plain local."""
    if isinstance(target, cst.Subscript):
        return dotted(target.value)
    if isinstance(target, cst.Attribute):
        return dotted(target)
    if isinstance(target, cst.Name) and target.value in globals_:
        return target.value
    return None


class LazyInit:
    """Per function: which calls fill a lazily-initialised cache.

    A call whose result is stored into a global, an attribute or a container *that the function
    also tests* (`if _engine is None:`, `if url not in cache:`, `_db = _db or make()`,
    `getattr(self, "_x", None)`) runs once, not on every call. Stores through a local variable
    (`engine = make(); cache[url] = engine`) count too.
    """

    __slots__ = ("locals", "stores", "tested")

    def __init__(self) -> None:
        self.locals: dict[str, list[cst.Call]] = {}
        self.stores: dict[int, list[str]] = {}
        self.tested: set[str] = set()

    def test(self, expr: cst.BaseExpression) -> None:
        self.tested |= tested_chains(expr)

    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression, globals_: set[str]) -> None:
        stored = store_key(target, globals_)
        for call, via_or in calls_in(value):
            if stored is None:
                if isinstance(target, cst.Name):
                    self.locals.setdefault(target.value, []).append(call)
                continue
            self.stores.setdefault(id(call), []).append(stored)
            if via_or:
                self.tested.add(stored)
        if stored is not None and isinstance(value, cst.Name):
            for call in self.locals.get(value.value, ()):
                self.stores.setdefault(id(call), []).extend([stored, value.value])

    def is_cached(self, call: cst.Call) -> bool:
        return any(target in self.tested for target in self.stores.get(id(call), ()))
