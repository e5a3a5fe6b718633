"""The bases every rule stands on: `Rule` (a LibCST batchable visitor) and `MetaRule`.

A rule class declares its metadata as class attributes; `__init_subclass__` checks them when the
class is defined, so a malformed rule fails at import time rather than in a user's CI.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from fastlint.conditions import TRUE, Cond
from fastlint.diagnostics import FixSafety, Severity

if TYPE_CHECKING:
    from fastlint.analysis.context import FileContext

CODE_RE = re.compile(r"^FL[0-9]{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FAMILIES = {
    "0": "fastlint",
    "1": "sessions",
    "2": "sql",
    "3": "async_work",
    "4": "security",
    "5": "concurrency",
    "6": "migrations",
}
#: The documentation sections, in the order they must appear.
DOC_SECTIONS = (
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "References",
)
_REQUIRED_SECTIONS = ("Why is this bad?", "Example", "Use instead", "References")
_SECTION_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class NoOptions:
    """The options of a rule that has none."""


def doc_sections(doc: str) -> list[str]:
    return _SECTION_RE.findall(doc)


def clean_doc(doc: str | None) -> str:
    import inspect

    return inspect.cleandoc(doc or "")


class RuleInfo:
    """Metadata shared by visitor rules and the meta rules (FL0xx)."""

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_hint: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    default_enabled: ClassVar[bool] = True
    fix: ClassVar[FixSafety | None] = None
    Options: ClassVar[type] = NoOptions
    #: Tokens without which the rule cannot fire (case-insensitive; a cheap pre-check of the
    #: source text: a file that contains none of them does not run the rule). Empty: always run.
    #: A token must be a necessary condition: the pre-check may never change results.
    requires: ClassVar[tuple[str, ...]] = ()
    _abstract: ClassVar[bool] = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._abstract = abstract
        if not abstract:
            _validate(cls)

    @classmethod
    def family(cls) -> str:
        return FAMILIES[cls.code[2]]

    @classmethod
    def documentation(cls) -> str:
        return clean_doc(cls.__doc__)

    @classmethod
    def summary(cls) -> str:
        return cls.documentation().split("\n\n", 1)[0].replace("\n", " ").strip()


def _validate(cls: type[RuleInfo]) -> None:
    where = f"rule class {cls.__name__}"
    for attr in ("code", "name", "message", "fix_hint"):
        if not isinstance(getattr(cls, attr, None), str):
            raise TypeError(f"{where}: `{attr}` must be a string")
    if not CODE_RE.match(cls.code) or cls.code[2] not in FAMILIES:
        raise TypeError(f"{where}: code {cls.code!r} is not FL + family digit + two digits")
    if not NAME_RE.match(cls.name) or cls.name.startswith(("no-", "avoid-", "use-")):
        raise TypeError(f"{where}: name {cls.name!r} must be a kebab-case anti-pattern name")
    if not isinstance(cls.severity, Severity):
        raise TypeError(f"{where}: severity must be a Severity")
    if cls.fix is not None and not isinstance(cls.fix, FixSafety):
        raise TypeError(f"{where}: fix must be None or a FixSafety")
    if not (dataclasses.is_dataclass(cls.Options) and cls.Options.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"{where}: Options must be a frozen dataclass")
    for f in dataclasses.fields(cls.Options):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise TypeError(f"{where}: option {f.name!r} needs a default")
    doc = clean_doc(cls.__doc__)
    if not doc or doc.startswith("#"):
        raise TypeError(f"{where}: the docstring must start with a one-sentence summary")
    sections = doc_sections(doc)
    required = list(_REQUIRED_SECTIONS)
    if cls.fix is not None:
        required.append("Fix safety")
    if dataclasses.fields(cls.Options):
        required.append("Options")
    missing = [s for s in required if s not in sections]
    if missing:
        raise TypeError(f"{where}: docstring lacks section(s) {missing}")
    known = [s for s in sections if s in DOC_SECTIONS]
    if known != sorted(known, key=DOC_SECTIONS.index):
        raise TypeError(f"{where}: docstring sections are out of order: {known}")
    if "`" in cls.message and cls.message.count("`") % 2:
        raise TypeError(f"{where}: unbalanced backticks in message")


class MetaRule(RuleInfo, abstract=True):
    """A code that fastlint itself emits (parse errors, internal errors); not a visitor."""


@dataclass(frozen=True)
class NodeText:
    """A node's source text for a message, taken from the source when the finding is placed (so
    a finding that is never confirmed costs no code generation). `suffix` follows the text."""

    node: cst.CSTNode
    suffix: str = ""
    limit: int = 40


@dataclass(frozen=True)
class Lookup:
    """A message field the project index fills in when the finding is placed, e.g. where a model
    is defined: `Lookup("model_location", desc)` -> `app/models.py:12`."""

    query: str
    args: tuple[Any, ...]


@dataclass
class Report:
    """A finding as a rule records it, before positions, suppressions and conditions."""

    node: cst.CSTNode
    message: str  # a str.format template
    hint: str  # a str.format template
    fields: dict[str, Any]
    when: Cond
    #: the fix: the node that takes the place of `replaces` (by default, of the reported node)
    replacement: cst.CSTNode | None = None
    replaces: cst.CSTNode | None = None

    @property
    def fix_target(self) -> cst.CSTNode:
        return self.replaces if self.replaces is not None else self.node


class Rule(RuleInfo, cst.BatchableCSTVisitor, abstract=True):
    """A file rule: a LibCST batchable visitor created fresh for every file.

    The engine walks the tree once and calls every enabled rule's ``visit_<Node>`` and
    ``leave_<Node>`` methods. Token and whitespace nodes (commas, operators, parentheses,
    ``SimpleWhitespace``...) are not walked: read them from their parent node instead.
    """

    def __init__(self, ctx: FileContext, options: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.options = options
        self.reports: list[Report] = []

    def report(
        self,
        node: cst.CSTNode,
        *,
        when: Cond = TRUE,
        hint: str | None = None,
        replacement: cst.CSTNode | None = None,
        replaces: cst.CSTNode | None = None,
        **fields: Any,
    ) -> None:
        """Record a finding at `node`; it stands if `when` holds (decided after the visit).

        A rule with a `fix` offers one with `replacement=`: the node that takes the place of
        `node`, or of `replaces` (the reported node or one of its ancestors, e.g. the block
        around a reported `yield`). The engine turns it into a text edit; the replacement must
        keep every comment of the node it replaces, or no fix is offered."""
        if when.is_false:
            return
        self.reports.append(
            Report(
                node=node,
                message=self.message,
                hint=hint if hint is not None else self.fix_hint,
                fields=fields,
                when=when,
                replacement=replacement,
                replaces=replaces if replacement is not None else None,
            )
        )
