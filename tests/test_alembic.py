"""The Alembic history: revision facts, the graph, and runs over some files only."""

from __future__ import annotations

import libcst as cst

from fastlint.analysis.alembic import revision_of
from fastlint.analysis.index import MigrationHistory, ProjectIndex
from tests.harness import PROJECTS, as_findings, lint, settings_for


def _facts(revision: str, down: tuple[str, ...] = (), labels: tuple[str, ...] = (), depends: tuple[str, ...] = (), folder: str = "v") -> dict:
    return {"revision": revision, "down": list(down), "labels": list(labels), "depends": list(depends), "dir": folder}


def test_revision_of_reads_both_templates_and_rejects_look_alikes() -> None:
    typed = revision_of(cst.parse_module(
        "from typing import Union\nrevision: str = 'b'\ndown_revision: Union[str, None] = ('a', 'c')\n"
        "branch_labels = ('x',)\ndepends_on = None\ndef upgrade(): pass\ndef downgrade(): pass\n"
    ))
    assert typed is not None
    assert (typed.revision, typed.down, typed.branch_labels) == ("b", ("a", "c"), ("x",))
    root = revision_of(cst.parse_module("revision = 'a'\ndown_revision = None\ndef upgrade(): pass\n"))
    assert root is not None and root.down == () and root.has_down
    assert revision_of(cst.parse_module("revision = 'a'\ndef upgrade(): pass\n")) is None  # no down_revision
    assert revision_of(cst.parse_module("revision = get()\ndown_revision = None\ndef upgrade(): pass\n")) is None
    assert revision_of(cst.parse_module("revision = 'a'\ndown_revision = None\n")) is None  # no upgrade()


def test_history_heads_merges_labels_cycles_duplicates() -> None:
    history = MigrationHistory([
        _facts("a"), _facts("b", ("a",)), _facts("c", ("a",)),
        _facts("m", ("b", "c")),  # merged: one head
        _facts("r", labels=("reports",)), _facts("s", ("r",)),  # its own labelled branch
    ])
    assert history.extra_heads() == set()
    forked = MigrationHistory([_facts("a"), _facts("b", ("a",)), _facts("c", ("a",))])
    assert forked.extra_heads() == {"b", "c"}
    looped = MigrationHistory([_facts("x", ("y",)), _facts("y", ("x",)), _facts("z", ("x",))])
    assert looped.cycle_members() == {"x", "y"}
    doubled = MigrationHistory([_facts("a"), _facts("a"), _facts("b", ("a",))])
    assert doubled.duplicates() == {"a"}
    assert history.is_missing("zzz") and not history.is_missing("reports") and not history.is_missing("b")


def test_folders_that_name_each_other_form_one_history() -> None:
    index = ProjectIndex([
        {"module": "one", "functions": {}, "classes": {}, "symbols": {}, "imports": {}, "alembic": _facts("a", folder="v/2024")},
        {"module": "two", "functions": {}, "classes": {}, "symbols": {}, "imports": {}, "alembic": _facts("b", ("a",), folder="v/2025")},
        {"module": "three", "functions": {}, "classes": {}, "symbols": {}, "imports": {}, "alembic": _facts("q", folder="other")},
    ])
    assert index.oracle(["alembic_missing", "v/2025", "a"]) is False
    assert index.oracle(["alembic_extra_head", "v/2024", "a"]) is False
    assert index.oracle(["alembic_extra_head", "other", "q"]) is False  # a history of its own


def test_a_run_over_some_revision_files_reads_their_folder() -> None:
    project = PROJECTS / "alembic_broken"
    versions = project / "alembic" / "versions"
    result = lint([versions / "103_add_stock.py"], project, settings_for(project), select=("FL601", "FL603"))
    found = set(as_findings(result.diagnostics, project))
    # the parent "101" is in a file not given: not missing; "99f" really is
    assert found == {
        ("alembic/versions/103_add_stock.py", 10, "FL601"),
        ("alembic/versions/103_add_stock.py", 13, "FL603"),
    }
