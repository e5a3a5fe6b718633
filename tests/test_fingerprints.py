"""Fingerprints ignore line numbers and count repeated lines."""

from __future__ import annotations

from fastlint.diagnostics import Diagnostic, Location, Severity
from fastlint.fingerprints import fingerprints


def _d(line: int, code: str = "FL201", path: str = "app/a.py") -> Diagnostic:
    return Diagnostic(code, "select-star", "m", "h", Severity.ERROR, path, Location(line, 1, line, 5))


def test_moved_code_keeps_its_fingerprint_and_a_copy_gets_a_new_one() -> None:
    before = {"app/a.py": ["x = 1", "db.execute('SELECT * FROM t')"]}
    after = {"app/a.py": ["x = 1", "", "# moved down", "db.execute( 'SELECT * FROM t' )".replace("( ", "(").replace(" )", ")"), "db.execute('SELECT * FROM t')"]}
    (old,) = fingerprints([_d(2)], before.get)
    moved, copy = fingerprints([_d(4), _d(5)], after.get)
    assert moved == old
    assert copy != old
    assert fingerprints([_d(2, code="FL202")], before.get) != [old]
    assert fingerprints([_d(2, path="app/b.py")], {"app/b.py": before["app/a.py"]}.get) != [old]


def test_whitespace_is_normalised_and_unreadable_files_still_fingerprint() -> None:
    a = fingerprints([_d(1)], {"app/a.py": ["  db.execute(q)   "]}.get)
    b = fingerprints([_d(1)], {"app/a.py": ["db.execute(q)"]}.get)
    assert a == b
    assert len(fingerprints([_d(3)], lambda path: None)[0]) == 32
