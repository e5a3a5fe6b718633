"""SQL in string literals: where it reaches a sink, how it was built, and what it says.

This is the only module that imports sqlglot (lazily: a file without SQL never loads it).

- `SqlSites.site(call)` decides whether a call is a SQL sink (`text()`, `execute()`,
  `exec_driver_sql()`, DB-API cursors, asyncpg, `databases`, `pandas.read_sql*`) and assembles the
  string that reaches it: literals, implicit concatenation, f-strings, `%`, `.format()` and `+`,
  through local variables and module constants (and `+=`). Interpolated values become
  placeholders (`__fl_p0__`), so the text still parses.
- Each distinct text is parsed once per process (memoised), in the configured dialect. Text that
  is too long (`MAX_SQL_CHARS`, 100,000 characters) or nested too deep (`MAX_SQL_NESTING`, about
  12 levels of brackets), does not look like SQL, or does not parse is skipped (counted), never
  reported: the work any one string can cost is bounded (about a second, whatever the text).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import libcst as cst

from fastlint.analysis.groups import DisjointSets
from fastlint.analysis.model import ModuleModel, ref_of
from fastlint.analysis.names import dotted

#: Longer texts are not parsed: a bound on the work any one string can cost.
MAX_SQL_CHARS = 100_000
#: Nor are texts whose brackets nest too deep: sqlglot reads some constructors (`ARRAY[...]`,
#: `STRUCT(...)`, `ROW(...)`; in Materialize any call) first as a type, then again as a value, at
#: every level, so its work doubles with each one (`ARRAY[` nested 22 deep took 33 s). Each bracket
#: opened two or more levels deep weighs 2 ** its depth (`nesting_weight`); a text whose brackets
#: weigh more than this is skipped (about 12 levels, or many shallower nests; slowest accepted
#: case about a second, in Spark's dialect with pure-Python sqlglot).
MAX_SQL_NESTING = 2**12
PLACEHOLDER = "__fl_p{}__"
_PLACEHOLDER_RE = re.compile(r"__fl_p(\d+)__")
_QUOTED_RE = re.compile(r"'(?:[^']|'')*'")

SINK_FUNCTIONS = {
    "sqlalchemy.text": "text",
    "sqlalchemy.sql.text": "text",
    "sqlalchemy.sql.expression.text": "text",
    "sqlmodel.text": "text",
    "pandas.read_sql": "pandas",
    "pandas.read_sql_query": "pandas",
    "pandas.io.sql.read_sql": "pandas",
    "pandas.io.sql.read_sql_query": "pandas",
}
#: Methods that run SQL given as their first argument (or as a keyword below).
SINK_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "execute_many",
        "executescript",
        "exec_driver_sql",
        "fetch",
        "fetchrow",
        "fetchval",
        "fetch_all",
        "fetch_one",
        "fetch_val",
        "iterate",
        "read_sql",
        "read_sql_query",
        "raw",
    }
)
#: Methods that run a `text()` clause passed to them: the sinks, SQLModel's `exec`, the ORM's `scalars`.
RUNNING_METHODS = SINK_METHODS | {"exec", "scalars", "scalar"}
SQL_KEYWORDS = ("sql", "query", "statement", "operation", "stmt")
#: Text a file must contain to have a SQL sink at all (rules' pre-check; case-insensitive).
SQL_SINK_TOKENS = ("text", "read_sql", *sorted(SINK_METHODS))
_STATEMENT_START = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*|\(\s*)*"
    r"(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE|MERGE|REPLACE|UPSERT|EXPLAIN|"
    r"VALUES|GRANT|REVOKE|COPY|PRAGMA|SHOW|DESCRIBE|VACUUM|ANALYZE|REINDEX|COMMENT|REFRESH|CALL|LOCK)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_statement(text: str) -> bool:
    return bool(_STATEMENT_START.match(text))


# -- assembling the string ---------------------------------------------------------------------


@dataclass
class Piece:
    """A value interpolated into the SQL text."""

    name: str  # its placeholder in the text
    node: cst.BaseExpression
    constant: bool  # a literal or a constant defined in the code
    safe: bool  # an int()/len() cast, bind-placeholder building, or an identifier quoting call
    #: the global name the value is, when it is one (another module may bind it to a literal)
    ref: str | None = None
    #: the value is a parameter of the enclosing function (it may come from a request)
    param: bool = False


def with_sources(text: str, pieces: list[Piece]) -> str:
    """`text` with each placeholder shown as the expression it stands for: `{table}`, `{...}`."""
    sources = {p.name: dotted(p.node) if isinstance(p.node, (cst.Name, cst.Attribute)) else None for p in pieces}
    return _PLACEHOLDER_RE.sub(lambda m: "{" + (sources.get(m.group(0)) or "...") + "}", text)


@dataclass
class SqlText:
    text: str
    #: the node to report at: the string literal, or the expression that builds the text
    anchor: cst.CSTNode
    #: how the text was built: "f-string", "%", ".format()", "+" or None for a plain literal
    how: str | None = None
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class Variant:
    """One text the sink can receive (a name assigned in several branches has several)."""

    sql: SqlText
    #: the parsed statements (sqlglot expressions); empty when the text did not parse
    statements: list[Any]


@dataclass
class SqlSite:
    call: cst.Call
    sink: str  # "text", "method", "pandas"
    variants: list[Variant]

    @property
    def sql(self) -> SqlText:
        return self.variants[0].sql

    @property
    def statements(self) -> list[Any]:
        return self.variants[0].statements


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_INTEGER_SPEC = re.compile(r"[dnxXob]$|\.\d*f$")
#: Calls whose result cannot carry an injection: casts to numbers, identifier quoting, and
#: helpers that return bind placeholders.
_SAFE_CALLS = frozenset({"int", "float", "len", "bool", "round", "abs"})


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _SIMPLE_ESCAPES.get(m.group(1), m.group(0)), raw)


def _call_name(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def _quotes_or_binds(name: str) -> bool:
    """`quote_ident`, `quote_identifier`, `dialect.identifier_preparer.quote`, `quoted_name`,
    `db.timestamp_placeholder`; not `unquote` (which undoes the quoting)."""
    lowered = name.lower()
    if lowered.startswith("unquote"):
        return False
    return lowered.startswith("quote") or lowered.endswith("quote") or "quote_ident" in lowered or "quoted_name" in lowered or "placeholder" in lowered


class _Builder:
    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.pieces: list[Piece] = []

    def placeholder(self, node: cst.BaseExpression, numeric: bool = False) -> str:
        name = PLACEHOLDER.format(len(self.pieces))
        ref = ref_of(self.model.describe(node)) if isinstance(node, (cst.Name, cst.Attribute)) else None
        bound = self.model.resolve_name(node.value) if isinstance(node, cst.Name) else None
        param = bound is not None and bound[0] == "param"
        self.pieces.append(Piece(name, node, self.is_constant(node), numeric or self.is_safe(node), ref, param))
        return name

    # what an interpolated value is
    def is_constant(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > 5:
            return False
        if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
            return True
        if isinstance(node, cst.FormattedString):
            return all(
                not isinstance(p, cst.FormattedStringExpression) or self.is_constant(p.expression, depth + 1) for p in node.parts
            )
        if isinstance(node, cst.Name):
            values = [v for v in self.model.values_of(node.value) if isinstance(v, cst.BaseExpression)]
            return bool(values) and all(self.is_constant(v, depth + 1) for v in values)
        if isinstance(node, cst.Attribute):
            # identifiers that come from the code: `Model.__tablename__`, `table.name`, enums
            return node.attr.value in ("__tablename__", "__table__", "name", "fullname", "key", "value") or (
                node.attr.value.isupper() and len(node.attr.value) > 1
            )
        if isinstance(node, cst.BinaryOperation):
            return self.is_constant(node.left, depth + 1) and self.is_constant(node.right, depth + 1)
        if isinstance(node, cst.Call) and _call_name(node.func) in ("str", "int", "float") and len(node.args) == 1:
            return self.is_constant(node.args[0].value, depth + 1)
        return False

    def is_safe(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > 3:
            return False
        if isinstance(node, cst.Name):
            bound = self.model.resolve_name(node.value)
            if bound is not None and bound[0] == "param" and ref_of(bound[1]) in _NUMERIC_TYPES:
                return True  # `limit: int`: FastAPI and type checkers keep it a number
            values = [v for v in self.model.values_of(node.value) if isinstance(v, cst.BaseExpression)]
            return bool(values) and all(self.is_safe(v, depth + 1) for v in values)
        if isinstance(node, cst.Call):
            name = _call_name(node.func)
            if name in _SAFE_CALLS or _quotes_or_binds(name):
                return True
            if name in ("max", "min") and any(isinstance(a.value, (cst.Integer, cst.Float)) or self.is_safe(a.value, depth + 1) for a in node.args):
                return True  # `max(0, int(x))`: a number
            if name in ("str", "repr") and len(node.args) == 1:
                return self.is_safe(node.args[0].value, depth + 1)
            if name == "join" and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.SimpleString):
                return len(node.args) == 1 and _only_placeholders(node.args[0].value)
        return False

    # the text an expression evaluates to
    def texts(self, node: Any, depth: int = 0) -> list[SqlText]:
        """Every text `node` can be: a name assigned in several branches gives several."""
        if isinstance(node, cst.Name) and depth <= 8:
            out: list[SqlText] = []
            for bound in self.model.values_of(node.value)[-4:]:
                out += self.texts(bound, depth + 1)
            return out
        text = self.text(node, depth)
        return [text] if text is not None else []

    def text(self, node: Any, depth: int = 0) -> SqlText | None:
        if depth > 8 or node is None:
            return None
        if isinstance(node, tuple) and node and node[0] == "+=":
            left = self.text(node[1], depth + 1)
            if left is None:
                return None
            right = self.part(node[2], depth + 1)
            dynamic = bool(right.how) or not right.constant_only
            # the finding belongs where the variable part is added
            return SqlText(left.text + right.text, node[2] if dynamic else left.anchor, "+" if dynamic else left.how)
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            return SqlText(value, node) if isinstance(value, str) else None
        if isinstance(node, cst.ConcatenatedString):
            left = self.text(node.left, depth + 1)
            right = self.text(node.right, depth + 1)
            if left is None or right is None:
                return None
            return SqlText(left.text + right.text, node, left.how or right.how)
        if isinstance(node, cst.FormattedString):
            if "b" in node.start.lower():
                return None
            chunks = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    raw = part.value.replace("{{", "{").replace("}}", "}")
                    chunks.append(raw if "r" in node.start.lower() else _unescape(raw))
                else:
                    numeric = _numeric_spec(part.format_spec)
                    chunks.append(self.placeholder(part.expression, numeric))
            return SqlText("".join(chunks), node, "f-string")
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left = self.part(node.left, depth + 1)
            right = self.part(node.right, depth + 1)
            if not (left.is_text or right.is_text):
                return None
            how = "+" if not (left.constant_only and right.constant_only) else (left.how or right.how)
            return SqlText(left.text + right.text, node, how)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            base = self.text(node.left, depth + 1)
            if base is None:
                return None
            if isinstance(node.right, cst.Tuple):
                values = [el.value for el in node.right.elements]
            else:
                values = [node.right]
            return SqlText(self._percent(base.text, values), node, "%")
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            base = self.text(node.func.value, depth + 1)
            if base is None:
                return None
            return SqlText(self._format(base.text, node.args), node, ".format()")
        if isinstance(node, cst.Name):
            bound = self.model.value_of(node.value)
            return self.text(bound, depth + 1) if bound is not None else None
        return None

    def part(self, node: cst.BaseExpression, depth: int) -> _Part:
        sub = self.text(node, depth)
        if sub is not None:
            return _Part(sub.text, True, sub.how, sub.how is None)
        constant = self.is_constant(node)
        return _Part(self.placeholder(node), False, None, constant)

    def _percent(self, template: str, values: list[cst.BaseExpression]) -> str:
        index = 0

        def repl(match: re.Match[str]) -> str:
            nonlocal index
            if match.group(0) == "%%":
                return "%"
            node = values[index] if index < len(values) else values[-1] if values else cst.Name("x")
            index += 1
            return self.placeholder(node, numeric=match.group(0)[-1] in "dif")

        return re.sub(r"%%|%(?:\(\w+\))?[-+ 0#]*\d*(?:\.\d+)?[sdifr]", repl, template)

    def _format(self, template: str, args: Any) -> str:
        positional = [a.value for a in args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in args if a.keyword is not None}
        index = 0

        def repl(match: re.Match[str]) -> str:
            nonlocal index
            if match.group(0) in ("{{", "}}"):
                return match.group(0)[0]
            field = match.group(1)
            key = field.split("!")[0].split(":")[0].split(".")[0].split("[")[0]
            if key == "":
                node = positional[index] if index < len(positional) else None
                index += 1
            elif key.isdigit():
                node = positional[int(key)] if int(key) < len(positional) else None
            else:
                node = keywords.get(key)
            numeric = ":" in field and bool(_INTEGER_SPEC.search(field.rsplit(":", 1)[1]))
            return self.placeholder(node if node is not None else cst.Name("x"), numeric)

        return re.sub(r"\{\{|\}\}|\{([^{}]*)\}", repl, template)


_NUMERIC_TYPES = frozenset({"builtins.int", "builtins.float", "builtins.bool", "decimal.Decimal", "uuid.UUID"})


def _numeric_spec(spec: Any) -> bool:
    """`{limit:d}`, `{price:.2f}`: the format spec forces a number."""
    if spec is None:
        return False
    text = "".join(p.value for p in spec if isinstance(p, cst.FormattedStringText))
    return bool(_INTEGER_SPEC.search(text))


@dataclass
class _Part:
    text: str
    is_text: bool
    how: str | None
    constant_only: bool


def _only_placeholders(node: cst.BaseExpression, count: bool = False) -> bool:
    """`["%s"] * len(ids)`, `"?" * n`, `(f":p{i}" for i in range(n))`: bind placeholders only.
    A bare name is accepted only as a count (`"?" * n`), never as the joined values."""
    if isinstance(node, (cst.SimpleString, cst.Integer)):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return _only_placeholders(node.left, True) and _only_placeholders(node.right, True)
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(_only_placeholders(e.value) for e in node.elements)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("len", "range"):
        return True
    if isinstance(node, cst.Name):
        return count
    if isinstance(node, (cst.GeneratorExp, cst.ListComp)):
        elt = node.elt
        if isinstance(elt, cst.SimpleString):
            return True
        if isinstance(elt, cst.FormattedString):  # f":id{i}", f"%(p{i})s"
            return all(isinstance(p, cst.FormattedStringText) or isinstance(p.expression, cst.Name) for p in elt.parts)
        return False
    return False


# -- parsing -------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """DB-API and asyncpg parameter styles as placeholders sqlglot reads in any dialect."""
    text = re.sub(r"%\((\w+)\)s", r":\1", text)
    text = re.sub(r"(?<!%)%s", "?", text)
    text = re.sub(r"\$(\d+)\b", r":p\1", text)
    return text.replace("%%", "%")


_NESTING_RE = re.compile(r"[()\[\]{}'\"]")


def nesting_weight(text: str) -> int:
    """The sum of 2 ** depth over the brackets opened two or more levels deep, outside quoted
    strings (counting stops once it passes `MAX_SQL_NESTING`)."""
    depth = weight = 0
    quote = ""
    for match in _NESTING_RE.finditer(text):
        char = match.group()
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            if depth >= 2:
                weight += 1 << depth
                if weight > MAX_SQL_NESTING:
                    return weight
            depth += 1
        elif depth:
            depth -= 1
    return weight


@lru_cache(maxsize=4096)
def parse(text: str, dialect: str | None) -> tuple[Any, ...] | None:
    """The statements of `text`, or None when sqlglot cannot parse it, or it is longer than
    `MAX_SQL_CHARS` or nested deeper than `MAX_SQL_NESTING` allows (never raises)."""
    if len(text) > MAX_SQL_CHARS or not text.strip() or nesting_weight(text) > MAX_SQL_NESTING:
        return None
    import logging

    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
    try:
        statements = sqlglot.parse(_normalise(text), read=dialect or None)
    except (sqlglot.errors.SqlglotError, RecursionError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
    statements = [s for s in statements if s is not None]
    if not statements or any(isinstance(s, exp.Command) for s in statements):
        return None  # sqlglot keeps what it cannot read as an opaque Command
    return tuple(statements)


class SqlSites:
    """The SQL sinks of one file, each examined once whatever the number of rules asking."""

    def __init__(self, model: ModuleModel, dialect: str | None) -> None:
        self.model = model
        self.dialect = dialect
        self._cache: dict[int, SqlSite | None] = {}
        self.stats: Counter[str] = Counter()

    def site(self, call: cst.Call) -> SqlSite | None:
        key = id(call)
        if key not in self._cache:
            self._cache[key] = self._site(call)
        return self._cache[key]

    def _site(self, call: cst.Call) -> SqlSite | None:
        found = self._sink(call)
        if found is None:
            return None
        sink, argument = found
        variants: list[Variant] = []
        for sql in self._texts(argument):
            if not sql.text.strip() or (sink != "text" and not looks_like_statement(sql.text)):
                continue
            self.stats["sql_found"] += 1
            statements = parse(sql.text, self.dialect)
            self.stats["sql_skipped" if statements is None else "sql_parsed"] += 1
            variants.append(Variant(sql, list(statements or ())))
        return SqlSite(call, sink, variants) if variants else None

    def executed(self, call: cst.Call) -> list[Variant]:
        """The SQL a method call runs (`session.execute(...)`, `session.exec(...)`,
        `cursor.execute(...)`, `conn.exec_driver_sql(...)`): its string argument, or a `text()`
        clause passed directly, through a method chain (`text(...).bindparams(...)`) or through a
        name bound to one. A `text()` clause that is only built is not run."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in RUNNING_METHODS:
            return []
        own = self.site(call)
        if own is not None:
            return own.variants
        argument = _sql_argument(call)
        candidates = self.model.values_of(argument.value)[-4:] if isinstance(argument, cst.Name) else [argument]
        out: list[Variant] = []
        for candidate in candidates:
            while isinstance(candidate, cst.Call) and isinstance(candidate.func, cst.Attribute) and isinstance(candidate.func.value, cst.Call):
                candidate = candidate.func.value
            if isinstance(candidate, cst.Call):
                site = self.site(candidate)
                if site is not None and site.sink == "text":
                    out += site.variants
        return out

    def _texts(self, argument: cst.BaseExpression) -> list[SqlText]:
        out = []
        builder = _Builder(self.model)
        for sql in builder.texts(argument):
            names = set(_PLACEHOLDER_RE.findall(sql.text))
            sql.pieces = [p for p in builder.pieces if p.name[len("__fl_p") : -2] in names]
            out.append(sql)
        return out

    def _sink(self, call: cst.Call) -> tuple[str, cst.BaseExpression] | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in SINK_METHODS:
            name = func.attr.value
            target = ref_of(self.model.describe(func))
            if target is not None and target in SINK_FUNCTIONS:
                return SINK_FUNCTIONS[target], _sql_argument(call)  # type: ignore[return-value]
            argument = _sql_argument(call)
            return ("pandas" if name.startswith("read_sql") else "method", argument) if argument is not None else None
        if isinstance(func, (cst.Name, cst.Attribute)):
            target = ref_of(self.model.describe(func))
            if target in SINK_FUNCTIONS:
                argument = _sql_argument(call)
                return (SINK_FUNCTIONS[target], argument) if argument is not None else None
        return None


