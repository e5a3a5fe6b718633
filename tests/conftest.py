from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# The results cache stays off in tests (fixtures/ must stay clean, and a test that patches
# fastlint must see its patch, not an entry); tests/test_cache.py switches it on in tmp_path.
os.environ["FASTLINT_NO_CACHE"] = "1"


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    """Run in an empty temporary directory (no pyproject.toml above it that configures fastlint)."""
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
