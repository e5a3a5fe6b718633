from __future__ import annotations

import libcst as cst

from fastlint.analysis import queries
from fastlint.conditions import FALSE, Cond
from fastlint.rule import Rule

_FILTERS = frozenset({"filter", "where", "having"})
_FIXES = {"and": "and_(...)", "or": "or_(...)", "not": "not_(...) or ~", "in": ".in_(...)", "not in": ".not_in(...)",
          "is": ".is_(...)", "is not": ".is_not(...)"}


class PythonOperatorInFilter(Rule):
    """Python's `and`, `or`, `not`, `in` or `is` used on mapped columns inside `.filter()` / `.where()` / `.having()`.

    ## Why is this bad?
    These operators cannot be overloaded: Python evaluates them itself instead of building SQL.
    `User.active == True and User.age > 18` keeps only the right-hand side (the `and` returns one
    operand), `User.deleted_at is None` is always `False` (it compares Python objects), and
    `User.role in ["admin", "staff"]` either raises or tests the Python list. The query silently
    filters on the wrong condition, or on nothing.

    Use SQLAlchemy's operators: `and_(...)`, `or_(...)`, `not_(...)` (or `&`, `|`, `~` with
    parentheses), `.in_([...])`, `.not_in([...])`, `.is_(None)`, `.is_not(None)`. Not reported:
    conditions on plain Python values (`x == 1 and y`), and the optional-filter idiom
    `value is None or Model.col == value` (either `True` or the SQL condition).

    ## Example
    ```python
    from sqlalchemy import select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        age: Mapped[int]
        deleted_at: Mapped[str | None]


    stmt = select(User).where(User.age > 18 and User.deleted_at is None)
    ```

    ## Use instead
    ```python
    from sqlalchemy import and_, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        age: Mapped[int]
        deleted_at: Mapped[str | None]


    stmt = select(User).where(and_(User.age > 18, User.deleted_at.is_(None)))
    ```

    ## References
    - [SQLAlchemy: operator reference (and_, or_, in_, is_)](https://docs.sqlalchemy.org/en/20/core/operators.html)
    - [Python: boolean operations cannot be overloaded](https://docs.python.org/3/reference/expressions.html#boolean-operations)
    """

    code = "FL209"
    name = "python-operator-in-filter"
    message = "Python `{op}` on a mapped column in `.{method}()` is evaluated by Python, not by SQL"
    fix_hint = "Use SQLAlchemy's `{fix}` instead"
    requires = ("filter", "where", "having")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _FILTERS:
            return
        for arg in node.args:
            if arg.keyword is None:
                self._check(arg.value, func.attr.value)

    def _check(self, expr: cst.BaseExpression, method: str) -> None:
        stack = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.BooleanOperation):
                op = "and" if isinstance(node.operator, cst.And) else "or"
                when = self._columns(node.left) | self._columns(node.right)
                if op == "or" and _plain(node.left):
                    # `author_id is None or Post.author_id == author_id`: the optional-filter
                    # idiom gives either True or the SQL condition, both of which work.
                    when = FALSE
                if not when.is_false:
                    self.report(node, when=when, op=op, method=method, fix=_FIXES[op])
                    continue
                stack.extend((node.left, node.right))
            elif isinstance(node, cst.Call):
                stack.extend(a.value for a in node.args)  # `and_(...)`, `or_(...)`, `func.x(...)`
            elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr)):
                stack.extend((node.left, node.right))
            elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
                stack.append(node.expression)
            elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
                when = self._columns(node.expression)
                if not when.is_false:
                    self.report(node, when=when, op="not", method=method, fix=_FIXES["not"])
                    continue
                stack.append(node.expression)
            elif isinstance(node, cst.Comparison):
                for target in node.comparisons:
                    op = _identity_or_membership(target.operator)
                    if op is None:
                        continue
                    when = self._column_ref(node.left) | (self._column_ref(target.comparator) if op in ("in", "not in") else FALSE)
                    if not when.is_false:
                        self.report(node, when=when, op=op, method=method, fix=_FIXES[op])
                        break

    def _columns(self, expr: cst.BaseExpression) -> Cond:
        """The expression is a SQL condition on mapped columns (a comparison, a method call on a
        column, a column itself, or a combination of those)."""
        if isinstance(expr, cst.Comparison):
            out = self._column_ref(expr.left)
            for target in expr.comparisons:
                out = out | self._column_ref(target.comparator)
            return out
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            return self._column_ref(expr.func.value)
        if isinstance(expr, cst.BooleanOperation):
            return self._columns(expr.left) | self._columns(expr.right)
        if isinstance(expr, cst.UnaryOperation):
            return self._columns(expr.expression)
        return self._column_ref(expr)

    def _column_ref(self, expr: cst.BaseExpression) -> Cond:
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, (cst.Name, cst.Attribute)):
            return queries.is_column_of(self.ctx.model.describe(expr.value), expr.attr.value)
        return FALSE


def _plain(expr: cst.BaseExpression) -> bool:
    """Only names, constants and comparisons or boolean operators of those: a Python value."""
    if isinstance(expr, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.Comparison):
        return _plain(expr.left) and all(_plain(c.comparator) for c in expr.comparisons)
    if isinstance(expr, cst.BooleanOperation):
        return _plain(expr.left) and _plain(expr.right)
    if isinstance(expr, cst.UnaryOperation):
        return _plain(expr.expression)
    return False


def _identity_or_membership(operator: cst.BaseCompOp) -> str | None:
    if isinstance(operator, cst.In):
        return "in"
    if isinstance(operator, cst.NotIn):
        return "not in"
    if isinstance(operator, cst.Is):
        return "is"
    if isinstance(operator, cst.IsNot):
        return "is not"
    return None
