"""One case per fixture file: the findings must equal the markers, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import PROJECTS, RULE_FIXTURES, as_findings, compare, expected_findings, lint, settings_for

RULE_FILES = sorted(p for p in RULE_FIXTURES.glob("FL*.py") if not p.name.endswith(".fixed.py"))
PROJECT_DIRS = sorted(p for p in PROJECTS.iterdir() if p.is_dir())


def _rule_code(path: Path) -> str:
    return path.stem.split("_", 1)[0]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_fixture(path: Path) -> None:
    config = path.with_suffix(".toml")
    settings = settings_for(path.parent, config if config.exists() else None)
    result = lint([path], path.parent, settings, select=(_rule_code(path),))
    expected = expected_findings(path, path.parent)
    assert {code for _, _, code in expected} <= {_rule_code(path)}, "a rule fixture only marks its own rule"
    problem = compare(expected, as_findings(result.diagnostics, path.parent))
    assert problem is None, f"{path.name}\n{problem}"


@pytest.mark.parametrize("project", PROJECT_DIRS, ids=lambda p: p.name)
def test_project_fixture(project: Path) -> None:
    config = project / "pyproject.toml"
    settings = settings_for(project, config if config.exists() else None)
    select = None if config.exists() else ("ALL",)
    result = lint([project], project, settings, select=select)
    expected: set = set()
    for path in sorted(project.rglob("*.py")):
        expected |= expected_findings(path, project)
    problem = compare(expected, as_findings(result.diagnostics, project))
    assert problem is None, f"{project.name}\n{problem}"
