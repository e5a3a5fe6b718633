"""The output does not depend on Python's string hash seed (the order of sets of strings)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write

STORE = """import json


def load_json(path):
    with open(path) as fh:
        return json.load(fh)


class KvStore:
    def initialize(self):
        return load_json("kv.json")


class DocStore:
    def initialize(self):
        return load_json("docs.json")


class Ledger:
    def initialize(self):
        return load_json("ledger.json")
"""
MAIN = """import os

from fastapi import FastAPI

from app.store import DocStore, KvStore, Ledger

app = FastAPI()
if os.environ.get("KIND") == "kv":
    store = KvStore()
elif os.environ.get("KIND") == "ledger":
    store = Ledger()
else:
    store = DocStore()


@app.post("/reset")
async def reset():
    return store.initialize()
"""


def test_a_call_chain_through_one_of_several_classes_is_the_same_for_every_hash_seed(tmp_path: Path) -> None:
    """`store` may be any of three classes, each `initialize()` calling `load_json()`: FL301's
    message names one chain, always the same one (before: whichever the set of the receiver's
    kinds gave first, a different one from one process to the next)."""
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/store.py", STORE)
    write(tmp_path, "app/main.py", MAIN)
    outputs = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "FASTLINT_NO_CACHE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "fastlint", "check", "--isolated", "--exit-zero", "--format", "concise", "."],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
    (out,) = outputs
    assert out.splitlines()[0] == (
        "app/store.py:5:10: FL301 `open(...)` is file I/O with `open()` on the event loop, reached from async route "
        "`reset()` app/main.py:17 -> initialize() app/store.py:15 -> load_json() app/store.py:4"
    )
