"""The output formats (issue 7): SARIF 2.1.0 checked against the official schema, GitHub workflow
commands, GitLab Code Quality, JUnit XML, and the text format's source lines and colour."""

from __future__ import annotations

import copy
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from click.testing import CliRunner

from fastlint import __version__
from fastlint.cli import cli
from fastlint.diagnostics import Diagnostic, Location, Severity
from fastlint.registry import default_registry
from fastlint.report import FORMATS, ReportOptions, renderer
from fastlint.report.github import command, escape_data, escape_property
from fastlint.report.text import source_snippet
from tests.conftest import write

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = json.loads((ROOT / "tests" / "contracts" / "sarif-2.1.0.schema.json").read_text(encoding="utf-8"))

QUERIES = """\
from sqlalchemy import text


def list_users(session):
    return session.execute(text("SELECT * FROM users WHERE active")).all()
"""
AUTH = """\
import jwt


def current_user_id(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["sub"]
"""
ANSI = re.compile(r"\x1b\[")


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def project(in_tmp: Path) -> Path:
    """Two files, one finding each: FL201 (select-star) and FL403 (jwt-decode-unverified, CWE-347)."""
    write(in_tmp, "app/queries.py", QUERIES)
    write(in_tmp, "app/auth.py", AUTH)
    return in_tmp


def sarif_validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(SARIF_SCHEMA)
    cls.check_schema(SARIF_SCHEMA)
    return cls(SARIF_SCHEMA, format_checker=cls.FORMAT_CHECKER)


def schema_errors(document: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(document)]


def sarif(*args: str) -> dict:  # type: ignore[type-arg]
    result = invoke("check", "--format", "sarif", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


# -- SARIF ---------------------------------------------------------------------------------------


def test_sarif_is_valid_against_the_official_schema(project: Path) -> None:
    document = sarif()
    assert schema_errors(document) == []
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["FL403", "FL201"]
    assert run["invocations"] == [{"executionSuccessful": True}]
    clean = sarif("--select", "FL6")
    assert schema_errors(clean) == [] and clean["runs"][0]["results"] == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("version"),
        lambda d: d["runs"][0]["results"][0].__setitem__("level", "fatal"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].__setitem__("startLine", 0),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
        lambda d: d["runs"][0]["results"][0].__setitem__("message", "not an object"),
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].__setitem__("shortDescription", {"markdown": "no text"}),
    ],
)
def test_the_schema_check_rejects_a_broken_document(project: Path, breakage) -> None:  # type: ignore[no-untyped-def]
    broken = copy.deepcopy(sarif())
    breakage(broken)
    assert schema_errors(broken), "the validator must fail on an invalid SARIF document"


def test_sarif_rules_carry_their_metadata(project: Path) -> None:
    driver = sarif()["runs"][0]["tool"]["driver"]
    registry = default_registry()
    assert driver["name"] == "fastlint"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == registry.codes
    headings = set(re.findall(r"^## (FL\d{3} [a-z0-9-]+)$", (ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), re.M))
    for descriptor, rule in zip(driver["rules"], registry.rules):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary()
        assert descriptor["fullDescription"]["text"].startswith(rule.summary())
        assert descriptor["help"]["text"] == rule.documentation()
        assert rule.documentation() in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[rule.severity.value]
        anchor = descriptor["helpUri"].rsplit("#", 1)[1]
        assert anchor == f"{rule.code.lower()}-{rule.name}" and f"{rule.code} {rule.name}" in headings
        assert descriptor["properties"]["tags"][0] == rule.family()
    fl403 = driver["rules"][registry.codes.index("FL403")]
    assert fl403["properties"]["tags"] == ["security", "external/cwe/cwe-347"]
    assert 7.0 <= float(fl403["properties"]["security-severity"]) <= 10.0
    fl201 = driver["rules"][registry.codes.index("FL201")]
    assert "security-severity" not in fl201["properties"]
    assert not any(t.startswith("external/cwe/") for t in fl201["properties"]["tags"])
    every_fl4 = [d for d in driver["rules"] if d["id"].startswith("FL4")]
    assert all(any(t.startswith("external/cwe/cwe-") for t in d["properties"]["tags"]) for d in every_fl4)


