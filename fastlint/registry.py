"""Look rules up by code, name or prefix; remember retired codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fastlint.rule import RuleInfo

#: Retired codes: code -> why it was retired or what replaced it. Never reuse a code.
REMOVED: dict[str, str] = {}


class Registry:
    def __init__(self, rules: Iterable[type[RuleInfo]]) -> None:
        self.rules: tuple[type[RuleInfo], ...] = tuple(rules)
        self.by_code = {r.code: r for r in self.rules}
        self.by_name = {r.name: r for r in self.rules}
        if len(self.by_code) != len(self.rules) or len(self.by_name) != len(self.rules):
            raise ValueError("rule codes and names must be unique")

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.rules]

    def get(self, code_or_name: str) -> type[RuleInfo] | None:
        key = code_or_name.strip()
        return self.by_code.get(key.upper()) or self.by_name.get(key.lower())

    def matching(self, prefix: str) -> Sequence[type[RuleInfo]]:
        if prefix == "ALL":
            return self.rules
        return [r for r in self.rules if r.code.startswith(prefix)]


def default_registry() -> Registry:
    from fastlint.rules import ALL_RULES

    return Registry(ALL_RULES)