def _sql_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in SQL_KEYWORDS:
            return arg.value
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


# -- what the SQL says ---------------------------------------------------------------------------


def select_stars(statement: Any) -> list[tuple[Any, str]]:
    """(select, table) for `SELECT *` / `SELECT t.*` in the projection the caller receives that
    reads every column of a real table: directly, or through a subquery or CTE that itself
    selects `*` from one. Not `COUNT(*)`, not `EXISTS (SELECT * ...)`, not a star inside a
    subquery whose consumer chooses its columns, not table functions, not `LIMIT 0` probes."""
    from sqlglot import exp

    ctes = {cte.alias_or_name.lower(): cte.this for cte in statement.find_all(exp.CTE)}
    out = []
    for select in statement.find_all(exp.Select):
        if select.find_ancestor(exp.Select, exp.Exists, exp.Subquery) is not None:
            continue
        if select.find_ancestor(exp.Create, exp.Insert) is not None:
            continue  # `CREATE TABLE t AS SELECT *`, `INSERT INTO t SELECT *`: a copy, no caller
        table = _star_table(select, ctes, 0)
        if table is not None:
            out.append((select, table))
    return out


def _star_table(select: Any, ctes: dict[str, Any], depth: int) -> str | None:
    """The real table a select's star reads all columns of, or None."""
    from sqlglot import exp

    if depth > 5 or not isinstance(select, exp.Select):
        return None
    limit = select.args.get("limit")
    if limit is not None and isinstance(limit.expression, exp.Literal) and limit.expression.this == "0":
        return None  # `LIMIT 0`: probing the columns, reading no row
    stars = [e for e in select.expressions if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))]
    if not stars:
        return None
    sources = _sources(select)
    by_alias = {(s.alias_or_name or "").lower(): s for s in sources}
    for star in stars:
        starred = [by_alias.get(star.table.lower())] if isinstance(star, exp.Column) and star.table else sources
        for source in starred:
            if source is None:
                continue
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                if _PLACEHOLDER_RE.search(source.name):
                    continue  # `SELECT * FROM {table}`: a table chosen at run time, e.g. an export
                cte = ctes.get(source.name.lower())
                if cte is None:
                    return source.name
                found = _star_table(cte, ctes, depth + 1)  # `WITH t AS (SELECT * FROM users) SELECT * FROM t`
                if found is not None:
                    return found
            elif isinstance(source, exp.Subquery):
                found = _star_table(source.this, ctes, depth + 1)
                if found is not None:
                    return found
    return None


