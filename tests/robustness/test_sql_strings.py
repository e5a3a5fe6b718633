"""SQL strings through `fastlint.sql` and through the SQL rules: real statement shapes with random
identifiers and clauses, malformed SQL, keyword soup, strings that only look like SQL, unicode,
very long and deeply nested texts, in every dialect sqlglot knows. Nothing raises, nothing hangs:
each call is bounded, and the texts that would cost too much (`MAX_SQL_CHARS`,
`MAX_SQL_NESTING`) are skipped and counted as skipped.

Examples: `SQL_EXAMPLES` (60) per test in CI; `FASTLINT_FUZZ_EXAMPLES` raises them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastlint import sql
from fastlint.cli import make_plan
from fastlint.config import Selection, Settings
from fastlint.registry import default_registry
from fastlint.runner import run
from tests.conftest import write
from tests.robustness.fuzzing import PROFILE, examples, time_bound

SQL_EXAMPLES = examples(60)
#: one call of `sql.parse` (and the analyses of what it returns) on any text, in any dialect
SECONDS_PER_CALL = 5.0
DIALECTS: tuple[str | None, ...] = (None, *sql.dialect_names())


# -- SQL-ish strategies ----------------------------------------------------------------------------------

KEYWORDS = (
    "SELECT", "FROM", "WHERE", "JOIN", "LEFT", "OUTER", "ON", "USING", "GROUP", "BY", "HAVING", "ORDER", "LIMIT",
    "OFFSET", "FETCH", "UNION", "ALL", "WITH", "RECURSIVE", "AS", "INSERT", "INTO", "VALUES", "UPDATE", "SET",
    "DELETE", "CREATE", "TABLE", "INDEX", "CONCURRENTLY", "ALTER", "DROP", "IF", "EXISTS", "NOT", "NULL", "AND",
    "OR", "IN", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "RETURNING", "PRAGMA",
    "TRUNCATE", "EXPLAIN", "ANALYZE", "MERGE", "ARRAY", "STRUCT", "INTERVAL", "CAST", "OVER", "PARTITION",
)
PUNCTUATION = ("(", ")", ",", ";", "*", "=", "<>", "::", ".", "[", "]", "{", "}", "'", '"', "`", "--", "/*", "*/", "?", ":a", "%s", "%(x)s", "$1", "@v", "||", "->>", "\\")
PLACEHOLDERS = (":id", ":name", "?", "%s", "%(user_id)s", "$1", "$2", "@p1", "__fl_p0__", "__fl_p1__")

plain_names = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(lambda n: n.upper() not in KEYWORDS)
names = st.one_of(
    plain_names,
    plain_names.map(lambda n: f'"{n} x"'),
    plain_names.map(lambda n: f"`{n}`"),
    plain_names.map(lambda n: f"[{n}]"),
    st.sampled_from(["données", "用户", "Ärger", "__fl_p0__"]),
)
literals = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=12).map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.sampled_from(["NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "INTERVAL '1 day'", "DATE '2024-01-01'"]),
    st.sampled_from(PLACEHOLDERS),
)


def columns(table: str | None = None) -> st.SearchStrategy[str]:
    prefix = f"{table}." if table else ""
    return names.map(lambda n: prefix + n)


def expressions(depth: int = 2) -> st.SearchStrategy[str]:
    base = st.one_of(columns(), literals)
    if depth == 0:
        return base
    inner = expressions(depth - 1)
    return st.one_of(
        base,
        st.tuples(inner, st.sampled_from(["=", "<>", "<", ">=", "LIKE", "+", "-", "*", "/", "||", "AND", "OR", "IS NOT"]), inner).map(" ".join),
        st.tuples(inner, st.lists(literals, min_size=1, max_size=4)).map(lambda t: f"{t[0]} IN ({', '.join(t[1])})"),
        st.tuples(inner, literals, literals).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
        st.tuples(st.sampled_from(["COUNT", "LOWER", "SUM", "MAX", "json_agg", "ARRAY_AGG"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["COALESCE", "CONCAT", "f"]), st.lists(inner, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner, inner).map(lambda t: f"CASE WHEN {t[0]} THEN {t[1]} ELSE {t[2]} END"),
        inner.map(lambda e: f"NOT ({e})"),
        inner.map(lambda e: f"CAST({e} AS INTEGER)"),
        st.just("COUNT(*)"),
    )


@st.composite
def selects(draw: st.DrawFn, depth: int = 1) -> str:
    table, alias, other = draw(st.lists(plain_names, min_size=3, max_size=3, unique=True))
    projection = draw(st.one_of(st.just("*"), st.just(f"{alias}.*"), st.lists(expressions(1), min_size=1, max_size=4).map(", ".join)))
    parts = [draw(st.sampled_from(["SELECT", "select", "SELECT DISTINCT"])), projection, "FROM", f"{table} {alias}"]
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["JOIN", "LEFT JOIN", "CROSS JOIN", ",", "JOIN"]))
        joined = draw(plain_names)
        parts.append(f"{kind} {joined}")
        if kind in ("JOIN", "LEFT JOIN") and draw(st.booleans()):
            parts.append(f"ON {joined}.{alias}_id = {alias}.id")
    where = draw(st.booleans())
    if where:
        parts.append("WHERE " + draw(expressions()))
    if depth and draw(st.integers(0, 4)) == 0:
        parts.append(("AND" if where else "WHERE") + f" {other} IN (" + draw(selects(depth - 1)) + ")")
    if draw(st.booleans()):
        parts.append("GROUP BY " + draw(columns(alias)))
    if draw(st.booleans()):
        parts.append("ORDER BY " + draw(columns()) + draw(st.sampled_from(["", " DESC", " ASC NULLS LAST"])))
    if draw(st.booleans()):
        parts.append("LIMIT " + draw(st.sampled_from(["10", ":limit", "%s", "?", "0", "ALL"])))
    if draw(st.booleans()):
        parts.append("OFFSET " + draw(st.sampled_from(["20", ":offset", "%s", "__fl_p0__"])))
    separator = draw(st.sampled_from([" ", "\n", "\n  ", "\t", " /* c */ ", " -- c\n"]))
    return separator.join(parts)


@st.composite
def statements(draw: st.DrawFn) -> str:
    """Real statement shapes with random identifiers and clauses."""
    table, column, index = draw(st.lists(plain_names, min_size=3, max_size=3, unique=True))
    kind = draw(st.integers(0, 9))
    if kind <= 2:
        return draw(selects())
    if kind == 3:
        rows = draw(st.lists(st.lists(literals, min_size=2, max_size=2).map(lambda r: "(" + ", ".join(r) + ")"), min_size=1, max_size=4))
        return f"INSERT INTO {table} ({column}, b) VALUES " + ", ".join(rows) + draw(st.sampled_from(["", " RETURNING id", " ON CONFLICT DO NOTHING"]))
    if kind == 4:
        return f"UPDATE {table} SET {column} = {draw(expressions(1))}" + draw(st.sampled_from(["", f" WHERE id = {draw(literals)}"]))
    if kind == 5:
        return f"DELETE FROM {table}" + draw(st.sampled_from(["", f" WHERE {column} < now()", " WHERE id IN (SELECT id FROM t)"]))
    if kind == 6:
        return draw(
            st.sampled_from(
                [
                    f"CREATE TABLE {table} ({column} INTEGER PRIMARY KEY, b TEXT NOT NULL DEFAULT 'x')",
                    f"CREATE TEMP TABLE {table} AS SELECT * FROM {column}",
                    f"CREATE UNIQUE INDEX {draw(st.sampled_from(['', 'CONCURRENTLY ']))}{index} ON {table} ({column})",
                    f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(20)",
                    f"DROP TABLE IF EXISTS {table}, {column}",
                    f"DROP INDEX {index}",
                ]
            )
        )
    if kind == 7:
        with_ = f"WITH {table} AS ({draw(selects(0))}) SELECT * FROM {table}"
        return draw(st.sampled_from([with_, f"{draw(selects(0))} UNION ALL {draw(selects(0))}"]))
    if kind == 8:
        return draw(st.sampled_from([f"SET search_path = {table}", f"PRAGMA {column} = 1", f"TRUNCATE {table}", f"EXPLAIN ANALYZE {draw(selects(0))}", "VACUUM", f"SHOW {column}"]))
    return "; ".join(draw(st.lists(selects(0), min_size=2, max_size=3)))


@st.composite
def malformed(draw: st.DrawFn) -> str:
    """A statement cut short, with a token dropped, doubled or moved."""
    text = draw(statements())
    tokens = text.split()
    how = draw(st.sampled_from(["cut", "drop", "double", "swap", "bracket"]))
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))]
    i = draw(st.integers(0, len(tokens) - 1))
    if how == "drop":
        del tokens[i]
    elif how == "double":
        tokens.insert(i, tokens[i])
    elif how == "swap":
        j = draw(st.integers(0, len(tokens) - 1))
        tokens[i], tokens[j] = tokens[j], tokens[i]
    else:
        tokens.insert(i, draw(st.sampled_from(["(", ")", "'", '"', "[", "/*"])))
    return " ".join(tokens)


keyword_soup = st.lists(st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(PUNCTUATION), plain_names, literals), max_size=40).map(" ".join)
#: text that starts like a statement but is prose, a path, a message
lookalikes = st.tuples(
    st.sampled_from(["Select", "Update", "DELETE", "with", "Show", "create", "Drop", "explain", "Set", "values", "call", "lock"]),
    st.sampled_from([" a colour", ": done", " the cache", " love,", " me the money!", " your profile", "/tmp/x", " (beta)", "", "\n"]),
    st.text(max_size=20),
).map("".join)
unicode_text = st.text(max_size=60)
nested = st.tuples(
    st.sampled_from(["ARRAY[", "STRUCT(", "ROW(", "f(", "(", "COALESCE(", "(SELECT ", "MAP(", "{'a': ", "CASE WHEN a THEN "]),
    st.integers(1, 40),
    st.integers(1, 3),
).map(lambda t: "SELECT " + ", ".join([t[0] * t[1] + "1" + _closing(t[0]) * t[1]] * t[2]))


def _closing(opener: str) -> str:
    return {"ARRAY[": "]", "{'a': ": "}", "CASE WHEN a THEN ": " END", "(SELECT ": ")"}.get(opener, ")")


sql_texts = st.one_of(statements(), malformed(), keyword_soup, lookalikes, unicode_text, nested)


# -- checks ------------------------------------------------------------------------------------------------


def parse_and_analyse(text: str, dialect: str | None) -> tuple | None:  # type: ignore[type-arg]
    """`sql.parse` and every analysis the rules run on its statements, within the bound."""
    with time_bound(SECONDS_PER_CALL, f"{dialect}: {text[:80]!r}"):
        statements = sql.parse(text, dialect)
        sql.looks_like_statement(text)
        if statements is not None:
            assert isinstance(statements, tuple) and statements
            listed = list(statements)
            for statement in statements:
                sql.select_stars(statement)
                sql.offsets(statement)
                sql.cartesian_joins(statement)
            sql.has_limit(listed)
            sql.placeholder_roles(listed)
            sql.statement_kinds(listed)
            sql.schema_changes(listed)
            sql.ranks_by_parameter(listed)
    return statements


@settings(PROFILE, max_examples=SQL_EXAMPLES)
@given(text=sql_texts)
def test_any_text_in_every_dialect_parses_or_is_skipped(text: str) -> None:
    """`sql.parse` returns statements or None (never raises) in every dialect, and the analyses
    the rules run on what it returns do not raise either; each call within the bound."""
    for dialect in DIALECTS:
        parse_and_analyse(text, dialect)


@settings(PROFILE, max_examples=SQL_EXAMPLES)
@given(text=statements())
def test_well_formed_statements_parse_in_the_default_dialect(text: str) -> None:
    """The generated statements are SQL sqlglot reads: the other tests do exercise the analyses
    (except `EXPLAIN`, `VACUUM` and `SHOW`, which sqlglot keeps as opaque commands)."""
    if any(p in text for p in ('"', "`", "[", "{")) or text.startswith(("EXPLAIN", "VACUUM", "SHOW")):
        return  # quoted names are dialect-specific
    assert parse_and_analyse(text, None) is not None, text


# -- the bounds ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("opener, closer", [("ARRAY[", "]"), ("STRUCT(", ")"), ("f(", ")"), ("(", ")")])
@pytest.mark.parametrize("dialect", [None, "spark", "databricks", "materialize", "postgres"])
def test_deep_nesting_is_skipped_not_parsed(opener: str, closer: str, dialect: str | None) -> None:
    """sqlglot's work doubles with each level of `ARRAY[`/`STRUCT(` (and, in Materialize, of any
    call): 22 levels took half a minute. Past `MAX_SQL_NESTING`, the text is not parsed."""
    shallow = "SELECT " + opener * 4 + "1" + closer * 4
    deep = "SELECT " + opener * 40 + "1" + closer * 40
    assert sql.nesting_weight(shallow) <= sql.MAX_SQL_NESTING < sql.nesting_weight(deep)
    with time_bound(0.5, deep):
        assert sql.parse(deep, dialect) is None
    assert parse_and_analyse(shallow, dialect) is not None


@pytest.mark.parametrize("dialect", [None, "spark", "databricks", "hive", "materialize", "snowflake"])
@pytest.mark.parametrize("opener, closer, depth, count", [("ARRAY[", "]", 12, 1), ("ARRAY[", "]", 10, 4), ("STRUCT(", ")", 12, 1), ("f(", ")", 9, 8)])
def test_the_heaviest_accepted_nesting_is_parsed_within_the_bound(dialect: str | None, opener: str, closer: str, depth: int, count: int) -> None:
    """The worst texts under `MAX_SQL_NESTING` (one nest 12 deep, or several shallower ones) in
    the dialects where nesting costs most: parsed (or refused by sqlglot) within the bound."""
    text = "SELECT " + ", ".join([opener * depth + "1" + closer * depth] * count)
    assert sql.nesting_weight(text) <= sql.MAX_SQL_NESTING
    parse_and_analyse(text, dialect)


def test_nesting_weight_counts_depth_not_length() -> None:
    """Brackets at the top levels (a bulk `VALUES` list, function calls in a projection) weigh
    nothing; brackets inside quoted strings are not brackets."""
    bulk = "INSERT INTO t (a, b) VALUES " + ", ".join(f"({i}, lower('x'))" for i in range(5000))
    assert sql.nesting_weight(bulk) == 0
    assert sql.parse(bulk, None) is not None
    assert sql.nesting_weight("SELECT '((((((((((((((((((((((((((((('") == 0
    assert sql.nesting_weight("SELECT f(g(h(1)))") == 4  # h( is two levels deep
    assert sql.nesting_weight("SELECT ((((1))))") == 4 + 8


@pytest.mark.parametrize("size", [sql.MAX_SQL_CHARS + 1, 1_000_000])
def test_texts_over_the_size_limit_are_skipped(size: int) -> None:
    text = ("SELECT id, name FROM users WHERE id IN (" + ", ".join(["1"] * size))[:size - 1] + ")"
    assert len(text) == size
    with time_bound(0.5):
        assert sql.parse(text, None) is None


def test_a_text_at_the_size_limit_is_parsed_within_the_bound() -> None:
    text = "SELECT id FROM users WHERE id IN ("
    text += ", ".join(["1"] * ((sql.MAX_SQL_CHARS - len(text) - 1) // 3)) + ")"
    assert len(text) <= sql.MAX_SQL_CHARS
    assert parse_and_analyse(text, "postgres") is not None


@st.composite
def long_texts(draw: st.DrawFn) -> str:
    """10,000 characters up to the size limit: long column and `IN` lists, chains of `UNION ALL`,
    many statements, a long literal, an unterminated one, long keyword soup."""
    size = draw(st.integers(10_000, sql.MAX_SQL_CHARS))
    unit = draw(st.one_of(statements(), keyword_soup))
    shape = draw(st.sampled_from(["columns", "in", "union", "statements", "literal", "unterminated", "repeat"]))
    if shape == "columns":
        text = "SELECT " + ", ".join(f"c{i}" for i in range(size // 6)) + " FROM t"
    elif shape == "in":
        text = "SELECT * FROM t WHERE id IN (" + ", ".join(str(i) for i in range(size // 7)) + ")"
    elif shape == "union":
        text = " UNION ALL ".join(["SELECT a, b FROM t WHERE x = 1"] * (size // 42))
    elif shape == "statements":
        text = ";\n".join([unit] * (size // (len(unit) + 2) + 1))
    elif shape == "literal":
        text = "SELECT '" + "x" * size + "'"
    elif shape == "unterminated":
        text = "SELECT '" + "x''" * (size // 3)
    else:
        text = (unit + " ") * (size // (len(unit) + 1) + 1)
    return text[: sql.MAX_SQL_CHARS]


@settings(PROFILE, max_examples=max(5, SQL_EXAMPLES // 5))
@given(text=long_texts(), dialect=st.sampled_from(DIALECTS))
def test_long_texts_parse_within_the_bound(text: str, dialect: str | None) -> None:
    parse_and_analyse(text, dialect)


# -- through the rules -----------------------------------------------------------------------------------------

MODULE = '''\
import pandas as pd
from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

app = FastAPI()
QUERY = {literal}


@app.get("/rows")
def rows(db: Session = Depends(lambda: None), value: str = ""):
    a = db.execute(text({literal})).all()
    b = db.execute(text(QUERY + " -- tail"))
    cursor = db.connection().connection.cursor()
    cursor.execute({literal}, (value,))
    c = pd.read_sql({literal}, db.bind)
    d = db.execute(text(f"{{QUERY}} AND x = {{value}}"))
    return a, b, c, d
'''
#: the SQL strings MODULE sends to its sinks: `text(<the text>)` unless it is blank, two
#: `text()` calls whose strings are never blank (the constant + a comment, an f-string), and
#: `cursor.execute` and `read_sql`, which take a string only when it looks like a statement
def sql_strings_found(text: str) -> int:
    return (1 if text.strip() else 0) + 2 + (2 if sql.looks_like_statement(text) else 0)



def _lint_module(root: Path, literal: str, dialect: str | None):  # type: ignore[no-untyped-def]
    write(root, "app.py", MODULE.format(literal=literal))
    plan = make_plan(default_registry(), Settings(root=str(root), sql_dialect=dialect), Selection(("FL001", "FL2", "FL1", "FL4"), (), (), "test"))
    return run(["app.py"], plan, 1, str(root))


@settings(PROFILE, max_examples=SQL_EXAMPLES)
@given(text=sql_texts, dialect=st.sampled_from(DIALECTS), quote=st.sampled_from(["repr", "triple"]))
def test_sql_rules_on_any_text_in_any_dialect(text: str, dialect: str | None, quote: str) -> None:
    """The SQL rules on a module that sends the text to `text()`, `session.execute`,
    `cursor.execute` and `pandas.read_sql` (and an f-string built from it): no error, no FL003,
    every SQL string found is counted as parsed or skipped."""
    literal = repr(text)
    if quote == "triple" and not any(c in text for c in ('"""', "\\", "\r", "\x00")) and not text.endswith('"'):
        literal = '"""' + text + '"""'
    with tempfile.TemporaryDirectory(prefix="fastlint-sql-") as folder:
        with time_bound(SECONDS_PER_CALL * 3, f"{dialect}: {text[:80]!r}"):
            result = _lint_module(Path(folder), literal, dialect)
    assert result.errors == []
    assert [d for d in result.diagnostics if d.code in ("FL001", "FL003")] == []
    stats = result.stats
    assert stats["sql_found"] == stats["sql_parsed"] + stats["sql_skipped"]
    assert stats["sql_found"] == sql_strings_found(text)


