"""SQL in string literals, through sqlglot (the only module that imports it)."""

from __future__ import annotations

import difflib
from functools import lru_cache


@lru_cache(maxsize=1)
def dialect_names() -> tuple[str, ...]:
    from sqlglot.dialects.dialect import Dialect

    return tuple(sorted(name for name in Dialect.classes if name))


def check_dialect(name: str) -> str | None:
    """None when sqlglot knows the dialect, else a one-line explanation with a suggestion."""
    names = dialect_names()
    if name.lower() in names:
        return None
    match = difflib.get_close_matches(name.lower(), names, n=1)
    hint = f" (did you mean '{match[0]}'?)" if match else f" (one of: {', '.join(names)})"
    return f"unknown SQL dialect '{name}'{hint}"
