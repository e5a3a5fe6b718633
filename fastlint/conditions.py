"""Conditions under which a finding holds, in three-valued logic.

A file rule often knows everything about a finding except one fact that lives in another file: is
`router` (imported from `app.api`) an `APIRouter`? does `get_db` (in `deps.py`) yield a session? The
rule reports the node with a condition made of *atoms* (small JSON-able lists such as
``["route", "app.api.users.list_users"]``). The engine evaluates the condition against the file's own
facts right after the visit; atoms it cannot decide stay in the condition, travel with the file's
result (and its cache entry), and are decided by the project index once every file's facts are in.

Conditions are plain nested lists so that they pickle and serialise cheaply:
``["T"]``, ``["F"]``, ``["and", c1, c2, ...]``, ``["or", c1, ...]``, ``["not", c]`` or an atom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Expr = list[Any]

TRUE_EXPR: Expr = ["T"]
FALSE_EXPR: Expr = ["F"]
_CONNECTIVES = frozenset({"T", "F", "and", "or", "not"})

#: An oracle decides one atom: True, False, or None when it cannot tell (yet).
Oracle = Callable[[Sequence[Any]], "bool | None"]


class Cond:
    """A thin wrapper over a condition expression with ``&``, ``|`` and ``~``."""

    __slots__ = ("expr",)

    def __init__(self, expr: Expr) -> None:
        self.expr = expr

    @classmethod
    def atom(cls, *parts: Any) -> Cond:
        return cls(list(parts))

    @property
    def is_true(self) -> bool:
        return self.expr[0] == "T"

    @property
    def is_false(self) -> bool:
        return self.expr[0] == "F"

    def __and__(self, other: Cond) -> Cond:
        if self.is_false or other.is_true:
            return self
        if other.is_false or self.is_true:
            return other
        return Cond(["and", *_flatten("and", self.expr), *_flatten("and", other.expr)])

    def __or__(self, other: Cond) -> Cond:
        if self.is_true or other.is_false:
            return self
        if other.is_true or self.is_false:
            return other
        return Cond(["or", *_flatten("or", self.expr), *_flatten("or", other.expr)])

    def __invert__(self) -> Cond:
        if self.is_true:
            return FALSE
        if self.is_false:
            return TRUE
        if self.expr[0] == "not":
            return Cond(self.expr[1])
        return Cond(["not", self.expr])

    def __bool__(self) -> bool:  # pragma: no cover - guard against `if cond:` mistakes
        raise TypeError("a Cond is three-valued: test .is_true / .is_false")

    def __repr__(self) -> str:
        return f"Cond({self.expr!r})"


TRUE = Cond(TRUE_EXPR)
FALSE = Cond(FALSE_EXPR)


def any_of(conds: Sequence[Cond]) -> Cond:
    out = FALSE
    for cond in conds:
        out = out | cond
        if out.is_true:
            break
    return out


def all_of(conds: Sequence[Cond]) -> Cond:
    out = TRUE
    for cond in conds:
        out = out & cond
        if out.is_false:
            break
    return out


def _flatten(op: str, expr: Expr) -> list[Any]:
    return list(expr[1:]) if expr[0] == op else [expr]


def is_atom(expr: Sequence[Any]) -> bool:
    return expr[0] not in _CONNECTIVES


def simplify(expr: Sequence[Any], oracle: Oracle) -> Expr:
    """Decide what the oracle can and return ``["T"]``, ``["F"]`` or the residual condition."""
    head = expr[0]
    if head == "T" or head == "F":
        return list(expr)
    if head == "not":
        inner = simplify(expr[1], oracle)
        if inner[0] == "T":
            return FALSE_EXPR
        if inner[0] == "F":
            return TRUE_EXPR
        return ["not", inner]
    if head == "and" or head == "or":
        absorbing, neutral = ("F", "T") if head == "and" else ("T", "F")
        rest: list[Any] = []
        for part in expr[1:]:
            value = simplify(part, oracle)
            if value[0] == absorbing:
                return [absorbing]
            if value[0] != neutral:
                rest.append(value)
        if not rest:
            return [neutral]
        return rest[0] if len(rest) == 1 else [head, *rest]
    decided = oracle(expr)
    if decided is None:
        return list(expr)
    return TRUE_EXPR if decided else FALSE_EXPR


def decide(expr: Sequence[Any], oracle: Oracle) -> bool:
    """Evaluate to a final answer: atoms the oracle still cannot decide count as False.

    Unknown means "not shown to hold", and a linter only reports what it has shown.
    """
    result = simplify(expr, lambda atom: bool(oracle(atom)))
    return result[0] == "T"