def test_sarif_results_point_at_rules_and_relative_files(project: Path) -> None:
    run = sarif()["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    expected = json.loads(invoke("check", "--format", "json").output)["diagnostics"]
    assert len(run["results"]) == len(expected) == 2
    for result, diagnostic in zip(run["results"], expected):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == diagnostic["code"]
        assert result["level"] == "error"
        assert result["message"]["text"] == f"{diagnostic['message']}\nhint: {diagnostic['fix_hint']}"
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": diagnostic["path"], "uriBaseId": "%SRCROOT%"}
        assert location["region"] == {
            "startLine": diagnostic["line"],
            "startColumn": diagnostic["column"],
            "endLine": diagnostic["end_line"],
            "endColumn": diagnostic["end_column"],
        }
        assert list(result["partialFingerprints"]) == ["fastlint/v1"]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    assert Path(unquote(urlsplit(base).path)).resolve() == project.resolve()
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_uris_use_forward_slashes_and_percent_encoding(in_tmp: Path) -> None:
    write(in_tmp, "my app/quéries #1.py", QUERIES)
    (result,) = sarif()["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20app/qu%C3%A9ries%20%231.py"
    assert unquote(uri) == "my app/quéries #1.py"
    assert not urlsplit(uri).scheme and "\\" not in uri


def test_sarif_marks_a_failed_run(in_tmp: Path) -> None:
    write(in_tmp, "main.py", QUERIES)
    result = invoke("check", "main.py", "missing.py", "--format", "sarif")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert schema_errors(document) == []
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "missing.py" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_fingerprints_do_not_change_when_the_code_moves_down(project: Path) -> None:
    before_sarif, before_gitlab = sarif(), json.loads(invoke("check", "--format", "gitlab").output)
    write(project, "app/queries.py", "# a comment\n\n" + QUERIES)
    after_sarif, after_gitlab = sarif(), json.loads(invoke("check", "--format", "gitlab").output)

    def prints(document: dict) -> list[str]:  # type: ignore[type-arg]
        return [r["partialFingerprints"]["fastlint/v1"] for r in document["runs"][0]["results"]]

    def lines(document: dict) -> list[int]:  # type: ignore[type-arg]
        return [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in document["runs"][0]["results"]]

    assert lines(after_sarif) == [5, 7] and lines(before_sarif) == [5, 5]
    assert prints(after_sarif) == prints(before_sarif)
    assert len(set(prints(before_sarif))) == 2
    assert [i["fingerprint"] for i in after_gitlab] == [i["fingerprint"] for i in before_gitlab] == prints(before_sarif)
    assert [i["location"]["lines"]["begin"] for i in after_gitlab] == [5, 7]


# -- GitHub --------------------------------------------------------------------------------------


def test_github_workflow_commands(project: Path) -> None:
    result = invoke("check", "--format", "github")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "::error file=app/auth.py,line=5,col=32,endLine=5,endColumn=67,title=FL403 jwt-decode-unverified::"
        "`jwt.decode(...)` does not verify the token's signature: anyone can forge its claims"
        "%0Ahint: Verify with a pinned algorithm list: `jwt.decode(token, key, algorithms=[\"HS256\"])`",
        "::error file=app/queries.py,line=5,col=33,endLine=5,endColumn=67,title=FL201 select-star::"
        "`SELECT *` reads every column of `users`%0Ahint: Select only the columns the caller needs",
    ]


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    d = Diagnostic("FL201", "select-star", "50% of `a,b`:\nrows", "", Severity.WARNING, "dir,x/a:b.py", Location(3, 2, 3, 9))
    assert command(d) == "::warning file=dir%2Cx/a%3Ab.py,line=3,col=2,endLine=3,endColumn=9,title=FL201 select-star::50%25 of `a,b`:%0Arows"
    info = Diagnostic("FL201", "select-star", "m", "h", Severity.INFO, "a\\b.py", Location(3, 2, 6, 1))
    assert command(info) == "::notice file=a/b.py,line=3,endLine=6,title=FL201 select-star::m%0Ahint: h", (
        "a range over several lines has no col/endColumn"
    )


# -- GitLab --------------------------------------------------------------------------------------


def test_gitlab_code_quality_report(project: Path) -> None:
    result = invoke("check", "--format", "gitlab")
    assert result.exit_code == 1
    issues = json.loads(result.output)
    assert isinstance(issues, list) and len(issues) == 2
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= issue.keys()
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["fingerprint"], str) and len(issue["fingerprint"]) == 32
        assert set(issue["location"]) == {"path", "lines"}
    auth, queries = issues
    assert auth["check_name"] == "FL403" and auth["severity"] == "critical" and auth["categories"] == ["Security"]
    assert queries == {
        "type": "issue",
        "description": "FL201 [select-star] `SELECT *` reads every column of `users`",
        "check_name": "FL201",
        "fingerprint": queries["fingerprint"],
        "severity": "major",
        "categories": ["Performance"],
        "location": {"path": "app/queries.py", "lines": {"begin": 5, "end": 5}},
    }
    assert json.loads(invoke("check", "--format", "gitlab", "--select", "FL6").output) == []


