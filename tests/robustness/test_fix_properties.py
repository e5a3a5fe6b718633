"""Fix safety, as properties: for every fixable rule, `check --fix --unsafe-fixes` on generated
files that the rule fixes leaves a file that parses, that a second `--fix` leaves byte for byte
alone, in which every line the fix did not target is still there (same text, same line ending, same
order), whose encoding, BOM, newlines and mode are the original's, and in which the finding is gone.
A file that does not parse is never written.

Each rule has a hypothesis strategy that writes realistic code it fixes: random identifiers
(non-ASCII and soft keywords among them), indentation in spaces or tabs, spacing, comments on and
around the fixed lines, unrelated code, decorators, nested blocks, several occurrences per file.
The strategy knows which lines each fix may rewrite, which occurrences must be fixed and which
must be declined (a comment the fix would drop, a default above the bound, ...).

Examples per rule: `FIX_EXAMPLES` (30) in CI; `FASTLINT_FUZZ_EXAMPLES=<n>` for a long local run.
Hypothesis keeps no database (nothing is written into the repository).
"""

from __future__ import annotations

import ast
import builtins
import codecs
import collections
import io
import keyword
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fastlint.cli import cli
from fastlint.registry import default_registry
from tests.robustness.fuzzing import PROFILE, examples

FIX_EXAMPLES = examples(30)
FIXABLE = sorted(rule.code for rule in default_registry().rules if rule.fix is not None)

# -- generated programs ------------------------------------------------------------------------------

#: Names the templates use: generated identifiers never take them.
RESERVED = frozenset(
    """
    app router api FastAPI APIRouter Query Depends Annotated Optional Union Session AsyncSession sessionmaker
    async_sessionmaker create_engine create_async_engine engine select text jwt pyjwt jose uvicorn run uv
    Starlette fastapi settings SessionLocal logger logging os json Item Depends self cls fetch store
    tracer contextlib closing db_session F Q J Request cache limiter trace subject strict rounds
    """.split()
)
_NON_ASCII_LATIN1 = ("données", "sesión", "ñandú", "straße", "café", "überall")
_NON_ASCII_WIDE = ("δb", "имя", "変数", "λόγος")
_SOFT_KEYWORDS = ("match", "case", "_")
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_TARGET = "\x00T"  # a template line ending in this marker is one a fix may rewrite


def _usable(name: str) -> bool:
    return not keyword.iskeyword(name) and name not in RESERVED and not hasattr(builtins, name)


def identifiers(wide: bool) -> st.SearchStrategy[str]:
    """Python identifiers: short ASCII names, non-ASCII ones (only those latin-1 can hold when
    the file is latin-1) and soft keywords used as names."""
    names = _NON_ASCII_LATIN1 + (_NON_ASCII_WIDE if wide else ())
    return st.one_of(
        st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True),
        st.sampled_from(names + _SOFT_KEYWORDS[:2]),
    ).filter(_usable)


@dataclass
class Occurrence:
    """What must happen to one finding: "fix" (fixed for sure), "keep" (declined for sure) or
    "either" (the fix may be declined, e.g. a comment it would have to drop)."""

    expect: str


