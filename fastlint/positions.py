"""Positions of a few nodes, computed only when a file has something to report.

LibCST's `PositionProvider` records a range for every node of the module, which costs about twice
the parse itself. Most files have no finding, and a file with findings needs the positions of a
handful of nodes. `positions_of` generates the module's code once (the same code generation
`Module.code` does) and tracks line and column only where a wanted node starts and ends. The ranges
are the ones `PositionProvider` gives (syntactic, ignoring leading/trailing whitespace).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE_RE = re.compile(r"\r\n?|\n")

Range = tuple[tuple[int, int], tuple[int, int]]  # ((line, column), (end_line, end_column)), 1-based line, 0-based column


class _TargetedState(CodegenState):  # type: ignore[misc]
    def __init__(self, module: cst.Module, wanted: set[int]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.wanted = wanted
        self.found: dict[int, Range] = {}
        self._open: list[tuple[int, tuple[int, int]]] = []
        self._line = 1
        self._column = 0
        self._scanned = 0

    def _position(self) -> tuple[int, int]:
        tokens = self.tokens
        line, column = self._line, self._column
        for i in range(self._scanned, len(tokens)):
            token = tokens[i]
            if "\n" in token or "\r" in token:
                parts = _NEWLINE_RE.split(token)
                line += len(parts) - 1
                column = len(parts[-1])
            else:
                column += len(token)
        self._scanned = len(tokens)
        self._line, self._column = line, column
        return line, column

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self._open.append((id(node), self._position()))

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            _, start = self._open.pop()
            if key not in self.found:
                self.found[key] = (start, self._position())

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        key = id(node)
        if key not in self.wanted:
            yield
            return
        if start_node is not None:
            self.wanted.add(id(start_node))
        if end_node is not None:
            self.wanted.add(id(end_node))
        start = self._position()
        try:
            yield
        finally:
            end = self._position()
            if start_node is not None and id(start_node) in self.found:
                start = self.found[id(start_node)][0]
            if end_node is not None and id(end_node) in self.found:
                end = self.found[id(end_node)][1]
            self.found[key] = (start, end)


def positions_of(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, Range]:
    """Map ``id(node)`` to its range for each of `nodes` (which must belong to `module`)."""
    wanted = {id(n) for n in nodes}
    if not wanted:
        return {}
    state = _TargetedState(module, set(wanted))
    module._codegen(state)
    return {key: state.found[key] for key in wanted if key in state.found}