# -- JUnit ---------------------------------------------------------------------------------------


def test_junit_xml_parses_with_one_suite_per_file(project: Path) -> None:
    result = invoke("check", "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("failures") == "2"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["app/auth.py", "app/queries.py"]
    case = suites[1].find("testcase")
    assert case is not None and case.get("name") == "fastlint.FL201" and case.get("line") == "5" and case.get("column") == "33"
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == "`SELECT *` reads every column of `users`"
    assert failure.text is not None and "hint: Select only the columns the caller needs" in failure.text


def test_junit_clean_run_is_one_passing_suite(in_tmp: Path) -> None:
    write(in_tmp, "ok.py", "x = 1\n")
    result = invoke("check", "--format", "junit")
    assert result.exit_code == 0
    root = ET.fromstring(result.output.encode("utf-8"))
    (suite,) = root.findall("testsuite")
    assert suite.get("failures") == "0"
    (case,) = suite.findall("testcase")
    assert case.find("failure") is None


def test_junit_escapes_markup_and_drops_characters_xml_cannot_hold() -> None:
    d = Diagnostic("FL201", "select-star", 'a <b> & "c"\x00\x1b', "use <x> & y", Severity.ERROR, "a&b <c>.py", Location(1, 1, 1, 2))
    output = renderer("junit")(SimpleNamespace(diagnostics=[d]), default_registry(), ReportOptions(), "junit")
    root = ET.fromstring(output.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "a&b <c>.py"
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == 'a <b> & "c"\ufffd\ufffd'
    assert failure.text is not None and failure.text.endswith("hint: use <x> & y")


# -- text ----------------------------------------------------------------------------------------


def test_show_source_puts_a_caret_under_the_finding(project: Path) -> None:
    result = invoke("check", "--select", "FL201", "--show-source")
    assert result.exit_code == 1
    header, source, carets, hint, *_ = result.output.splitlines()
    assert header.startswith("app/queries.py:5:33: FL201 [select-star]")
    assert source == '  5 |     return session.execute(text("SELECT * FROM users WHERE active")).all()'
    assert hint.startswith("    hint: ")
    offset = source.index("| ") + 2
    start, end = carets.index("^"), carets.rindex("^") + 1
    code_line = QUERIES.splitlines()[4]
    assert code_line[start - offset : end - offset] == '"SELECT * FROM users WHERE active"'
    assert set(carets[start:end]) == {"^"}


def test_default_text_output_has_no_source_lines_in_a_pipe_or_a_file(project: Path) -> None:
    plain = invoke("check").output
    assert "|" not in plain and "^" not in plain
    assert invoke("check", "--no-show-source").output == plain
    invoke("check", "--show-source", "-o", "report.txt")
    assert "^^^" in (project / "report.txt").read_text(encoding="utf-8"), "--show-source is honoured in a file too"
    invoke("check", "-o", "report.txt")
    assert (project / "report.txt").read_text(encoding="utf-8") == plain


def test_source_snippet_handles_tabs_wide_characters_and_multiline_ranges() -> None:
    tabbed = source_snippet("\tx = f(a)", 7, 6, 7, 10)
    assert tabbed == ["  7 |     x = f(a)", "    |         ^^^^"]
    wide = source_snippet("s = '日本' + x", 12, 10, 12, 11)
    assert wide == [" 12 | s = '日本' + x", "    |            ^"]
    multi = source_snippet("q = select(", 1, 5, 4, 2)
    assert multi == ["  1 | q = select(", "    |     ^^^^^^^"]
    past_end = source_snippet("x = (", 3, 6, 3, 6)
    assert past_end[1] == "    |      ^"
    coloured = source_snippet("x = 1", 1, 1, 1, 2, color=True)
    assert ANSI.search(coloured[1]) and ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", coloured[1])) == "    | ^"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_ansi_codes_unless_a_terminal_or_forced(project: Path, fmt: str) -> None:
    assert not ANSI.search(invoke("check", "--format", fmt, "--show-source").output)
    forced = invoke("check", "--format", fmt, "--show-source", env={"FORCE_COLOR": "1"}).output
    assert bool(ANSI.search(forced)) == (fmt in ("text", "concise")), "machine formats are never coloured"
    assert not ANSI.search(invoke("check", "--format", fmt, "--show-source", "--no-color", env={"FORCE_COLOR": "1"}).output)
    assert not ANSI.search(invoke("check", "--format", fmt, "--show-source", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).output)
    invoke("check", "--format", fmt, "--show-source", "-o", "out.txt", env={"FORCE_COLOR": "1"})
    assert not ANSI.search((project / "out.txt").read_text(encoding="utf-8")), "never colour a file"


# -- all formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_exit_codes_are_the_same_in_every_format(project: Path, fmt: str) -> None:
    assert invoke("check", "--format", fmt).exit_code == 1
    assert invoke("check", "--format", fmt, "--exit-zero").exit_code == 0
    assert invoke("check", "--format", fmt, "--select", "FL6").exit_code == 0
    assert invoke("check", "--format", fmt, "app", "nope.py").exit_code == 2


def test_check_help_names_every_format_and_the_source_option() -> None:
    text = " ".join(invoke("check", "--help").output.split())
    for fmt in FORMATS:
        assert fmt in text
    assert "--show-source / --no-show-source" in text
    assert "SARIF 2.1.0" in text and "GitHub code scanning" in text and "Code Quality" in text and "JUnit XML" in text


# -- golden files --------------------------------------------------------------------------------

SNAPSHOTS = ROOT / "tests" / "snapshots"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("text-show-source.txt", ("--show-source",)),
        ("github.txt", ("--format", "github")),
        ("gitlab.json", ("--format", "gitlab")),
        ("junit.xml", ("--format", "junit")),
        ("sarif-results.json", ("--format", "sarif")),
    ],
)
def test_output_matches_the_golden_file(project: Path, name: str, args: tuple[str, ...]) -> None:
    """Regenerate with FASTLINT_UPDATE_SNAPSHOTS=1. The SARIF file holds the run without the rule
    descriptors and rule indexes (those follow the docstrings and the registry; other tests check
    them) and without the machine's absolute %SRCROOT%."""
    output = invoke("check", *args).output
    if name.startswith("sarif"):
        run = json.loads(output)["runs"][0]
        run["tool"]["driver"]["rules"] = "<every rule of the registry>"
        for result in run["results"]:
            result["ruleIndex"] = "<index of ruleId>"
        run["tool"]["driver"]["version"] = run["tool"]["driver"]["semanticVersion"] = "<version>"
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///<cwd>/"
        output = json.dumps(run, indent=2, ensure_ascii=False) + "\n"
    golden = SNAPSHOTS / name
    if os.environ.get("FASTLINT_UPDATE_SNAPSHOTS") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(output, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with FASTLINT_UPDATE_SNAPSHOTS=1"
    assert output == golden.read_text(encoding="utf-8")
