"""Module names and import tables: how a local name becomes a qualified name.

No `ScopeProvider`/`QualifiedNameProvider`: a module's import table is built from its own import
statements, in the same pass as everything else.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import libcst as cst


_ODD = re.compile(r"[^\w]")


def module_name_for(relpath: str) -> tuple[str, bool]:
    """The dotted module name of a file from its path relative to the project root.

    Returns ``(name, is_package)``: ``app/api/__init__.py`` -> ``("app.api", True)``.
    """
    parts = list(PurePath(relpath.replace("\\", "/")).parts)
    parts = [p for p in parts if p not in (".", "")]
    while parts and parts[0] == "..":
        parts.pop(0)
    if not parts:
        return "", False
    stem = parts[-1]
    for suffix in (".pyi", ".py"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    is_package = stem == "__init__"
    parts = parts[:-1] if is_package else [*parts[:-1], stem]
    # A part that is not an identifier (`0095_add_index.py`, `my-service/`) cannot be imported by
    # a dotted name, but it must still tell files apart (Alembic revisions would otherwise all be
    # `migrations.versions`): it is kept with its odd characters as `-`, which no import spells.
    return ".".join(p if p.isidentifier() else _ODD.sub("-", p) for p in parts), is_package


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` as text for a Name/Attribute chain, else None."""
    names: list[str] = []
    while isinstance(node, cst.Attribute):
        names.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        names.append(node.value)
        return ".".join(reversed(names))
    return None


def resolve_relative(package: str, level: int, module: str | None) -> str:
    """The absolute module of ``from <level dots><module> import ...`` written in `package`."""
    base = package.split(".") if package else []
    if level > 1:
        base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
    if module:
        base.append(module)
    return ".".join(base)


def import_bindings(node: cst.Import | cst.ImportFrom, package: str) -> list[tuple[str, str]]:
    """The (local name, qualified name) pairs an import statement binds.

    ``import a.b`` binds ``a`` to ``a``; ``import a.b as c`` binds ``c`` to ``a.b``;
    ``from .x import y as z`` binds ``z`` to ``<package>.x.y``. A star import binds ``*`` to the
    module it reads.
    """
    out: list[tuple[str, str]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                out.append((alias.asname.name.value, full))
            else:
                top = full.split(".", 1)[0]
                out.append((top, top))
        return out
    level = len(node.relative)
    module = dotted(node.module) if node.module is not None else None
    source = resolve_relative(package, level, module) if level else (module or "")
    if isinstance(node.names, cst.ImportStar):
        return [("*", source)]
    for alias in node.names:
        if not isinstance(alias.name, cst.Name):
            continue
        name = alias.name.value
        local = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        out.append((local, f"{source}.{name}" if source else name))
    return out


def _assigned_names(target: cst.BaseExpression, into: set[str]) -> None:
    if isinstance(target, cst.Name):
        into.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            _assigned_names(el.value, into)
    elif isinstance(target, cst.StarredElement):
        _assigned_names(target.value, into)


class ModuleNames:
    """The module-level import table and defined names, read before the walk.

    Only module-level statements (and the bodies of module-level ``if``/``try``/``with``) are read,
    so this costs a fraction of a full visit. Functions may then refer to names defined below them.
    """

    def __init__(self, module: cst.Module, package: str) -> None:
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.defined: set[str] = set()
        #: module-level `NAME = <expression>` (single assignments), for names used above them
        self.values: dict[str, cst.BaseExpression] = {}
        self._read(module.body, package)

    def _read(self, body: object, package: str) -> None:
        for stmt in body:  # type: ignore[attr-defined]
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._read_small(small, package)
            elif isinstance(stmt, cst.BaseSmallStatement):
                self._read_small(stmt, package)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self.defined.add(stmt.name.value)
            elif isinstance(stmt, cst.If):
                self._read(stmt.body.body, package)
                orelse = stmt.orelse
                while orelse is not None:
                    self._read(orelse.body.body, package)
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None
            elif isinstance(stmt, cst.Try):
                self._read(stmt.body.body, package)
                for handler in stmt.handlers:
                    self._read(handler.body.body, package)
                if stmt.orelse is not None:
                    self._read(stmt.orelse.body.body, package)
                if stmt.finalbody is not None:
                    self._read(stmt.finalbody.body.body, package)
            elif isinstance(stmt, (cst.With, cst.For, cst.While)):
                self._read(stmt.body.body, package)

    def _read_small(self, small: cst.CSTNode, package: str) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            for local, qual in import_bindings(small, package):
                if local == "*":
                    self.star_imports.append(qual)
                else:
                    self.imports.setdefault(local, qual)
        elif isinstance(small, cst.Assign):
            for t in small.targets:
                _assigned_names(t.target, self.defined)
            if len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                name = small.targets[0].target.value
                if name in self.values:
                    self.values[name] = None  # type: ignore[assignment]  # assigned twice: no single value
                else:
                    self.values[name] = small.value
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            _assigned_names(small.target, self.defined)
