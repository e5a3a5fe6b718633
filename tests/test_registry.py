"""Meta-tests over every rule: naming, documentation, fixtures, generated docs, and that each
docstring's Example fires its rule while Use-instead does not."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from fastlint import docs
from fastlint.engine import FileJob, RuleSetup, lint_source, visitor_methods
from fastlint.registry import REMOVED, Registry, default_registry
from fastlint.rule import DOC_SECTIONS, FAMILIES, MetaRule, Rule, doc_sections
from tests.harness import ROOT, RULE_FIXTURES

REGISTRY = default_registry()
RULES = list(REGISTRY.rules)
VISITOR_RULES = [r for r in RULES if issubclass(r, Rule)]


def test_codes_and_names_are_unique_and_ordered() -> None:
    codes = [r.code for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len({r.name for r in RULES}) == len(RULES)
    assert codes == sorted(codes), "ALL_RULES is ordered by code"
    assert not set(codes) & set(REMOVED), "a removed code is never reused"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_code_name_and_module_agree(rule: type) -> None:
    assert re.fullmatch(r"FL[0-9]{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert not rule.name.startswith(("no-", "avoid-", "use-"))
    if issubclass(rule, MetaRule):
        assert rule.code.startswith("FL0")
        return
    family = FAMILIES[rule.code[2]]
    module = rule.__module__
    assert module == f"fastlint.rules.{family}.{rule.name.replace('-', '_')}", module
    assert rule.__name__ == "".join(part.capitalize() for part in rule.name.split("-"))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docstring_sections(rule: type) -> None:
    doc = rule.documentation()
    summary = rule.summary()
    assert summary and summary.endswith("."), "the docstring starts with a one-sentence summary"
    sections = [s for s in doc_sections(doc) if s in DOC_SECTIONS]
    assert sections == sorted(sections, key=DOC_SECTIONS.index)
    for required in ("Why is this bad?", "Example", "Use instead", "References"):
        assert required in sections
    assert ("Fix safety" in sections) == (rule.fix is not None)
    assert "http" in doc.split("## References", 1)[1], "References carry links"


@pytest.mark.parametrize("rule", VISITOR_RULES, ids=lambda r: r.code)
def test_visitor_methods_name_real_nodes(rule: type) -> None:
    assert visitor_methods(rule), "a rule visits at least one node type"


def _project_files(marked: list[Path]) -> list[Path]:
    """Every file of the fixture projects that hold `marked`."""
    projects = {(ROOT / "fixtures" / "projects" / p.relative_to(ROOT / "fixtures" / "projects").parts[0]) for p in marked}
    return sorted(f for project in projects for f in project.rglob("*.py"))


@pytest.mark.parametrize("rule", VISITOR_RULES, ids=lambda r: r.code)
def test_every_rule_has_marked_fixtures(rule: type) -> None:
    main = RULE_FIXTURES / f"{rule.code}.py"
    text = "".join(p.read_text(encoding="utf-8") for p in RULE_FIXTURES.glob(f"{rule.code}*.py"))
    if not main.exists():
        # a rule about the whole project (an Alembic history) has its cases in project fixtures
        marked = [p for p in (ROOT / "fixtures" / "projects").rglob("*.py") if re.search(rf"# error:.*\b{rule.code}\b", p.read_text(encoding="utf-8"))]
        assert marked, f"missing {main.relative_to(ROOT)} (or a project fixture marking {rule.code})"
        text = "".join(p.read_text(encoding="utf-8") for p in _project_files(marked))
    assert re.search(rf"# error:.*\b{rule.code}\b", text)
    assert "# ok" in text, "fixtures carry look-alike cases that must not fire"
    if rule.fix is not None:
        assert (RULE_FIXTURES / f"{rule.code}.fixed.py").exists()


def _code_block(doc: str, section: str) -> str:
    part = doc.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", part, re.S)
    assert match, f"no python block under {section}"
    return match.group(1)


def _example_files(code: str) -> list[tuple[str, str]]:
    """An example is one file, or several introduced by `# file: <path>` lines (a project rule's
    example: an Alembic history)."""
    files: list[tuple[str, list[str]]] = []
    for line in code.splitlines(keepends=True):
        if line.startswith("# file: "):
            files.append((line[len("# file: ") :].strip(), []))
        elif files:
            files[-1][1].append(line)
        else:
            files.append(("example.py", [line]))
    return [(path, "".join(lines)) for path, lines in files]


def _lint_example(rule: type, code: str) -> set[str]:
    from fastlint.analysis.index import ProjectIndex
    from fastlint.conditions import decide

    setups = [RuleSetup(rule, rule.Options())] if issubclass(rule, Rule) else []
    results = []
    for path, text in _example_files(code):
        module = path[:-3].replace("/", ".")
        job = FileJob(path=path, display_path=path, relpath=path, module_name=module, is_package=False)
        results.append(lint_source(text, job, setups))
    # the example is a project of its own: settle the findings waiting on other files the same way
    index = ProjectIndex([r.facts for r in results if r.facts])
    codes: set[str] = set()
    for result in results:
        codes |= {d.code for d in result.diagnostics}
        codes |= {f.code for f in result.pending if decide(f.condition, index.oracle)}
    return codes


@pytest.mark.parametrize("rule", VISITOR_RULES, ids=lambda r: r.code)
def test_example_fires_and_use_instead_does_not(rule: type) -> None:
    doc = rule.documentation()
    assert rule.code in _lint_example(rule, _code_block(doc, "Example"))
    assert rule.code not in _lint_example(rule, _code_block(doc, "Use instead"))


def test_syntax_error_example() -> None:
    rule = REGISTRY.get("FL001")
    assert rule is not None
    assert "FL001" in _lint_example(rule, _code_block(rule.documentation(), "Example"))
    assert not _lint_example(rule, _code_block(rule.documentation(), "Use instead"))


def test_lookup_by_code_name_and_prefix() -> None:
    assert REGISTRY.get("fl101") is REGISTRY.get("global-db-session")
    assert {r.code for r in REGISTRY.matching("FL10")} >= {"FL101", "FL106"}
    with pytest.raises(ValueError):
        Registry([*RULES, RULES[0]])


def test_rules_are_importable_from_their_family_package() -> None:
    for rule in VISITOR_RULES:
        module = importlib.import_module(rule.__module__)
        assert getattr(module, rule.__name__) is rule


def test_generated_docs_are_current() -> None:
    stale = docs.outdated(ROOT, REGISTRY)
    assert not stale, f"run `python -m fastlint.docs`: {[str(p.relative_to(ROOT)) for p in stale]}"


def test_rule_definition_is_validated() -> None:
    with pytest.raises(TypeError, match="docstring"):

        class Undocumented(Rule):  # noqa: F841
            code = "FL199"
            name = "undocumented"
            message = "m"
            fix_hint = "h"

    with pytest.raises(TypeError, match="name"):

        class BadName(Rule):  # noqa: F841
            """Summary.

            ## Why is this bad?
            x
            ## Example
            x
            ## Use instead
            x
            ## References
            x
            """

            code = "FL198"
            name = "no-bad-name"
            message = "m"
            fix_hint = "h"
