"""Literal values behind an argument: a literal, or a name the module binds to one."""

from __future__ import annotations

import libcst as cst

from fastlint.analysis.model import ModuleModel


def literal_of(model: ModuleModel, expr: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression | None:
    """The literal `expr` is, directly or through a local or module name bound (only) to one."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.List, cst.Tuple, cst.Set, cst.Dict)):
        return expr
    if isinstance(expr, cst.Name):
        if expr.value in ("True", "False", "None"):
            return expr
        if depth < 3:
            values = [v for v in model.values_of(expr.value) if isinstance(v, cst.BaseExpression)]
            if len(values) == 1:
                return literal_of(model, values[0], depth + 1)
    return None


def is_true(model: ModuleModel, expr: cst.BaseExpression) -> bool:
    value = literal_of(model, expr)
    return isinstance(value, cst.Name) and value.value == "True"


def strings_in(model: ModuleModel, expr: cst.BaseExpression) -> list[str]:
    """The string items of a literal list/tuple/set (or a single string), through names."""
    value = literal_of(model, expr)
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return [text] if isinstance(text, str) else []
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for element in value.elements:
            item = literal_of(model, element.value)
            if isinstance(item, cst.SimpleString) and isinstance(item.evaluated_value, str):
                out.append(item.evaluated_value)
        return out
    return []