def _sources(select: Any) -> list[Any]:
    from_ = select.args.get("from") or select.args.get("from_")
    sources = [from_.this] if from_ is not None else []
    sources += [j.this for j in select.args.get("joins") or []]
    return sources


def offsets(statement: Any) -> list[Any]:
    """OFFSET clauses whose amount is not a literal number (pagination, not a fixed skip)."""
    from sqlglot import exp

    out = []
    for offset in statement.find_all(exp.Offset):
        amount = offset.expression
        if isinstance(amount, exp.Literal) and amount.is_int:
            continue
        out.append(offset)
    return out


def has_limit(statements: list[Any]) -> bool:
    from sqlglot import exp

    return any(s.find(exp.Limit) is not None or s.find(exp.Fetch) is not None for s in statements)


def cartesian_joins(statement: Any) -> list[tuple[str, str]]:
    """Pairs of tables joined with no condition: `FROM a, b` or `JOIN b` without `ON`/`USING`,
    when no `WHERE` predicate connects them (directly or through other tables). `CROSS JOIN` is
    deliberate; table functions over a column of another table (`jsonb_array_elements(u.tags)`)
    are correlated, not cartesian."""
    from sqlglot import exp

    out = []
    for select in statement.find_all(exp.Select):
        joins = select.args.get("joins") or []
        from_ = select.args.get("from") or select.args.get("from_")
        if from_ is None or not joins:
            continue
        loose = [
            j for j in joins
            if not j.args.get("on") and not j.args.get("using") and (j.args.get("kind") or "").upper() != "CROSS"
            and not j.args.get("method") and _plain_source(j.this)
        ]
        if not loose or not _plain_source(from_.this):
            continue
        names = [_alias(from_.this)] + [_alias(j.this) for j in joins]
        if "" in names:
            continue
        groups = DisjointSets(names)
        for i, join in enumerate(joins):
            if join not in loose:
                groups.union(names[i + 1], names[0])  # ON / USING / CROSS / a correlated function
        linked, any_link = _linked_pairs(select.args.get("where"))
        if any_link:
            continue
        for a, b in linked:
            groups.union(a, b)
        roots = {groups.find(n) for n in names}
        if len(roots) > 1:
            first = names[0]
            other = next(n for n in names if groups.find(n) != groups.find(first))
            out.append((first, other))
    return out


