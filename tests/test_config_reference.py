"""The README's configuration reference is generated from the code: every key and every rule
option must carry the documentation it is generated from."""

from __future__ import annotations

import dataclasses

import pytest

from fastlint import docs
from fastlint.config import KEY_DOCS, KEYS
from fastlint.registry import default_registry

RULES_WITH_OPTIONS = [r for r in default_registry().rules if dataclasses.fields(r.Options)]


def test_every_key_is_documented() -> None:
    assert set(KEY_DOCS) == set(KEYS)
    reference = docs.config_reference(default_registry())
    for key in KEYS:
        assert f"| `{key}` |" in reference


@pytest.mark.parametrize("rule", RULES_WITH_OPTIONS, ids=lambda r: r.code)
def test_every_option_is_documented(rule: type) -> None:
    documented = docs.field_docs(rule.Options)
    for field in dataclasses.fields(rule.Options):
        assert documented.get(field.name), f"{rule.code}: put a `#:` comment above the option {field.name!r}"
        kebab = field.name.replace("_", "-")
        assert f"`{kebab}`" in rule.documentation().split("## Options", 1)[1], f"{rule.code}: document `{kebab}` under ## Options"


def test_reference_rows() -> None:
    reference = docs.config_reference(default_registry())
    assert "| `call-depth` | integer, 0 to 10 | `3` |" in reference
    assert "| `respect-gitignore` | boolean | `true` |" in reference
    assert "| [FL402](docs/rules.md#fl402-long-lived-access-token) | `max-minutes` | integer | `60` |" in reference
    assert "| [FL002](docs/rules.md#fl002-unused-noqa) | `bare-noqa` | boolean | `false` |" in reference
