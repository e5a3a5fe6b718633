"""Classifying a call site against the work catalogue (`fastlint.analysis.work`)."""

from __future__ import annotations

from typing import Any

import libcst as cst

from fastlint.analysis import queries, work
from fastlint.analysis.model import ModuleModel, ref_of
from fastlint.conditions import TRUE, Cond
from fastlint.rule import Lookup

Table = dict[str, tuple[tuple[str, ...] | None, str]]


def classify(model: ModuleModel, node: cst.Call, functions: dict[str, str], methods: Table) -> tuple[Any, Cond] | None:
    """(what the call does, the condition that it does it) or None.

    A function is matched by the qualified name it resolves to (`requests.get`, also through
    `import requests as r` or `from time import sleep`); a method by the kind of its receiver,
    which the project index may decide later (a session injected through an `Annotated` alias
    defined in another module)."""
    func = node.func
    target = ref_of(model.callee(node))
    if target is not None:
        label = functions.get(target)
        if label is None and functions is work.CPU_FUNCTIONS and target.startswith(work.PASSLIB_SCHEMES):
            if target.rsplit(".", 1)[-1] in work.PASSLIB_METHODS:
                label = "password hashing (passlib)"
        if label is not None:
            return label, TRUE
    if not isinstance(func, cst.Attribute):
        return None
    wanted = work.match_methods(methods, func.attr.value)
    if not wanted:
        return None
    receiver = model.describe(func.value)
    when = queries.has_kind(receiver, set(wanted))
    if when.is_false:
        return None
    labels = set(wanted.values())
    label: Any = labels.pop() if len(labels) == 1 else Lookup("work_label", (receiver, func.attr.value, tuple(sorted(wanted.items()))))
    return label, when


def constant_seconds(model: ModuleModel, node: cst.Call) -> float | None:
    """The literal duration of `sleep(2)` / `sleep(seconds=1.5)` (or a module constant bound to one)."""
    if not node.args:
        return None
    value = node.args[0].value
    if isinstance(value, cst.Name):
        bound = model.values_of(value.value)
        value = bound[-1] if bound and isinstance(bound[-1], cst.BaseExpression) else value
    if isinstance(value, (cst.Integer, cst.Float)):
        try:
            return float(value.value.replace("_", ""))
        except ValueError:
            return None
    return None
