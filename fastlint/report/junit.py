"""`--format junit`: JUnit XML, as ruff writes it: one `<testsuite>` per file with one failing
`<testcase>` per finding; a clean run is one suite with one passing test case."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from fastlint.report import ReportOptions
from fastlint.report._common import by_path, posix_path

#: characters XML 1.0 cannot carry at all, even escaped
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "junit") -> str:
    n = len(result.diagnostics)
    root = ET.Element("testsuites", name="fastlint", tests=str(max(n, 1)), failures=str(n), errors="0")
    if not n:
        suite = ET.SubElement(root, "testsuite", name="fastlint", tests="1", disabled="0", errors="0", failures="0", package="fastlint")
        ET.SubElement(suite, "testcase", name="No problems found", classname="fastlint")
    for path, found in by_path(result.diagnostics).items():
        path = _clean(posix_path(path))
        suite = ET.SubElement(
            root, "testsuite", name=path, tests=str(len(found)), disabled="0", errors="0", failures=str(len(found)), package="fastlint"
        )
        for d in found:
            loc = d.location
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"fastlint.{d.code}",
                classname=path,
                file=path,
                line=str(loc.line),
                column=str(loc.column),
            )
            failure = ET.SubElement(case, "failure", message=_clean(d.message), type=f"{d.code} {d.name}")
            text = f"line {loc.line}, col {loc.column}, {d.code} [{d.name}] {d.message}"
            if d.fix_hint:
                text += f"\nhint: {d.fix_hint}"
            failure.text = _clean(text)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