def _plain_source(source: Any) -> bool:
    from sqlglot import exp

    return (isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier)) or isinstance(source, exp.Subquery)


def _alias(source: Any) -> str:
    return (source.alias_or_name or "").lower()


def _linked_pairs(where: Any) -> tuple[list[tuple[str, str]], bool]:
    """Table pairs a WHERE predicate compares, and whether some predicate compares unqualified
    columns (then which tables it links cannot be told: assume it links them)."""
    from sqlglot import exp

    pairs: list[tuple[str, str]] = []
    if where is None:
        return pairs, False
    for predicate in where.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Like):
        columns = list(predicate.find_all(exp.Column))
        tables = sorted({c.table.lower() for c in columns if c.table})
        if len(columns) >= 2 and any(not c.table for c in columns):
            return pairs, True
        for i, a in enumerate(tables):
            for b in tables[i + 1 :]:
                pairs.append((a, b))
    return pairs, False


def placeholder_roles(statements: list[Any]) -> dict[str, str]:
    """Where each interpolated value landed: "value" where a bind parameter belongs (inside a
    quoted literal, compared with a column, an `IN`/`VALUES` item, `LIMIT`/`OFFSET`, `BETWEEN`
    bounds, the right-hand side of `UPDATE ... SET col = ...`), otherwise "identifier" (a table, a
    column, a function argument, a whole sub-expression): those cannot be bound."""
    from sqlglot import exp

    roles: dict[str, str] = {}
    for statement in statements:
        if isinstance(statement, (exp.Set, exp.Pragma)):
            # SET and PRAGMA cannot take bind parameters: a value there is "nobind"
            for name in _PLACEHOLDER_RE.findall(statement.sql()):
                roles[f"__fl_p{name}__"] = "nobind"
            continue
        if isinstance(statement, exp.Command):
            # DDL sqlglot keeps as text: only what sits inside a quoted literal is a value
            for quoted in _QUOTED_RE.findall(statement.sql()):
                for name in _PLACEHOLDER_RE.findall(quoted):
                    roles[f"__fl_p{name}__"] = "nobind"
            continue
        if isinstance(statement, (exp.Create, exp.Alter, exp.Drop)):
            # DDL cannot take bind parameters either; names, types and methods (`USING {method}`)
            # are identifiers, only literals (`DEFAULT '...'`, `COMMENT '...'`) hold values
            for literal in statement.find_all(exp.Literal):
                if literal.is_string:
                    for match in _PLACEHOLDER_RE.finditer(literal.this):
                        roles[match.group(0)] = "nobind"
            for ident in statement.find_all(exp.Identifier):
                if _PLACEHOLDER_RE.fullmatch(ident.this or ""):
                    roles.setdefault(ident.this, "identifier")
            continue
        for literal in statement.find_all(exp.Literal):
            if literal.is_string:
                for match in _PLACEHOLDER_RE.finditer(literal.this):
                    roles[match.group(0)] = "value"
        for ident in statement.find_all(exp.Identifier):
            name = ident.this or ""
            if not _PLACEHOLDER_RE.fullmatch(name) or roles.get(name) == "value":
                continue
            column = ident.parent
            if isinstance(column, exp.Column) and not column.table and _value_context(column):
                roles[name] = "value"
            else:
                roles.setdefault(name, "identifier")
    return roles