@dataclass
class Program:
    """Lines of code (no line ends) at an indentation depth, and which ones a fix may rewrite."""

    lines: list[tuple[int, str, bool]] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    #: tokens a fix may add (additive rules) or remove (FL406)
    tokens: set[str] = field(default_factory=set)

    def add(self, template: str, depth: int = 0, target: bool = False, **names: str) -> None:
        """Add a template (4-space indentation; a line ending in `_TARGET` is targeted)."""
        text = template.format(**names) if names else template
        for raw in text.split("\n"):
            marked = raw.endswith(_TARGET)
            raw = raw[: -len(_TARGET)] if marked else raw
            stripped = raw.lstrip(" ")
            self.lines.append((depth + (len(raw) - len(stripped)) // 4 if stripped else 0, stripped, target or marked))

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self.lines.append((0, "", False))

    def render(self, unit: str) -> tuple[list[str], set[int]]:
        out = [unit * depth + text if text else "" for depth, text, _ in self.lines]
        return out, {i for i, (_, _, target) in enumerate(self.lines) if target}


@st.composite
def comments(draw: st.DrawFn) -> str:
    """An ASCII comment (the file's non-ASCII text comes from its layout) that is no directive."""
    body = draw(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz ABC0123456789.,:;()[]{}'\"!?-_=+*/\\`$%&@^~|<>\t"), max_size=30))
    lowered = body.lower()
    assume(not any(word in lowered for word in ("noqa", "fastlint", "coding", "type:", "error:")))
    return "#" + draw(st.sampled_from(["", " ", "  "])) + body.rstrip()


@st.composite
def unrelated(draw: st.DrawFn, names: st.SearchStrategy[str], used: set[str]) -> Program:
    """Code that no fixable rule cares about: classes, loops, async code, `match`, walrus,
    decorators with arbitrary expressions, multi-line strings, comments. Its names are new ones
    (added to `used`)."""
    program = Program()
    for _ in range(draw(st.integers(0, 3))):
        a, b, c = draw(st.lists(names.filter(lambda n: n not in used), min_size=3, max_size=3, unique=True))
        used |= {a, b, c, a.capitalize()}
        kind = draw(st.integers(0, 9))
        if kind == 0:
            program.add("def {a}({b}, *{c}, **kw):\n    return {b}", a=a, b=b, c=c)
        elif kind == 1:
            program.add("class {A}:\n    {b}: int = 0\n\n    def {c}(self):\n        return [x for x in range(3) if x]", A=a.capitalize() or a, b=b, c=c)
        elif kind == 2:
            program.add("async def {a}():\n    async with {b}() as {c}:\n        await {c}", a=a, b=b, c=c)
        elif kind == 3:
            program.add("if ({a} := len([])) > 0:\n    pass\nelif {b}:\n    {c} = {{1: 2, **{{}}}}", a=a, b=b, c=c)
        elif kind == 4:
            program.add("match {a}:\n    case [{b}, *_]:\n        pass\n    case {{\"k\": {c}}}:\n        pass\n    case _:\n        pass", a=a, b=b, c=c)
        elif kind == 5:
            program.add("try:\n    {a} = 1\nexcept (ValueError, KeyError) as {b}:\n    raise\nelse:\n    pass\nfinally:\n    {c} = None", a=a, b=b, c=c)
        elif kind == 6:
            program.add("@{a}.{b}[0](lambda: 1)\n@{c}\ndef {a}_{b}():\n    pass", a=a, b=b, c=c)
        elif kind == 7:
            program.add('{a} = """\n  SELECT 1\n    -- not code\n"""', a=a)
        elif kind == 8:
            program.add("for {a} in range(2):\n    while False:\n        break\n    else:\n        continue", a=a)
        else:
            program.add(draw(comments()))
        program.blank(draw(st.integers(0, 2)))
    return program


# -- layout: encoding, BOM, newlines, mode ----------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    newline: str
    encoding: str  # the codec the bytes are in
    bom: bool
    header: tuple[str, ...]  # shebang, cookie, a comment with non-ASCII text
    indent: str
    final_newline: bool
    mode: int

    @property
    def wide(self) -> bool:
        return self.encoding == "utf-8"

    def encode(self, lines: list[str]) -> bytes:
        text = self.newline.join([*self.header, *lines]) + (self.newline if self.final_newline else "")
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode(self.encoding)


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    cookie = draw(st.sampled_from([None, "utf-8", "latin-1", "cp1252"]))
    bom = draw(st.booleans()) if cookie in (None, "utf-8") else False
    if cookie is None or cookie == "utf-8":
        alphabet = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn"), exclude_characters="\x85\ufeff")
        encoding = "utf-8"
    else:
        alphabet = st.characters(min_codepoint=0xA0, max_codepoint=0xFF) if cookie == "latin-1" else st.sampled_from("€éèàçœšž™ÿ")
        encoding = cookie
    note = draw(st.text(alphabet, min_size=1, max_size=12)).strip() or "é"
    header: list[str] = []
    if draw(st.booleans()):
        header.append("#!/usr/bin/env python3")
    if cookie is not None:
        form = draw(st.sampled_from(["# -*- coding: {} -*-", "# vim: set fileencoding={} :", "# coding={}"]))
        header.append(form.format(cookie))
    header.append(f"# {note}")
    return Layout(
        newline=newline,
        encoding=encoding,
        bom=bom,
        header=tuple(header),
        indent=draw(st.sampled_from(["    ", "  ", "\t", "        "])),
        final_newline=draw(st.booleans()),
        mode=draw(st.sampled_from([0o644, 0o600, 0o640, 0o664, 0o755, 0o700, 0o750])),
    )


# -- FL406 debug-in-production ------------------------------------------------------------------------


@st.composite
def fl406(draw: st.DrawFn, wide: bool) -> Program:
    """`FastAPI(debug=True)`, `Starlette(debug=...)` and module-level `uvicorn.run(..., reload=True)`
    with other arguments around the flag, single-line or one argument per line, in functions,
    classes and blocks; the flag is `True` or a module constant bound to `True`."""
    names = identifiers(wide)
    program = Program(tokens={"debug", "reload", "=", "True", ","})
    ctor, ctor_import = draw(
        st.sampled_from(
            [
                ("FastAPI", "from fastapi import FastAPI"),
                ("fastapi.FastAPI", "import fastapi"),
                ("F", "from fastapi import FastAPI as F"),
                ("Starlette", "from starlette.applications import Starlette"),
            ]
        )
    )
    runner, run_import = draw(st.sampled_from([("uvicorn.run", "import uvicorn"), ("run", "from uvicorn import run"), ("uv.run", "import uvicorn as uv")]))
    program.add(ctor_import)
    program.add(run_import)
    program.blank(draw(st.integers(1, 2)))
    flag_name = draw(names.map(str.upper).filter(_usable))
    program.add("{n} = True", n=flag_name)
    program.tokens.add(flag_name)
    used = {flag_name}
    program.lines += draw(unrelated(names, used)).lines
    equal = draw(st.sampled_from(["=", " = "]))
    for _ in range(draw(st.integers(1, 4))):
        is_run = draw(st.booleans())
        flag = "reload" if is_run else "debug"
        value = draw(st.sampled_from(["True", flag_name]))
        others = draw(st.lists(st.sampled_from(['title="svc"', "version='1.0'", "docs_url=None", 'root_path=""', "openapi_url=None"]), unique=True, max_size=3))
        if is_run:
            others = [draw(st.sampled_from(['"app.main:app"', "application"]))] + [o for o in ['host="0.0.0.0"', "port=8000", "workers=2"] if draw(st.booleans())]
        args = list(others)
        at = draw(st.integers(1 if is_run else 0, len(args)))  # `uvicorn.run` keeps its target first
        args.insert(at, f"{flag}{equal}{value}")
        call = runner if is_run else ctor
        target = draw(names.filter(lambda n: n not in used))
        used.add(target)
        start = call if is_run else f"{target} = {call}"
        expect = "fix"
        if draw(st.booleans()):  # one argument per line
            trailing = draw(st.booleans())
            notes = [draw(st.one_of(st.none(), comments())) for _ in args]
            body = []
            for i, arg in enumerate(args):
                comma = "," if i < len(args) - 1 or trailing else ""
                body.append(f"    {arg}{comma}" + (f"  {notes[i]}" if notes[i] else "") + _TARGET)
            statement = "\n".join([f"{start}({_TARGET}", *body, f"){_TARGET}"])
            # a comment on the flag's line, or on the line before a flag that comes last, is
            # attached to what the fix removes: the fix may be declined (never the comment dropped)
            if notes[at] or (at == len(args) - 1 and at > 0 and notes[at - 1]):
                expect = "either"
        else:
            space = draw(st.sampled_from(["", " "]))
            note = f"  {draw(comments())}" if draw(st.booleans()) else ""
            statement = f"{start}({space}{', '.join(args)}{space}){note}{_TARGET}"
        where = "module" if is_run else draw(st.sampled_from(["module", "function", "class", "if", "with", "try"]))
        if draw(st.booleans()):
            program.add(draw(comments()))
        if where == "module":
            program.add(statement)
        elif where == "function":
            program.add(f"def make_{target}():")
            program.add(statement, depth=1)
            program.add(f"    return {target}")
        elif where == "class":
            program.add(f"class Holder_{target}:")
            program.add(statement, depth=1)
        elif where == "if":
            program.add(f"if os.environ.get({target!r}):")
            program.add(statement, depth=1)
        elif where == "with":
            program.add("with contextlib.suppress(Exception):")
            program.add(statement, depth=1)
        else:
            program.add("try:")
            program.add(statement, depth=1)
            program.add("except ImportError:\n    pass")
        program.occurrences.append(Occurrence(expect))
        program.blank(draw(st.integers(0, 2)))
    program.lines[0:0] = [(0, "import contextlib", False), (0, "import os", False)]
    return program


# -- FL205 unbounded-page-size ------------------------------------------------------------------------

_PAGE_NAMES = ("limit", "page_size", "per_page", "size", "take", "max_results", "max_items", "page_limit", "count", "top", "first", "batch_size", "pageSize", "perPage", "maxResults", "PAGE_SIZE")


@st.composite
def fl205(draw: st.DrawFn, wide: bool) -> Program:
    """Routes with an integer page-size parameter and no upper bound, in every form the fix
    handles (plain default, `Optional`/`| None`/string annotations, `Query(...)` defaults,
    `Annotated[int, Query(...)]`), among other parameters, on one line or one per line, sync and
    async, under extra decorators; plus forms the fix must decline (a default above the bound)."""
    names = identifiers(wide)
    program = Program(tokens={"Query", "Q", "(", ")", ",", "le", "=", "100"})
    query = draw(st.sampled_from(["Query", "Q"]))
    program.add("from typing import Annotated, Optional")
    program.add("from fastapi import APIRouter, FastAPI" + (", Query" if query == "Query" else "\nfrom fastapi import Query as Q"))
    program.blank(2)
    program.add("app = FastAPI()\nrouter = APIRouter()")
    program.blank()
    used: set[str] = set()
    program.lines += draw(unrelated(names, used)).lines
    for _ in range(draw(st.integers(1, 3))):
        function = draw(names.filter(lambda n: n not in used))
        used.add(function)
        params = draw(st.lists(st.sampled_from(_PAGE_NAMES), min_size=1, max_size=2, unique_by=lambda n: n.replace("_", "").lower()))
        rendered: list[tuple[str, bool]] = []
        for param in params:
            n = draw(st.integers(0, 100))
            form = draw(st.integers(0, 9))
            expect = "fix"
            if form == 0:
                text = f"{param}: int = {n}"
            elif form == 1:
                text = f"{param}: {draw(st.sampled_from(['Optional[int]', 'int | None', 'Union[int, None]']))} = None"
                if "Union" in text:
                    text = text.replace("Union[int, None]", "Optional[int]")
            elif form == 2:
                text = f'{param}: "int" = {n}'
            elif form == 3:
                extra = draw(st.sampled_from(["", ", ge=1", ", ge=0, description='rows'", ", description=\"rows per page\"", ", gt=0, alias='pageSize'"]))
                text = f"{param}: int = {query}({n}{extra})"
            elif form == 4:
                inside = draw(st.sampled_from(["", "ge=1", "ge=1, description='rows'", "description='per page'"]))
                text = f"{param}: Annotated[int, {query}({inside})] = {n}"
            elif form == 5:
                text = f"{param}: Annotated[Optional[int], {query}()] = None"
            elif form == 6:
                text = f"{param}: int = {draw(st.integers(101, 10_000))}"  # above the bound: no fix
                expect = "keep"
            elif form == 7:
                text = f"{param}: int = {query}(default={n})"
            else:  # one argument per line; a comment among them makes the fix decline
                note = draw(st.sampled_from(["", "open", "arg"])) if form == 9 else ""
                opening = f"  {draw(comments())}" if note == "open" else ""
                after = f"  {draw(comments())}" if note == "arg" else ""
                text = f"{param}: int = {query}({opening}\n        {n},{after}\n        ge=1,\n    )"
                expect = "keep" if note else "fix"
            rendered.append((text.replace("\n", _TARGET + "\n"), True))
            program.occurrences.append(Occurrence(expect))
        others = draw(st.lists(st.sampled_from(["q: str = ''", "offset: int = 0", "sort: str = 'id'", "request: Request = None"]), unique=True, max_size=2))
        items = [(o, False) for o in others] + rendered
        order = draw(st.permutations(range(len(items))))
        items = [items[i] for i in order]
        # parameters with defaults only: keep the no-default ones first (`request` has one)
        method = draw(st.sampled_from(["app.get", "router.get", "app.post", "router.api_route"]))
        path = draw(st.sampled_from(["/", "/items", "/{{x}}/list".replace("{{x}}", "a")]))
        route = f'@{method}("{path}"' + (', methods=["GET"]' if method.endswith("api_route") else "") + ")"
        extra_decorators = draw(st.lists(st.sampled_from(["@cache(expire=60)", "@trace", "@limiter.limit('5/minute')"]), max_size=2, unique=True))
        above = draw(st.integers(0, len(extra_decorators)))
        decorators = extra_decorators[:above] + [route] + extra_decorators[above:]
        if draw(st.booleans()):
            program.add(draw(comments()))
        for decorator in decorators:
            program.add(decorator)
        keyword_only = draw(st.booleans())
        head = f"{draw(st.sampled_from(['def', 'async def']))} {function}("
        if draw(st.booleans()):  # one parameter per line
            program.add(head)
            if keyword_only:
                program.add("    *,")
            for i, (text, target) in enumerate(items):
                comma = "," if i < len(items) - 1 or draw(st.booleans()) else ""
                note = f"  {draw(comments())}" if draw(st.booleans()) else ""
                program.add("    " + text + comma + note + (_TARGET if target else ""))
            program.add("):")
        else:
            body = ", ".join(t for t, _ in items)
            program.add(head + ("*, " if keyword_only else "") + body + "):" + _TARGET)
        uses = " + ".join(p for p in params)
        body = draw(
            st.sampled_from(
                [
                    "return {{'items': [], 'n': {u}}}",
                    "rows = fetch(limit={u})\nreturn rows",
                    "if {u}:\n    return list(range({u}))\nreturn []",
                    "# read them\nreturn store.page({u})",
                ]
            )
        )
        program.add(body.format(u=uses), depth=1)
        program.blank(2)
    program.lines[0:0] = [(0, "from fastapi import Request", False), (0, "from typing import Union", False), (0, "from app.store import fetch, store", False), (0, "from app.util import cache, limiter, trace", False)]
    return program


# -- FL403 jwt-decode-unverified ------------------------------------------------------------------------


@st.composite
def fl403(draw: st.DrawFn, wide: bool) -> Program:
    """`jwt.decode(token, key)` without `algorithms=` in a module whose `jwt.encode` calls agree on
    the algorithm (a constant, a literal, the default, a setting), through PyJWT or python-jose,
    in functions, methods, async code, nested blocks and at module level, on one line or one
    argument per line; a parameter that shadows the constant makes the fix use its literal."""
    names = identifiers(wide)
    module, how = draw(st.sampled_from([("jwt", "import jwt"), ("pyjwt", "import jwt as pyjwt"), ("jwt", "from jose import jwt")]))
    program = Program(tokens={"algorithms", "=", "[", "]", ","})
    program.add(how)
    program.add("from app.config import settings")
    program.blank(2)
    secret, constant = draw(st.lists(names.map(str.upper).filter(_usable), min_size=2, max_size=2, unique=True))
    program.add('{s} = "change-me"', s=secret)
    kind = draw(st.sampled_from(["constant", "literal", "default", "setting"]))
    literal = draw(st.sampled_from(['"HS384"', "'HS512'", '"RS256"']))
    program.add("{c} = {v}", c=constant, v=literal)
    program.blank(2)
    algorithm = {"constant": constant, "literal": draw(st.sampled_from(['"HS512"', "'HS512'"])), "default": None, "setting": "settings.jwt_algorithm"}[kind]
    added = {"constant": {constant}, "literal": {algorithm}, "default": {'"HS256"'}, "setting": {"settings", ".", "jwt_algorithm"}}[kind]
    program.tokens |= added  # type: ignore[arg-type]
    used = {secret, constant}
    for i in range(draw(st.integers(1, 2))):
        issuer = draw(names.filter(lambda n: n not in used))
        used.add(issuer)
        if algorithm is None:
            call = f"{module}.encode({{'sub': subject}}, {secret})"
        elif kind == "literal" and draw(st.booleans()):
            call = f"{module}.encode({{'sub': subject}}, {secret}, {algorithm})"  # positional
        else:
            call = f"{module}.encode({{'sub': subject}}, {secret}, algorithm={algorithm})"
        program.add("def {f}(subject):\n    return {c}", f=issuer, c=call)
        program.blank(2)
    program.lines += draw(unrelated(names, used)).lines
    for _ in range(draw(st.integers(1, 3))):
        function, token, claims = draw(st.lists(names.filter(lambda n: n not in used), min_size=3, max_size=3, unique=True))
        used |= {function}
        decode = draw(st.sampled_from(["decode", "decode"] + (["decode_complete"] if how != "from jose import jwt" else [])))
        extras = draw(st.lists(st.sampled_from(['audience="api"', "issuer='https://auth'", "leeway=10", 'options={"verify_aud": False}']), unique=True, max_size=2))
        args = [token, draw(st.sampled_from([secret, "settings.secret_key"])), *extras]
        shadow = kind == "constant" and draw(st.integers(0, 4)) == 0
        if shadow:  # the constant means something else in this function: the fix writes its literal
            program.tokens.add(literal)
        expect = "fix"
        if draw(st.booleans()):
            trailing = draw(st.booleans())
            note_at = draw(st.one_of(st.none(), st.integers(0, len(args) - 1)))
            parts = [f"{module}.{decode}({_TARGET}"]
            for j, arg in enumerate(args):
                comma = "," if j < len(args) - 1 or trailing else ""
                parts.append(f"    {arg}{comma}" + (f"  {draw(comments())}" if note_at == j else "") + _TARGET)
            parts.append(f"){_TARGET}")
            call = "\n".join(parts)
            if note_at is not None:
                expect = "keep"  # a comment among the arguments: `with_keyword` declines
        else:
            call = f"{module}.{decode}(" + ", ".join(args) + ")" + _TARGET
        use = draw(st.sampled_from(["return", "assign", "subscript"]))
        if use == "return":
            body = "return " + call
        elif use == "assign":
            body = f"{claims} = " + call + f"\nreturn {claims}['sub']"
        else:
            body = f"{claims} = {call}\nreturn {claims}.get('role')"
        params = f"{token}, {constant}" if shadow else token
        where = draw(st.sampled_from(["function", "async", "method", "if", "try", "for"]))
        if draw(st.booleans()):
            program.add(draw(comments()))
        if where == "function":
            program.add(f"def {function}({params}):")
            program.add(body, depth=1)
        elif where == "async":
            program.add(f"async def {function}({params}):")
            program.add(body, depth=1)
        elif where == "method":
            program.add(f"class {function.capitalize()}Auth:\n    def read(self, {params}):")
            program.add(body, depth=2)
        elif where == "if":
            program.add(f"def {function}({params}, strict=True):\n    if strict:")
            program.add(body, depth=2)
            program.add("    raise ValueError('lax')")
        elif where == "try":
            program.add(f"def {function}({params}):\n    try:")
            program.add(body, depth=2)
            program.add("    except Exception:  # broad\n        return None")
        else:
            program.add(f"def {function}({params}, rounds=1):\n    for _ in range(rounds):")
            program.add(body, depth=2)
            program.add("    return None")
        program.occurrences.append(Occurrence(expect))
        program.blank(2)
    return program


# -- FL103 session-dependency-without-finally -------------------------------------------------------------


@st.composite
def fl103(draw: st.DrawFn, wide: bool) -> Program:
    """Dependencies that yield a session they created and close it after the `yield` without
    `finally` (sync and async factories, `Session(engine)`), with statements and comments before,
    between and after, the `yield` nested in `with`/`if`/`try-except` blocks or not, used by
    routes through `Depends`, `Annotated` aliases and router dependencies."""
    names = identifiers(wide)
    program = Program(tokens={"try", "finally", ":"})
    program.add("from typing import Annotated")
    program.add("from fastapi import APIRouter, Depends, FastAPI")
    program.add("from sqlalchemy import create_engine")
    program.add("from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine")
    program.add("from sqlalchemy.orm import Session, sessionmaker")
    program.add("from app.tracing import tracer")
    program.blank(2)
    factory, async_factory = draw(st.lists(names.filter(lambda n: n not in ("match", "case", "_")), min_size=2, max_size=2, unique=True))
    program.add('engine = create_engine("sqlite://")\n{f} = sessionmaker(bind=engine)', f=factory)
    program.add('{f} = async_sessionmaker(create_async_engine("sqlite+aiosqlite://"))', f=async_factory)
    program.add("app = FastAPI()")
    program.blank(2)
    used = {factory, async_factory}
    program.lines += draw(unrelated(names, used)).lines
    dependencies: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        function, db = draw(st.lists(names.filter(lambda n: n not in used), min_size=2, max_size=2, unique=True))
        used |= {function, db}
        dependencies.append(function)
        is_async = draw(st.booleans())
        create = draw(st.sampled_from([f"{async_factory}()"] if is_async else [f"{factory}()", "Session(engine)", "Session(bind=engine, expire_on_commit=False)"]))
        close = f"await {db}.close()" if is_async else f"{db}.close()"
        commit = f"await {db}.commit()" if is_async else f"{db}.commit()"
        if draw(st.booleans()):
            program.add(draw(comments()))
        program.add(("async def" if is_async else "def") + f" {function}():")
        program.add(f"{db} = {create}", depth=1)
        if draw(st.booleans()):
            program.add(f'{db}.info["request"] = True', depth=1)
        nest = draw(st.sampled_from(["none", "none", "with", "if", "try"]))
        between = [draw(st.sampled_from([commit, "logger.info('done')", f"{db}.expunge_all()", draw(comments())])) for _ in range(draw(st.integers(0, 2)))]
        yield_line = f"yield {db}" + (f"  {draw(comments())}" if draw(st.booleans()) else "")
        above = [draw(comments())] if draw(st.booleans()) else []
        if nest == "none":
            for line in [*above, yield_line, *between]:
                program.add(line + _TARGET, depth=1)
        elif nest == "with":
            program.add(f"with tracer.start_as_current_span('db'):{_TARGET}", depth=1)
            for line in [*above, yield_line, *between]:
                program.add(line + _TARGET, depth=2)
        elif nest == "if":
            program.add(f"if {db} is not None:{_TARGET}", depth=1)
            for line in [*above, yield_line]:
                program.add(line + _TARGET, depth=2)
            for line in between:
                program.add(line + _TARGET, depth=1)
        else:
            program.add(f"try:{_TARGET}", depth=1)
            for line in [*above, yield_line, *between]:
                program.add(line + _TARGET, depth=2)
            program.add(f"except Exception:{_TARGET}\n    {'await ' if is_async else ''}{db}.rollback(){_TARGET}\n    raise{_TARGET}", depth=1)
        if draw(st.booleans()):
            program.add(draw(comments()) + _TARGET, depth=1)
        program.add(close + _TARGET, depth=1)
        if draw(st.booleans()):
            program.add(draw(comments()), depth=1)
        program.occurrences.append(Occurrence("fix"))
        program.blank(2)
    for i, function in enumerate(dependencies):
        style = draw(st.sampled_from(["default", "annotated", "router"]))
        route = draw(names.filter(lambda n: n not in used))
        used.add(route)
        if style == "default":
            program.add('@app.get("/{i}")\ndef {r}(s: Session = Depends({f})):\n    return s', i=str(i), r=route, f=function)
        elif style == "annotated":
            program.add('{r}_dep = Annotated[Session, Depends({f})]\n\n\n@app.post("/{i}")\nasync def {r}(s: {r}_dep):\n    return s', i=str(i), r=route, f=function)
        else:
            program.add('{r} = APIRouter(dependencies=[Depends({f})])\n\n\n@{r}.get("/{i}")\ndef {r}_list():\n    return []', i=str(i), r=route, f=function)
        program.blank(2)
    program.add("logger = __import__('logging').getLogger(__name__)")
    return program


STRATEGIES: dict[str, Callable[[bool], st.SearchStrategy[Program]]] = {"FL103": fl103, "FL205": fl205, "FL403": fl403, "FL406": fl406}


@st.composite
def cases(draw: st.DrawFn, code: str) -> tuple[Program, Layout]:
    layout = draw(layouts())
    return draw(STRATEGIES[code](layout.wide)), layout


# -- running and checking ------------------------------------------------------------------------------


@contextmanager
def _workdir() -> Iterator[str]:
    """A fresh directory to run in (hypothesis runs many examples in one test: no tmp_path)."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="fastlint-prop-") as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(old)


def _fix(code: str, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["check", "--fix", "--unsafe-fixes", "--isolated", "--no-cache", "--select", code, *extra, "service.py"], catch_exceptions=False
    )


def _decode(data: bytes, layout: Layout) -> str:
    assert data.startswith(codecs.BOM_UTF8) == layout.bom, "the BOM was added or dropped"
    return data[len(codecs.BOM_UTF8) if layout.bom else 0 :].decode(layout.encoding)


def _tokens(text: str) -> list[str]:
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    normal = _NEWLINE_RE.sub("\n", text)
    return [t.string for t in tokenize.generate_tokens(io.StringIO(normal).readline) if t.type not in skip]


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(token in it for token in small)


def _segments(lines: list[str], targets: set[int]) -> list[tuple[bool, str]]:
    """The original text cut into runs of untargeted and targeted lines (with their line ends)."""
    out: list[tuple[bool, str]] = []
    for i, line in enumerate(lines):
        targeted = i in targets
        if out and out[-1][0] == targeted:
            out[-1] = (targeted, out[-1][1] + line)
        else:
            out.append((targeted, line))
    return out


def assert_untargeted_lines_kept(old: str, new: str, targets: set[int]) -> None:
    """Every run of lines the fix did not target is in the new text verbatim (line ends
    included), in order, with only the rewritten runs between them."""
    lines = _NEWLINE_RE.split(old)
    ends = _NEWLINE_RE.findall(old) + [""]
    segments = _segments([text + end for text, end in zip(lines, ends)], targets)
    position = 0
    for index, (targeted, text) in enumerate(segments):
        if targeted:
            continue
        if index == 0:
            assert new.startswith(text), f"the untargeted start of the file changed:\n{text!r}"
            position = len(text)
        elif index == len(segments) - 1:
            assert new.endswith(text) and len(new) - len(text) >= position, f"the untargeted end of the file changed:\n{text!r}"
        else:
            found = new.find(text, position)
            assert found != -1, f"untargeted lines lost or changed:\n{text!r}"
            position = found + len(text)


def check_fix(code: str, program: Program, layout: Layout) -> None:
    lines, targets = program.render(layout.indent)
    offset = len(layout.header)
    targets = {t + offset for t in targets}
    data = layout.encode(lines)
    source = _decode(data, layout)
    compile(data, "service.py", "exec", dont_inherit=True)  # the generator writes valid code
    with _workdir():
        with open("service.py", "wb") as fh:
            fh.write(data)
        os.chmod("service.py", layout.mode)
        first = _fix(code)
        after = open("service.py", "rb").read()
        after_stat = os.stat("service.py")
        total = len(program.occurrences)
        at_least = sum(o.expect == "fix" for o in program.occurrences)
        at_most = at_least + sum(o.expect == "either" for o in program.occurrences)
        summary = first.stdout.splitlines()[-1] if first.stdout else ""
        match = re.fullmatch(r"Found (\d+) problems? \((\d+) fixed, (\d+) remaining\)\.", summary)
        if match is None:
            assert at_least == 0, f"nothing was fixed:\n{first.stdout}{first.stderr}"
            assert summary == f"Found {total} problem{'s' if total != 1 else ''} in 1 file.", first.stdout + first.stderr
            fixed, remaining = 0, total
        else:
            found, fixed, remaining = map(int, match.groups())
            assert (found, fixed + remaining) == (total, total), first.stdout
        assert at_least <= fixed <= at_most, f"{fixed} fixed, expected {at_least}..{at_most}:\n{first.stdout}"
        assert first.exit_code == (1 if remaining else 0), first.stdout + first.stderr
        assert first.stderr == "", first.stderr

        # encoding, BOM, newlines, mode
        assert stat.S_IMODE(after_stat.st_mode) == layout.mode
        text = _decode(after, layout)
        assert set(_NEWLINE_RE.findall(text)) == {layout.newline}, "a line ending changed style"
        assert text.endswith(layout.newline) == source.endswith(layout.newline), "the last line end was added or dropped"
        # it parses: CPython reads the bytes (cookie, BOM), LibCST the text
        ast.parse(after)
        code_again = cst.parse_module(text).code
        # (LibCST drops the last line end of a file whose lines end with a lone "\r")
        assert code_again == text or (layout.newline == "\r" and code_again + "\r" == text)
        # every line the fixes did not target is kept; what they changed is what the rule does
        assert_untargeted_lines_kept(source, text, targets)
        old_tokens, new_tokens = _tokens(source), _tokens(text)
        old_comments = collections.Counter(t for t in old_tokens if t.startswith("#"))
        assert collections.Counter(t for t in new_tokens if t.startswith("#")) == old_comments, "a comment was lost or added"
        if code == "FL406":  # removes its arguments
            assert _is_subsequence(new_tokens, old_tokens)
            changed = collections.Counter(old_tokens) - collections.Counter(new_tokens)
        else:  # adds a keyword, a `try:` / `finally:`
            assert _is_subsequence(old_tokens, new_tokens)
            changed = collections.Counter(new_tokens) - collections.Counter(old_tokens)
        assert set(changed) <= program.tokens, f"unexpected tokens {set(changed) - program.tokens}"
        assert (fixed == 0) == (after == data)

        # a second --fix: nothing left to fix, the file is not written again
        second = _fix(code)
        assert open("service.py", "rb").read() == after
        assert os.stat("service.py").st_mtime_ns == after_stat.st_mtime_ns
        expected = "All checks passed." if not remaining else f"Found {remaining} problem{'s' if remaining != 1 else ''} in 1 file."
        assert second.stdout.splitlines()[-1] == expected, second.stdout
        assert second.exit_code == (1 if remaining else 0)


# -- the tests -------------------------------------------------------------------------------------------


def test_every_fixable_rule_has_a_strategy() -> None:
    """A new fixable rule must get a generator here: its fix is then property-tested too."""
    assert FIXABLE == sorted(STRATEGIES), f"fixable rules without a strategy: {sorted(set(FIXABLE) - set(STRATEGIES))}"


@pytest.mark.parametrize("code", FIXABLE)
def test_fix_keeps_the_file_valid_idempotent_and_intact(code: str) -> None:
    """`--fix --unsafe-fixes` on generated files: parses, idempotent (byte-equal), untargeted lines
    kept, encoding/BOM/newlines/mode kept, every fixable finding gone and every declined one
    still reported."""

    @settings(PROFILE, max_examples=FIX_EXAMPLES)
    @given(case=cases(code))
    def prop(case: tuple[Program, Layout]) -> None:
        check_fix(code, *case)

    prop()


# -- files that do not parse ------------------------------------------------------------------------------

_BREAKERS = (
    "def oops(:",
    "print 'python 2'",
    "x = (",
    "class C\n    pass",
    "if True:\npass",
    "return = 1",
    "f(**k, *a)",
    "s = '''unterminated",
    "\tx = 1\n        y = 2",
    "elif x:",
)


@st.composite
def broken_cases(draw: st.DrawFn) -> tuple[str, bytes, Layout]:
    code = draw(st.sampled_from(FIXABLE))
    program, layout = draw(cases(code))
    lines, _ = program.render(layout.indent)
    how = draw(st.sampled_from(["insert", "cut"]))
    if how == "insert":
        at = draw(st.integers(0, len(lines)))
        lines = lines[:at] + draw(st.sampled_from(_BREAKERS)).split("\n") + lines[at:]
        data = layout.encode(lines)
    else:
        data = layout.encode(lines)
        data = data[: draw(st.integers(1, len(data) - 1))]
    try:
        compile(data, "service.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        pass
    else:
        assume(False)  # the cut fell on a statement boundary: still valid
    return code, data, layout


@settings(PROFILE, max_examples=FIX_EXAMPLES * 2)
@given(case=broken_cases())
def test_a_file_that_does_not_parse_is_never_written(case: tuple[str, bytes, Layout]) -> None:
    """Whatever the syntax error (inserted or a file cut anywhere, even inside a character),
    `--fix` reports FL001 and leaves the bytes and the modification time alone."""
    code, data, layout = case
    with _workdir():
        with open("service.py", "wb") as fh:
            fh.write(data)
        os.chmod("service.py", layout.mode)
        before = os.stat("service.py")
        result = _fix(f"{code},FL001")
        assert open("service.py", "rb").read() == data
        assert os.stat("service.py").st_mtime_ns == before.st_mtime_ns
        assert stat.S_IMODE(os.stat("service.py").st_mode) == layout.mode
        assert re.search(r"^service\.py:\d+:\d+: FL001 ", result.stdout, re.M), result.stdout
        assert result.stdout.splitlines()[-1] == "Found 1 problem in 1 file.", result.stdout
        assert result.exit_code == 1


def test_a_cr_file_with_a_latin1_cookie_is_read_and_fixed_in_latin1(in_tmp) -> None:  # type: ignore[no-untyped-def]
    """Found by the properties above: in a file whose lines end with a lone `\\r`, `tokenize`
    reads the whole file as its first line and refused the cookie (the rest is not UTF-8), so the
    file was FL001 "cannot decode" and never fixed. CPython reads such a cookie; so does fastlint."""
    source = "#!/usr/bin/env python3\r# -*- coding: latin-1 -*-\r# caf\xe9\rfrom fastapi import FastAPI\r\rapp = FastAPI(title='caf\xe9', debug=True)\r"
    data = source.encode("latin-1")
    path = in_tmp / "service.py"
    path.write_bytes(data)
    result = _fix("FL406,FL001")
    assert result.stdout.splitlines()[-1] == "Found 1 problem (1 fixed, 0 remaining).", result.stdout
    assert path.read_bytes() == data.replace(b", debug=True", b"")