@settings(PROFILE, max_examples=SQL_EXAMPLES)
@given(table=plain_names, clauses=st.sampled_from(["", " WHERE id = :id", " ORDER BY 1 LIMIT 10", " JOIN b ON b.a_id = a.id"]), dialect=st.sampled_from([None, "postgres", "mysql", "sqlite"]))
def test_select_star_is_found_at_its_line(table: str, clauses: str, dialect: str | None) -> None:
    """A well-formed `SELECT * FROM <table>` is reported (FL201) at the line of each sink that
    runs it: the robustness bounds do not cost findings on ordinary SQL."""
    text = f"SELECT * FROM {table} a{clauses}"
    with tempfile.TemporaryDirectory(prefix="fastlint-sql-") as folder:
        result = _lint_module(Path(folder), repr(text), dialect)
    found = sorted(d.location.line for d in result.diagnostics if d.code == "FL201")
    # the f-string on line 17 sees `{QUERY}` as a value, not as the text of the constant
    assert found == [12, 13, 15, 16], [(d.code, d.location.line, d.message) for d in result.diagnostics]
    assert (result.stats["sql_found"], result.stats["sql_parsed"], result.stats["sql_skipped"]) == (5, 5, 0)


def test_a_megabyte_of_sql_through_the_rules(tmp_path: Path) -> None:
    """A 1 MB SQL string at every sink: linted in seconds, counted as skipped, no finding on it."""
    text = "SELECT * FROM users WHERE id IN (" + ", ".join(str(i) for i in range(200_000))
    text = text[: 1_000_000 - 1] + ")"
    with time_bound(SECONDS_PER_CALL * 3):
        result = _lint_module(tmp_path, repr(text), None)
    assert result.errors == [] and not [d for d in result.diagnostics if d.code.startswith("FL0")]
    # four strings hold the megabyte (skipped); the f-string on line 17 holds only a placeholder
    assert (result.stats["sql_found"], result.stats["sql_parsed"], result.stats["sql_skipped"]) == (5, 1, 4)
    assert [(d.code, d.location.line) for d in result.diagnostics] == [("FL204", 12), ("FL203", 17)]