_COMPARISONS = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "Like", "ILike", "NullSafeEQ", "NullSafeNEQ")
_ARITHMETIC = ("Add", "Sub", "Mul", "Div", "Mod", "DPipe", "Paren", "Neg")


def _value_context(node: Any) -> bool:
    from sqlglot import exp

    child, parent = node, node.parent
    while parent is not None and type(parent).__name__ in _ARITHMETIC:
        child, parent = parent, parent.parent
    if parent is None:
        return False
    kind = type(parent).__name__
    if kind in _COMPARISONS:
        other = parent.expression if parent.this is child else parent.this
        return any(not _PLACEHOLDER_RE.fullmatch(c.name or "") for c in ([other] if isinstance(other, exp.Column) else other.find_all(exp.Column)))
    if isinstance(parent, exp.In):
        return parent.this is not child
    if isinstance(parent, exp.Between):
        return parent.this is not child
    if isinstance(parent, (exp.Limit, exp.Offset)):
        return True
    if isinstance(parent, exp.Tuple):
        return isinstance(parent.parent, (exp.Values, exp.In))
    return False


def statement_kinds(statements: list[Any]) -> list[str]:
    """The kind of each statement: "select", "insert", "update", "delete", "ddl", "other"."""
    from sqlglot import exp

    kinds = []
    for s in statements:
        if isinstance(s, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
            kinds.append("select")
        elif isinstance(s, exp.Insert):
            kinds.append("insert")
        elif isinstance(s, exp.Update):
            kinds.append("update")
        elif isinstance(s, exp.Delete):
            kinds.append("delete")
        elif isinstance(s, (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)):
            kinds.append("ddl")
        else:
            kinds.append("other")
    return kinds


_SCHEMA_OBJECTS = frozenset({"TABLE", "INDEX"})


@dataclass(frozen=True)
class SchemaChange:
    """One `CREATE`, `ALTER` or `DROP` of a table or an index."""

    label: str  # "CREATE TABLE", "ALTER TABLE", "DROP INDEX"
    #: the object changed (`ON t` for an unnamed index), then the table an index is on, as
    #: written (placeholders included)
    names: tuple[str, ...]
    #: a table for data rather than the schema: temporary (`CREATE TEMP TABLE`, T-SQL `#t`,
    #: `DROP TEMPORARY TABLE`) or filled from a query (`CREATE TABLE t AS SELECT ...`)
    transient: bool = False


def schema_changes(statements: list[Any]) -> list[SchemaChange]:
    """The `CREATE`, `ALTER` and `DROP` statements of a `TABLE` or an `INDEX` among `statements`
    (columns change through `ALTER TABLE`); a `DROP` of several tables gives one change each.
    Views, schemas, extensions, functions and `TRUNCATE` are not changes of tables or indexes."""
    from sqlglot import exp

    out: list[SchemaChange] = []
    for statement in statements:
        if not isinstance(statement, (exp.Create, exp.Alter, exp.Drop)):
            continue
        kind = str(statement.args.get("kind") or "").upper()
        if kind not in _SCHEMA_OBJECTS:
            continue
        label = f"{type(statement).__name__.upper()} {kind}"
        if isinstance(statement, exp.Drop):
            for table in statement.args.get("tables") or [statement.this]:
                if isinstance(table, exp.Table):
                    transient = bool(statement.args.get("temporary")) or _temporary_name(table)
                    out.append(SchemaChange(label, (table.sql(),), transient))
            continue
        target = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
        if isinstance(statement, exp.Alter):
            if isinstance(target, exp.Table):
                out.append(SchemaChange(label, (target.sql(),)))
        elif isinstance(target, exp.Index):
            table = target.args.get("table")
            on = table.sql() if table is not None else ""
            out.append(SchemaChange(label, (target.name or f"ON {on}", on)))
        elif isinstance(target, exp.Table):
            transient = (
                statement.args.get("expression") is not None
                or statement.find(exp.TemporaryProperty) is not None
                or _temporary_name(target)
            )
            out.append(SchemaChange(label, (target.sql(),), transient))
    return out


def _temporary_name(table: Any) -> bool:
    """T-SQL's `#t`: a temporary table by its name."""
    return table.this is not None and bool(table.this.args.get("temporary"))


# -- dialects ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def dialect_names() -> tuple[str, ...]:
    from sqlglot.dialects.dialect import Dialect

    return tuple(sorted(name for name in Dialect.classes if name))


def check_dialect(name: str) -> str | None:
    """None when sqlglot knows the dialect, else a one-line explanation with a suggestion."""
    names = dialect_names()
    if name.lower() in names:
        return None
    match = difflib.get_close_matches(name.lower(), names, n=1)
    hint = f" (did you mean '{match[0]}'?)" if match else f" (one of: {', '.join(names)})"
    return f"unknown SQL dialect '{name}'{hint}"


def ranks_by_parameter(statements: list[Any]) -> bool:
    """A SELECT ordered by an expression of a bind parameter (`ORDER BY dist(v, ?) LIMIT k`): a
    search ranked per input, which no `IN (...)` can merge."""
    from sqlglot import exp

    for statement in statements:
        order = statement.find(exp.Order)
        if order is None:
            continue
        if any(True for _ in order.find_all(exp.Placeholder, exp.Parameter)):
            return True
        # `SELECT dist(embedding, ?) AS dist ... ORDER BY dist`
        ranked = {
            a.alias.lower()
            for a in statement.find_all(exp.Alias)
            if a.alias and any(True for _ in a.find_all(exp.Placeholder, exp.Parameter))
        }
        if ranked and any(c.name.lower() in ranked for c in order.find_all(exp.Column)):
            return True
    return False
