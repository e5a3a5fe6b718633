"""Lint one file: decode, parse once, walk once with every enabled rule, then settle the findings.

The walk is our own iterative traversal of the LibCST tree. LibCST's `visit` rebuilds every node
as it goes (about 4x the cost of a plain walk, see DESIGN.md "What costs what") and recurses (deep
expressions hit the recursion limit); ours reads each node's child fields in source order, skips
tokens and whitespace, and dispatches to the semantic model and the rules' ``visit_<Node>`` /
``leave_<Node>`` methods. A rule that raises is switched off for the rest of the file and reported
as FL003; the other rules go on.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import sys
import tokenize
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from fastlint.analysis.context import FileContext
from fastlint.analysis.index import ProjectIndex
from fastlint.analysis.model import ModuleModel
from fastlint.conditions import TRUE, Expr, simplify
from fastlint.diagnostics import Diagnostic, Fix, Location, Severity
from fastlint.positions import positions_of, remember_ast, remembered_ast
from fastlint.rule import Lookup, NodeText, Report, Rule
from fastlint.suppression import Silenced, Suppressions, might_have_directives, parse_suppressions

PARSE_ERROR = ("FL001", "syntax-error")
INTERNAL_ERROR = ("FL003", "internal-error")

# -- traversal ---------------------------------------------------------------------------------------

#: Fields that hold tokens, whitespace or comments, never walked.
_SKIPPED_FIELDS = frozenset(
    {
        "leading_lines",
        "lines_after_decorators",
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "comma",
        "semicolon",
        "equal",
        "colon",
        "dot",
        "header",
        "footer",
        "indent",
        "trailing_whitespace",
        "asynchronous",
        "operator",
        "star",
        "walrus",
        "arrow",
        "relative",
        "encoding",
        "default_indent",
        "default_newline",
        "has_trailing_newline",
        "whitespace_between",
        "start",
        "end",
        "prefix",
        "quote",
    }
)
#: Child fields in source order, where the dataclass order differs or where a field holds a
#: binding or a keyword rather than an expression (those are read from the parent node instead).
_FIELD_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "bases", "keywords", "body"),
    cst.Attribute: ("value",),
    cst.Arg: ("value",),
    cst.Param: ("annotation", "default"),
    cst.Import: (),
    cst.ImportFrom: (),
    cst.Global: (),
    cst.Nonlocal: (),
    cst.AsName: (),
    cst.ExceptHandler: ("type", "body"),
    cst.ExceptStarHandler: ("type", "body"),
    cst.WithItem: ("item", "asname"),
    cst.Lambda: ("params", "body"),
    cst.CompFor: ("iter", "target", "ifs", "inner_for_in"),
    cst.For: ("iter", "target", "body", "orelse"),
    cst.FormattedStringExpression: ("expression", "format_spec"),
}
_fields_cache: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    fields = _fields_cache.get(cls)
    if fields is None:
        if cls in _FIELD_ORDER:
            fields = _FIELD_ORDER[cls]
        else:
            fields = tuple(
                f.name
                for f in dataclasses.fields(cls)
                if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
            )
        _fields_cache[cls] = fields
    return fields


_node_types: dict[type, bool] = {}


def _is_node_type(cls: type) -> bool:
    """`issubclass(cls, CSTNode)`, memoised: CSTNode is an ABC and isinstance() on it is slow."""
    known = _node_types.get(cls)
    if known is None:
        known = _node_types[cls] = isinstance(cls, type) and issubclass(cls, cst.CSTNode)
    return known


def _children(item: Any) -> list[Any]:
    children: list[Any] = []
    is_node = _node_types
    for name in child_fields(type(item)):
        value = getattr(item, name)
        cls = type(value)
        if cls is tuple or cls is list:
            for v in value:
                flag = is_node.get(type(v))
                if flag or (flag is None and _is_node_type(type(v))):
                    children.append(v)
        else:
            flag = is_node.get(cls)
            if flag or (flag is None and _is_node_type(cls)):
                children.append(value)
    return children


def walk(
    root: cst.CSTNode,
    enter: dict[type, list[Callable[[Any], Any]]],
    leave: dict[type, list[Callable[[Any], Any]]],
    order: list[cst.CSTNode] | None = None,
    on_error: Callable[[Callable[[Any], Any], Exception], None] | None = None,
) -> None:
    """Pre-order walk calling `enter[type]` before and `leave[type]` after each node's children.
    If `order` is given, every entered node is appended to it (its index is the node's ordinal).
    A handler that raises is passed to `on_error` (which may remove it) and the walk goes on;
    without `on_error` the exception propagates."""
    stack: list[Any] = [root]
    push = stack.append
    record = order.append if order is not None else None
    is_node = _node_types
    fields_cache = _fields_cache
    while stack:
        item = stack.pop()
        cls = type(item)
        if cls is tuple:
            node = item[0]
            for fn in leave[type(node)]:
                try:
                    fn(node)
                except Exception as exc:
                    if on_error is None:
                        raise
                    on_error(fn, exc)
            continue
        if record is not None:
            record(item)
        handlers = enter.get(cls)
        if handlers:
            for fn in handlers:
                try:
                    fn(item)
                except Exception as exc:
                    if on_error is None:
                        raise
                    on_error(fn, exc)
        if cls in leave:
            push((item,))
        # the children, pushed in reverse so that they are entered in source order
        start = len(stack)
        fields = fields_cache.get(cls)
        if fields is None:
            fields = child_fields(cls)
        for name in fields:
            value = getattr(item, name)
            vcls = type(value)
            if vcls is tuple or vcls is list:
                for v in value:
                    flag = is_node.get(type(v))
                    if flag or (flag is None and _is_node_type(type(v))):
                        push(v)
            else:
                flag = is_node.get(vcls)
                if flag or (flag is None and _is_node_type(vcls)):
                    push(value)
        if len(stack) - start > 1:
            stack[start:] = stack[start:][::-1]


_method_cache: dict[type, list[tuple[type, str, str]]] = {}


def visitor_methods(rule_cls: type[Rule]) -> list[tuple[type, str, str]]:
    """(node class, "visit"|"leave", method name) for each visitor method a rule defines."""
    methods = _method_cache.get(rule_cls)
    if methods is None:
        methods = []
        for attr in sorted(dir(rule_cls)):
            kind, _, node_name = attr.partition("_")
            if kind not in ("visit", "leave") or not node_name:
                continue
            fn = getattr(rule_cls, attr)
            if not callable(fn) or getattr(fn, "_is_no_op", False):
                continue
            node_cls = getattr(cst, node_name, None)
            if not (isinstance(node_cls, type) and issubclass(node_cls, cst.CSTNode)):
                raise TypeError(f"{rule_cls.__name__}.{attr}: {node_name!r} is not a LibCST node class")
            methods.append((node_cls, kind, attr))
        _method_cache[rule_cls] = methods
    return methods


# -- results -----------------------------------------------------------------------------------------


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Findings whose condition needs the project index.
    pending: list[PendingFinding] = field(default_factory=list)
    facts: dict[str, Any] | None = None
    internal_error: bool = False
    parsed: bool = True
    #: the pre-filter found nothing in the file to parse for (its facts are an empty module's)
    prefiltered: bool = False
    #: counters for --statistics (e.g. SQL strings found, parsed and skipped)
    stats: dict[str, int] = field(default_factory=dict)
    #: where to re-read the file to place confirmed pending findings, and its content digest
    source_path: str | None = None
    digest: str | None = None
    #: the findings `# noqa` / `# fastlint: ignore` directives silenced (FL002 compares them)
    silenced: list[Silenced] = field(default_factory=list)
    #: the file's directives, read only when FL002 runs (`lint_file(..., directives=True)`)
    suppressions: Suppressions | None = None
    #: the source itself, for text linted from memory (the Python API): pending findings are placed
    #: from it instead of re-reading `source_path`
    source_text: str | None = None
    #: `pending`, pickled (`pack`): a run over a large project keeps every file's result until the
    #: project pass, and the findings waiting on it take ten times less room as bytes
    pending_blob: bytes | None = None
    #: pending findings placed by the project pass (index in `pending` -> placement, None for
    #: one that has no place), kept so that a later run (through the cache) need not re-parse
    placements: dict[int, Placed | None] = field(default_factory=dict)
    #: `placements` grew in this run (the cache entry is written again)
    placed_now: bool = False
    #: a digest of `facts` (`facts_digest`): equal digests, equal facts, whatever else changed
    facts_digest: str = ""
    #: a stand-in for a file whose settled findings the last run kept (`runner._settle_all`):
    #: no facts, no findings, only what the run needs to know before it settles
    stub: bool = False
    #: the file is an Alembic revision (its facts hold one): what a stub says instead of facts
    revision: bool = False
    #: this run linted the very bytes its cache key was made of (a file edited while the run
    #: went on is linted as it is now: its key is then not the one of what was linted)
    key_held: bool = False


    def pack(self) -> None:
        if self.pending:
            import pickle

            self.pending_blob = pickle.dumps(self.pending, protocol=pickle.HIGHEST_PROTOCOL)
            self.pending = []

    def unpack(self) -> None:
        if self.pending_blob is not None and not self.pending:
            import pickle

            self.pending = pickle.loads(self.pending_blob)


def facts_digest(facts: Any) -> str:
    """A digest of a file's facts (pickled: `compact` makes equal facts pickle alike). Two runs
    whose files' facts digests are all equal have equal project indexes."""
    import hashlib
    import pickle

    return hashlib.blake2b(pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).hexdigest()


def compact(value: Any, shared: dict[Any, Any] | None = None) -> Any:
    """The same facts in less memory: strings interned, and equal lists of a file made one
    object (facts are read, never changed, once the file's pass is over). A large project's
    facts all stay in memory for the project pass: this halves them."""
    if shared is None:
        shared = {}
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is list:
        items = [compact(v, shared) for v in value]
        # the items are themselves shared already, and alive (the lists kept hold them): equal
        # identities mean equal lists
        key = tuple(map(id, items))
        found = shared.get(key)
        if found is None:
            shared[key] = found = items
        return found
    if kind is dict:
        return {(sys.intern(k) if type(k) is str else k): compact(v, shared) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class RuleSetup:
    rule: type[Rule]
    options: Any


@dataclass(frozen=True)
class FileJob:
    path: str  # as given to open()
    display_path: str
    relpath: str  # relative to the project root, forward slashes
    module_name: str
    is_package: bool
    #: the text to lint instead of the file's content (a fix round's text, not yet written)
    source: str | None = None


class SourceError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def source_encoding(data: bytes) -> str:
    """The encoding of Python source bytes (BOM, PEP 263 cookie); raises SyntaxError. The first
    two lines are split as CPython splits them (`\r\n`, `\r` or `\n`): `tokenize` alone reads up
    to `\n`, which in a file whose lines end with a lone `\r` is the whole file."""
    lines = iter(data.splitlines(keepends=True)[:2])
    encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    return encoding


def decode_source(data: bytes) -> str:
    """Decode Python source bytes the way the interpreter would (BOM, PEP 263 cookie)."""
    nul = data.find(b"\0")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise SourceError("source contains a NUL byte (is this a binary file?)", line, column)
    try:
        encoding = source_encoding(data)
    except SyntaxError as exc:
        raise SourceError(f"cannot decode the file: {exc.msg}", exc.lineno or 1, 1) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = data.count(b"\n", 0, start) + 1
        column = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise SourceError(f"cannot decode the file as {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}", line, column) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _skip_validation(self: cst.CSTNode) -> None:
    pass


def _parse_module(text: str) -> cst.Module:
    """`cst.parse_module` without LibCST's per-node validation (about a tenth of the parse): every
    node the native parser builds is valid by construction, and validation only raises. The
    nodes that rules build (fix replacements) are validated as usual: the hook is put back at
    once."""
    base = cst.CSTNode
    validate = base.__dict__.get("__post_init__")
    if validate is None:  # pragma: no cover - a LibCST without the hook
        return cst.parse_module(text)
    base.__post_init__ = _skip_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        base.__post_init__ = validate  # type: ignore[method-assign]


#: CPython's ways of saying that code nests too deeply for a parser
_TOO_DEEP = re.compile(r"too many nested|nested too deeply|too many levels of indentation|too many statically nested|too complex")

#: LibCST's native parser recurses once per term of an `and`/`or` chain (about 1.1 KB of C stack
#: each), which CPython keeps flat: a 7,500-term chain overflows a default 8 MB stack and kills the
#: process. The parse runs on a thread of its own with this much stack (reserved, not used: the
#: pages are touched only by such chains), and chains longer than MAX_BOOL_CHAIN are refused with
#: FL001 before LibCST sees them (100,000 terms take about 110 MB and 2.5 s to parse).
PARSE_STACK_BYTES = 256 << 20
MAX_BOOL_CHAIN = 100_000


class _ParseThread:
    """One long-lived daemon thread per process with a stack of PARSE_STACK_BYTES, running the
    parses handed to it one at a time. The stack no longer depends on `ulimit -s` or on the
    thread the caller runs in (secondary threads get 8 MB from glibc and 128 KB from musl).
    A forked child starts its own thread (the parent's does not exist there); if the platform
    refuses the stack size, parses run on the calling thread."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._pid = -1
        self._queue: Any = None
        self._thread: Any = None

    def run(self, function: Callable[[str], Any], text: str) -> Any:
        import threading

        if self._thread is not None and threading.current_thread() is self._thread:
            return function(text)
        queue = self._ensure()
        if queue is None:
            return function(text)
        import queue as queues

        reply: queues.SimpleQueue[tuple[bool, Any]] = queues.SimpleQueue()
        queue.put((function, text, reply))
        ok, value = reply.get()
        if ok:
            return value
        raise value

    def _ensure(self) -> Any:
        import os

        if self._pid == os.getpid():
            return self._queue
        import queue as queues
        import threading

        with self._lock:
            if self._pid == os.getpid():
                return self._queue
            jobs: queues.SimpleQueue[Any] = queues.SimpleQueue()
            try:
                previous = threading.stack_size(PARSE_STACK_BYTES)
            except (ValueError, RuntimeError):  # pragma: no cover - a platform without the setting
                self._pid, self._queue = os.getpid(), None
                return None
            try:
                thread = threading.Thread(target=self._serve, args=(jobs,), name="fastlint-parse", daemon=True)
                thread.start()
            except RuntimeError:  # pragma: no cover - the stack could not be reserved
                thread, jobs = None, None  # type: ignore[assignment]
            finally:
                threading.stack_size(previous)
            self._thread, self._queue, self._pid = thread, jobs, os.getpid()
            return jobs

    @staticmethod
    def _serve(jobs: Any) -> None:
        while True:
            function, text, reply = jobs.get()
            try:
                reply.put((True, function(text)))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller, raised there
                reply.put((False, exc))
            del function, text, reply


_PARSER = _ParseThread()


def _longest_bool_chain(tree: Any) -> tuple[int, int]:
    """The number of terms of the longest `and`/`or` chain in CPython's tree, and its line."""
    import ast

    longest, line = 0, 1
    if tree is None:
        return longest, line
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and len(node.values) > longest:
            longest, line = len(node.values), node.lineno
    return longest, line


def parse_source(text: str) -> cst.Module:
    # LibCST's native parser overflows the C stack on very deep nesting (a segfault, not an
    # exception); CPython's parser refuses such code safely, so ask it first when in doubt.
    # Always: deep nesting spread over short lines (a 20,000-branch `elif`, a `not` per line
    # inside brackets) crashes or hangs LibCST too; CPython's parse costs about a tenth of
    # LibCST's, and its tree serves the positions of findings later.
    error = _python_syntax_error(text)
    if error is not None and _TOO_DEEP.search(error.message):
        raise error
    if error is None and text.count("and") + text.count("or") >= MAX_BOOL_CHAIN:  # cheap: most files stop here
        longest, line = _longest_bool_chain(remembered_ast(text))
        if longest > MAX_BOOL_CHAIN:
            raise SourceError(f"an `and`/`or` chain of {longest:,} terms is longer than fastlint's parser takes ({MAX_BOOL_CHAIN:,})", line)
    # any other error CPython has (3.12 syntax on an older Python, say) is LibCST's to judge
    try:
        return _PARSER.run(_parse_module, text)
    except cst.ParserSyntaxError as exc:
        message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
        line, column = max(exc.raw_line, 1), max(exc.raw_column, 0) + 1
    except RecursionError:
        message, line, column = "the file is nested too deeply to parse", 1, 1
    except Exception as exc:  # noqa: BLE001 - the native parser has raised odd errors on odd input
        message, line, column = f"cannot parse the file: {type(exc).__name__}: {exc}", 1, 1
    raise _python_syntax_error(text) or SourceError(f"Python accepts this file but LibCST, fastlint's parser, cannot read it ({message})", line, column)


def _python_syntax_error(text: str) -> SourceError | None:
    """CPython's own account of a syntax error (its messages and positions are the ones users
    know); None when CPython accepts the code that LibCST refused."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(text, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        remember_ast(text, tree)  # positions may need the statements' lines: no second parse
    except SyntaxError as exc:
        return SourceError(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1)
    except (RecursionError, MemoryError):
        return SourceError("syntax error: the file is nested too deeply to parse")
    except ValueError as exc:
        return SourceError(f"syntax error: {exc}")
    return None


def _meta_diagnostic(code_name: tuple[str, str], path: str, message: str, hint: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        code=code_name[0],
        name=code_name[1],
        message=message,
        fix_hint=hint,
        severity=Severity.ERROR,
        path=path,
        location=Location(line, column, line, column),
    )


def source_error_diagnostic(path: str, error: SourceError) -> Diagnostic:
    return _meta_diagnostic(
        PARSE_ERROR, path, error.message, "Fix the syntax or encoding so that Python can read the file", error.line, error.column
    )


# -- the file pass -------------------------------------------------------------------------------------


def lint_source(
    text: str,
    job: FileJob,
    rules: Sequence[RuleSetup],
    settings: Any = None,
    call_depth: int = 3,
    directives: bool = False,
    *,
    prefilter: bool = True,
) -> FileResult:
    """Lint already-decoded source text. With `directives`, the file's suppression directives are
    kept in the result (FL002 reports those that silence nothing). With `prefilter`, a file that
    no rule and no fact collector can use (see `worth_parsing`) is not parsed: its result is that
    of an empty module."""
    if prefilter and not worth_parsing(text, rules, directives):
        empty = lint_source("", job, (), settings, call_depth, False, prefilter=False)
        empty.prefiltered = True
        return empty
    result = FileResult(path=job.display_path)
    try:
        module = parse_source(text)
    except SourceError as error:
        result.parsed = False
        result.diagnostics.append(source_error_diagnostic(job.display_path, error))
        return result
    if directives and might_have_directives(text):
        result.suppressions = parse_suppressions(text)

    model = ModuleModel(module, job.module_name, job.is_package)
    ctx = FileContext(path=job.display_path, relpath=job.relpath, source=text, module=module, model=model, settings=settings)
    lowered = text.lower() if any(setup.rule.requires for setup in rules) else ""
    instances = [
        setup.rule(ctx, setup.options)
        for setup in rules
        if not setup.rule.requires or any(token.lower() in lowered for token in setup.rule.requires)
    ]
    failed: dict[int, BaseException] = {}
    enter, leave, on_error = _dispatch(model, instances, failed)
    order: list[cst.CSTNode] = []
    try:
        walk(module, enter, leave, order, on_error)
    except Exception as exc:  # noqa: BLE001 - a bug in the semantic model: report it, keep the run going
        result.internal_error = True
        result.diagnostics.append(
            _meta_diagnostic(
                INTERNAL_ERROR,
                job.display_path,
                f"fastlint's analysis failed on this file: {type(exc).__name__}: {exc}",
                "Report this at the fastlint issue tracker with the file if you can",
            )
        )
        return result

    summary = model.summary
    summary["app_code"] = ctx.is_application_code
    summary["path"] = job.display_path
    if "alembic" in summary:
        summary["alembic"]["dir"] = posixpath.dirname(job.relpath)
        lowered = text.lower()
        summary["alembic"]["dialects"] = [name for name in DIALECT_NAMES if name in lowered]
    _class_lines(summary, text)
    _function_lines(summary, text)
    summary = compact(summary)
    result.facts = summary
    result.facts_digest = facts_digest(summary)
    if "sql" in ctx.__dict__:  # the SQL sinks were looked at: count what was found and parsed
        result.stats = dict(ctx.sql.stats)
    reports: list[tuple[Rule, Report, Expr]] = []
    local = ProjectIndex([summary], partial=True, call_depth=call_depth)
    for i, rule in enumerate(instances):
        if i in failed:
            continue
        for report in rule.reports:
            try:
                residual = simplify(report.when.expr, local.oracle)
            except Exception as exc:  # noqa: BLE001
                failed[i] = exc
                break
            if residual[0] != "F":
                reports.append((rule, report, residual))

    for i, exc in failed.items():
        rule = instances[i]
        result.internal_error = True
        where = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
        result.diagnostics.append(
            _meta_diagnostic(
                INTERNAL_ERROR,
                job.display_path,
                f"rule {rule.code} ({rule.name}) failed on this file: {where}",
                "Report this at the fastlint issue tracker; the other rules' findings still stand",
            )
        )
    reports = [r for r in reports if instances.index(r[0]) not in failed]
    definite = [(rule, report) for rule, report, residual in reports if residual[0] == "T"]
    if definite:
        result.diagnostics.extend(materialize(text, module, job.display_path, definite, local, result.silenced, order))
    waiting = [(rule, report, residual) for rule, report, residual in reports if residual[0] != "T"]
    if waiting:
        result.pending = _pending(order, waiting)
        walked = {id(n) for n in order} if len(result.pending) < len(waiting) else None
        if walked is not None:  # reported at nodes the walk does not enter: place them now
            outside = [(rule, report, residual) for rule, report, residual in waiting if id(report.node) not in walked]
            placed = place(text, module, job.display_path, [(rule, report) for rule, report, _ in outside], order)
            for (rule, report, residual), where in zip(outside, placed):
                if where is not None:
                    result.pending.append(PendingFinding(rule.code, -1, report.message, report.hint, (), residual, where))
        result.source_path = job.path
        result.digest = _digest(text)
        if job.source is not None:
            result.source_text = text
    return result


def worth_parsing(text: str, rules: Sequence[RuleSetup], directives: bool = False) -> bool:
    """The pre-filter: can parsing this text change anything? Yes if an enabled rule's tokens
    (`Rule.requires`, tokens without which it cannot fire) are in it, or the semantic model's
    (`ModuleModel.TOKENS`: without them a module binds, imports, defines and calls nothing, and
    its facts are those of an empty module), or it has suppression directives FL002 would read,
    or CPython cannot compile it (it gets its FL001)."""
    lowered: str | None = None
    for token in ModuleModel.TOKENS:
        if token in text:
            return True
    for setup in rules:
        requires = setup.rule.requires
        if not requires:
            return True
        if lowered is None:
            lowered = text.lower()
        if any(token.lower() in lowered for token in requires):
            return True
    if directives and might_have_directives(text):
        return True
    return _python_syntax_error(text) is not None


def _class_lines(summary: dict[str, Any], text: str) -> None:
    """The line of each mapped class (for messages that point at a model), found in the source
    text rather than with positions: only classes with columns or relationships are looked up."""
    import re

    for qual, facts in summary["classes"].items():
        if "columns" in facts or "relationships" in facts:
            name = re.escape(qual.rsplit(".", 1)[-1])
            match = re.search(rf"^[ \t]*class[ \t]+{name}\b", text, re.MULTILINE)
            if match:
                facts["line"] = text.count("\n", 0, match.start()) + 1


_DEF = None


def _function_lines(summary: dict[str, Any], text: str) -> None:
    """The line of each function's `def` (for call chains in messages), from the source text:
    functions are walked in source order, so the n-th `def name` is the n-th function called so."""
    global _DEF
    functions = summary["functions"]
    if not functions:
        return
    if _DEF is None:
        import re

        _DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)
    matches = [(m.group(1), m.start()) for m in _DEF.finditer(text)]
    i = 0
    line, last = 1, 0
    for facts in functions.values():
        name = facts["name"]
        j = i
        while j < len(matches) and matches[j][0] != name:
            j += 1
        if j == len(matches):
            continue  # a `def` the pattern cannot see (e.g. after a `;`): no line
        start = matches[j][1]
        line += text.count("\n", last, start)
        last = start
        facts["line"] = line
        i = j + 1


# -- placing findings ------------------------------------------------------------------------------


def _digest(text: str) -> str:
    import hashlib

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _offsets(text: str) -> list[int]:
    """Offset of the start of each line (1-based index: offsets[line - 1])."""
    out = [0]
    i = 0
    for line in text.splitlines(keepends=True):
        i += len(line)
        out.append(i)
    return out


def _node_text(text: str, starts: list[int], span: tuple[tuple[int, int], tuple[int, int]], field: NodeText) -> str:
    (line, col), (end_line, end_col) = span
    if line - 1 >= len(starts) or end_line - 1 >= len(starts):
        return "..."
    raw = text[starts[line - 1] + col : starts[end_line - 1] + end_col]
    if "#" in raw and "\n" in raw:  # a multi-line snippet: leave its comments out
        raw = "\n".join(re.sub(r"\s#[^'\"]*$", "", ln) for ln in raw.splitlines())
    short = " ".join(raw.split())
    limit = field.limit
    if len(short) > limit:
        short = short[: limit - 3] + "..."
    return short + field.suffix


@dataclass(frozen=True)
class Placed:
    """A finding with its place: location, message and hint templates with their fields, fix,
    and whether a directive silences it. Lookup fields (filled in from the project index) stay
    open until it becomes a diagnostic, so a placement can be kept (in the file's result, and
    in the cache) while the other files change."""

    code: str
    name: str
    severity: Severity
    path: str
    location: Location
    message: str
    hint: str
    fields: tuple[tuple[str, Any], ...]
    fix: Fix | None = None
    #: a `# noqa` / `# fastlint: ignore` directive covers it
    suppressed: bool = False

    def diagnostic(self, index: ProjectIndex | None) -> Diagnostic:
        values: dict[str, Any] = {}
        for key, value in self.fields:
            if isinstance(value, Lookup):
                value = (index.lookup(value.query, value.args) if index is not None else None) or "?"
            values[key] = value
        return Diagnostic(
            code=self.code,
            name=self.name,
            message=self.message.format(**values),
            fix_hint=self.hint.format(**values),
            severity=self.severity,
            path=self.path,
            location=self.location,
            fix=self.fix,
        )

    def silenced(self) -> Silenced:
        return Silenced(self.code, self.location.line, self.location.end_line)


def place(
    text: str,
    module: cst.Module,
    path: str,
    items: Sequence[tuple[Any, Report]],
    order: Sequence[cst.CSTNode] | None = None,
) -> list[Placed | None]:
    """Place reports (one result per item, None where the reported node has no position):
    positions of the reported nodes and of the nodes quoted in messages, message fields,
    suppression by directives, and fixes. `order` (the walk's nodes, in order) lets the
    positions come from the top-level statements that hold the nodes."""
    wanted: list[cst.CSTNode] = []
    for _, report in items:
        wanted.append(report.node)
        wanted.extend(v.node for v in report.fields.values() if isinstance(v, NodeText))
    positions = positions_of(module, wanted, text, order)
    suppressions = parse_suppressions(text) if might_have_directives(text) else None
    starts = _offsets(text)
    spans = [positions.get(id(report.node)) for _, report in items]
    suppressed = [
        span is not None and suppressions is not None and suppressions.is_suppressed(rule.code, span[0][0], span[1][0])
        for (rule, _), span in zip(items, spans)
    ]
    fixable = [n for n in range(len(items)) if spans[n] is not None and not suppressed[n]]
    fixes = _fixes(text, module, [items[n] for n in fixable])
    fix_of = {n: fixes[i] for i, n in enumerate(fixable) if i in fixes}
    out: list[Placed | None] = []
    for n, (rule, report) in enumerate(items):
        span = spans[n]
        if span is None:
            out.append(None)
            continue
        (line, col), (end_line, end_col) = span
        fields: list[tuple[str, Any]] = []
        for key, v in report.fields.items():
            if isinstance(v, NodeText):
                v = _node_text(text, starts, positions[id(v.node)], v) if id(v.node) in positions else "..."
            fields.append((key, v))
        out.append(
            Placed(
                code=rule.code,
                name=rule.name,
                severity=rule.severity,
                path=path,
                location=Location(line, col + 1, end_line, end_col + 1),
                message=report.message,
                hint=report.hint,
                fields=tuple(fields),
                fix=fix_of.get(n),
                suppressed=suppressed[n],
            )
        )
    return out


def materialize(
    text: str,
    module: cst.Module,
    path: str,
    items: Sequence[tuple[Any, Report]],
    index: ProjectIndex | None = None,
    silenced: list[Silenced] | None = None,
    order: Sequence[cst.CSTNode] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for reports whose condition holds (see `place`); the findings directives
    silence are appended to `silenced` when it is given."""
    out: list[Diagnostic] = []
    for placed in place(text, module, path, items, order):
        if placed is None:
            continue
        if placed.suppressed:
            if silenced is not None:
                silenced.append(placed.silenced())
            continue
        out.append(placed.diagnostic(index))
    return out


def _fixes(text: str, module: cst.Module, items: Sequence[tuple[Any, Report]]) -> dict[int, Fix]:
    """The fix of each item whose rule has one and whose report carries a replacement, as a text
    edit (see `fastlint.fixes`); a replacement that cannot be made is no fix."""
    chosen = [i for i, (rule, report) in enumerate(items) if report.replacement is not None and rule.fix is not None]
    if not chosen:
        return {}
    from fastlint.fixes import line_starts, node_edits, to_location

    try:
        edits = node_edits(module, text, [(items[i][1].fix_target, items[i][1].replacement) for i in chosen])  # type: ignore[misc]
    except (Exception, RecursionError):  # noqa: BLE001 - a rule's malformed replacement: the finding stands, without a fix
        return {}
    starts = line_starts(text)
    return {
        i: Fix(items[i][0].fix, to_location(starts, edit.start, edit.end), edit.replacement)
        for i, edit in zip(chosen, edits)
        if edit is not None
    }


def _ordered_nodes(module: cst.Module) -> Iterator[cst.CSTNode]:
    """Every walked node, in the order `walk` enters them."""
    stack: list[Any] = [module]
    while stack:
        item = stack.pop()
        yield item
        children = _children(item)
        children.reverse()
        stack.extend(children)


def nodes_at(module: cst.Module, ordinals: set[int], order: list[cst.CSTNode] | None = None) -> dict[int, cst.CSTNode]:
    """The nodes at these walk ordinals; the nodes walked up to the last of them are appended to
    `order` when it is given."""
    out: dict[int, cst.CSTNode] = {}
    last = max(ordinals, default=-1)
    for i, node in enumerate(_ordered_nodes(module)):
        if order is not None:
            order.append(node)
        if i in ordinals:
            out[i] = node
        if i >= last:
            break
    return out


@dataclass(frozen=True)
class PendingFinding:
    """A finding waiting on other files: the node is named by its walk-order ordinal, so nothing
    about it is computed (positions, message text) unless the project pass confirms it."""

    code: str
    ordinal: int
    message: str
    hint: str
    #: message fields; a quoted node is ("\0node", ordinal, suffix, limit)
    fields: tuple[tuple[str, Any], ...]
    condition: Expr
    #: already placed (a node the walk does not enter, e.g. a parameter's name)
    placed: Placed | None = None
    #: the fix: the node replaced (an ordinal, -1 for none) and the node that replaces it
    fix_target: int = -1
    replacement: cst.CSTNode | None = None


def _pending(order: Sequence[cst.CSTNode], waiting: Sequence[tuple[Rule, Report, Expr]]) -> list[PendingFinding]:
    wanted: set[int] = set()
    for _, report, _ in waiting:
        wanted.add(id(report.node))
        wanted.update(id(v.node) for v in report.fields.values() if isinstance(v, NodeText))
        if report.replacement is not None:
            wanted.add(id(report.fix_target))
    ordinal = {id(node): i for i, node in enumerate(order) if id(node) in wanted}
    out = []
    for rule, report, residual in waiting:
        if id(report.node) not in ordinal:
            continue
        fields = tuple(
            (
                key,
                ("\0node", ordinal[id(v.node)], v.suffix, v.limit)
                if isinstance(v, NodeText)
                else ("\0lookup", v.query, v.args)
                if isinstance(v, Lookup)
                else v,
            )
            for key, v in report.fields.items()
            if not isinstance(v, NodeText) or id(v.node) in ordinal
        )
        target = ordinal.get(id(report.fix_target), -1) if report.replacement is not None and rule.fix is not None else -1
        out.append(
            PendingFinding(
                rule.code,
                ordinal[id(report.node)],
                report.message,
                report.hint,
                fields,
                residual,
                fix_target=target,
                replacement=report.replacement if target != -1 else None,
            )
        )
    return out


def materialize_pending(result: FileResult, confirmed: Sequence[PendingFinding], rules: dict[str, Any], index: ProjectIndex | None = None) -> list[Diagnostic]:
    """Diagnostics for confirmed pending findings. Those not placed yet are placed by re-reading
    and re-parsing the file (only files with confirmed findings pay for this; a file that
    changed since it was linted is not guessed at), and the placements are kept in
    `result.placements` (and so in the cache). The findings that directives silence are added to
    `result.silenced`."""
    out: list[Diagnostic] = []
    todo: list[tuple[int, PendingFinding]] = []
    position = {id(f): i for i, f in enumerate(result.pending)}
    for f in confirmed:
        i = position.get(id(f), -1)
        where = f.placed if f.placed is not None else result.placements.get(i)
        if where is None and i not in result.placements:
            todo.append((i, f))
        elif where is not None:
            if where.suppressed:
                result.silenced.append(where.silenced())
            else:
                out.append(where.diagnostic(index))
    if todo:
        for i, where in zip([i for i, _ in todo], _place_pending(result, [f for _, f in todo], rules)):
            result.placements[i] = where
            result.placed_now = True
            if where is None:
                continue
            if where.suppressed:
                result.silenced.append(where.silenced())
            else:
                out.append(where.diagnostic(index))
    return out


def _place_pending(result: FileResult, pending: Sequence[PendingFinding], rules: dict[str, Any]) -> list[Placed | None]:
    nothing: list[Placed | None] = [None] * len(pending)
    if result.source_path is None and result.source_text is None:
        return nothing
    if result.source_text is not None:
        text = result.source_text
    else:
        try:
            with open(result.source_path, "rb") as fh:  # type: ignore[arg-type]
                text = decode_source(fh.read())
        except (OSError, SourceError):
            return nothing
    if _digest(text) != result.digest:
        return nothing
    try:
        module = parse_source(text)
    except SourceError:
        return nothing
    wanted = {f.ordinal for f in pending}
    for f in pending:
        wanted.update(v[1] for _, v in f.fields if isinstance(v, tuple) and v and v[0] == "\0node")
        if f.fix_target != -1:
            wanted.add(f.fix_target)
    walked: list[cst.CSTNode] = []
    nodes = nodes_at(module, wanted, walked)
    items: list[tuple[Any, Report]] = []
    kept: list[int] = []
    for n, f in enumerate(pending):
        node = nodes.get(f.ordinal)
        if node is None:
            continue
        fields: dict[str, Any] = {}
        for key, v in f.fields:
            if isinstance(v, tuple) and v and v[0] == "\0node":
                quoted = nodes.get(v[1])
                fields[key] = NodeText(quoted, v[2], v[3]) if quoted is not None else "..."
            elif isinstance(v, tuple) and v and v[0] == "\0lookup":
                fields[key] = Lookup(v[1], v[2])
            else:
                fields[key] = v
        target = nodes.get(f.fix_target) if f.fix_target != -1 else None
        replacement = f.replacement if target is not None else None
        items.append((rules[f.code], Report(node, f.message, f.hint, fields, TRUE, replacement, target)))
        kept.append(n)
    out = list(nothing)
    for n, where in zip(kept, place(text, module, result.path, items, walked)):
        out[n] = where
    return out


#: database names a revision file may mention (`dialect.name == "mysql"`, `postgresql_using=`,
#: `sqlalchemy.dialects.sqlite`): which databases its history is written for
DIALECT_NAMES = ("postgres", "mysql", "mariadb", "sqlite", "mssql", "oracle")


def lint_file(
    job: FileJob,
    rules: Sequence[RuleSetup],
    settings: Any = None,
    call_depth: int = 3,
    directives: bool = False,
    *,
    prefilter: bool = True,
    data: bytes | None = None,
) -> FileResult:
    """Read, decode and lint one file (or `data`, its bytes already read: the cache keys an
    entry by the very bytes linted). Never raises: bad input becomes FL001, and a failure of
    fastlint itself becomes FL003 for this file while the run goes on."""
    try:
        return _lint_file(job, rules, settings, call_depth, directives, prefilter, data)
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - isolate the file
        result = FileResult(path=job.display_path, internal_error=True)
        result.diagnostics.append(
            _meta_diagnostic(
                INTERNAL_ERROR,
                job.display_path,
                f"fastlint failed on this file: {type(exc).__name__}: {exc}"[:300],
                "Report this at the fastlint issue tracker with the file if you can",
            )
        )
        return result


def _lint_file(
    job: FileJob, rules: Sequence[RuleSetup], settings: Any, call_depth: int, directives: bool, prefilter: bool, data: bytes | None = None
) -> FileResult:
    if job.source is not None:
        return lint_source(job.source, job, rules, settings, call_depth, directives, prefilter=prefilter)
    try:
        if data is None:
            with open(job.path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        result = FileResult(path=job.display_path, parsed=False)
        result.diagnostics.append(
            _meta_diagnostic(PARSE_ERROR, job.display_path, f"cannot read the file: {exc.strerror or exc}", "Check that the file exists and is readable")
        )
        return result
    try:
        text = decode_source(data)
    except SourceError as error:
        result = FileResult(path=job.display_path, parsed=False)
        result.diagnostics.append(source_error_diagnostic(job.display_path, error))
        return result
    return lint_source(text, job, rules, settings, call_depth, directives, prefilter=prefilter)


def _dispatch(
    model: ModuleModel, rules: Sequence[Rule], failed: dict[int, BaseException]
) -> tuple[dict[type, list[Callable[[Any], Any]]], dict[type, list[Callable[[Any], Any]]], Callable[[Any, Exception], None]]:
    """The walk's handler tables, and the error handler that isolates a failing rule: its
    exception is recorded, and its handlers are removed for the rest of the file. An exception in
    the semantic model itself is not isolated (every rule depends on it)."""
    enter: dict[type, list[Callable[[Any], Any]]] = {}
    leave: dict[type, list[Callable[[Any], Any]]] = {}
    # The model enters a node before the rules visit it and leaves it after they leave it.
    for node_cls, handler in model.enter_handlers.items():
        enter[node_cls] = [handler]
    for rule in rules:
        for node_cls, kind, attr in visitor_methods(type(rule)):
            table = enter if kind == "visit" else leave
            table.setdefault(node_cls, []).append(getattr(rule, attr))
    for node_cls, handler in model.leave_handlers.items():
        leave.setdefault(node_cls, []).append(handler)
    index = {id(rule): i for i, rule in enumerate(rules)}

    def on_error(fn: Any, exc: Exception) -> None:
        owner = getattr(fn, "__self__", None)
        if owner is None or id(owner) not in index:
            raise exc
        failed[index[id(owner)]] = exc
        for table in (enter, leave):
            for cls, handlers in table.items():
                # new lists: the walk may be iterating over the old one right now
                table[cls] = [h for h in handlers if getattr(h, "__self__", None) is not owner]

    return enter, leave, on_error
