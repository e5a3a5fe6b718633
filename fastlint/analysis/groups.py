"""Disjoint sets: which items end up in one group once some pairs are joined."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class DisjointSets(Generic[T]):
    """Union-find with path halving, over a fixed set of items."""

    def __init__(self, items: Iterable[T]) -> None:
        self.parent: dict[T, T] = {item: item for item in items}

    def find(self, item: T) -> T:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: T, b: T) -> None:
        """Join the groups of `a` and `b` (items not in the sets are ignored)."""
        if a in self.parent and b in self.parent:
            self.parent[self.find(a)] = self.find(b)
