"""The results cache: one entry per file, keyed by what the file's result depends on.

An entry holds a file's whole `FileResult` (its findings, the findings waiting on other files
with their placements, its facts). Its key is a digest of the file's bytes, its paths and module
name, and the *run key*: fastlint's version and code, the Python, LibCST and sqlglot versions,
the rules enabled with their options and the settings that shape a file's result. A warm run
with nothing changed therefore parses nothing, and a run after an edit re-lints the edited files
only while the project rules still see every file's facts.

Entries live in ``.fastlint_cache/`` at the project root (or ``--cache-dir`` /
``FASTLINT_CACHE_DIR``), one folder per run key, and are written atomically (a temporary file,
then a rename), so two runs at once, a Ctrl-C or a full disk leave either a whole entry or none.
Each entry starts with a format tag and a digest of its payload: a truncated or garbled entry is
a miss, never trusted. The cache never changes a result; `--no-cache` gives the same output.

Entries are pickles of fastlint's own objects, read only from the project's cache folder (the
same trust as the ``__pycache__`` folders next to the code).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastlint import __version__

if TYPE_CHECKING:
    from fastlint.config import Settings
    from fastlint.engine import FileJob, FileResult, RuleSetup

CACHE_DIR_NAME = ".fastlint_cache"
ENV_CACHE_DIR = "FASTLINT_CACHE_DIR"
ENV_NO_CACHE = "FASTLINT_NO_CACHE"
_TAG = b"FLC1"
_DIGEST = 16
#: a run-key folder not used for this long is removed by the next complete run
STALE_SECONDS = 14 * 24 * 3600
#: the folder (in a run key's folder) of the settled findings of whole runs, and how many kept
_SETTLED = "settled"
_SETTLED_KEPT = 16

_GITIGNORE = "# Created by fastlint automatically.\n*\n"
_CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by fastlint.\n"

#: Settings fields that never change a file's result (the worker count, where they came from).
_NOT_IN_KEY = frozenset({"jobs", "source"})


def cache_dir(root: str, given: str | None = None) -> Path:
    """Where the cache of the project at `root` lives: `given`, else $FASTLINT_CACHE_DIR, else
    `<root>/.fastlint_cache`."""
    chosen = given or os.environ.get(ENV_CACHE_DIR)
    if chosen:
        return Path(chosen).expanduser().absolute()
    return Path(root).absolute() / CACHE_DIR_NAME


def _code_fingerprint() -> str:
    """fastlint's own code (sizes and modification times of its modules): an edited checkout
    never reads the entries an older one wrote."""
    package = Path(__file__).parent
    h = hashlib.blake2b(digest_size=_DIGEST)
    for path in sorted(package.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


_DISTS = ("libcst", "sqlglot", "sqlglotc", "sqlglotrs")


@functools.cache
def _versions() -> str:
    """fastlint's version and code, Python's, and those of the libraries that shape a result,
    read from the names of their `*.dist-info` folders on `sys.path` (one listing per entry;
    `importlib.metadata.version` per name costs a scan of `sys.path` each, 40 ms a warm run)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, _, version = name[: -len(".dist-info")].partition("-")
            elif name.endswith(".egg-info"):  # `setup.py develop`: name-version[-pyX.Y].egg-info
                dist, _, version = name[: -len(".egg-info")].partition("-")
                version = version.split("-py")[0]
            else:
                continue
            dist = dist.lower().replace("_", "-").replace(".", "-")
            if dist in _DISTS and dist not in found:  # the first on sys.path is the one imported
                found[dist] = version
        if len(found) == len(_DISTS):
            break
    parts = [__version__, sys.version, _code_fingerprint()]
    parts.extend(f"{dist}={found.get(dist, '-')}" for dist in _DISTS)
    return "|".join(parts)


def run_key(rules: Iterable[RuleSetup], settings: Settings, directives: bool) -> str:
    """What every file's result depends on besides the file: versions, the rules enabled and
    their options, the settings (not the worker count), whether directives are kept."""
    h = hashlib.blake2b(digest_size=_DIGEST)
    h.update(_versions().encode())
    for setup in sorted(rules, key=lambda s: s.rule.code):
        h.update(f"|{setup.rule.code}:{setup.options!r}".encode())
    for f in fields(settings):
        if f.name not in _NOT_IN_KEY:
            h.update(f"|{f.name}={getattr(settings, f.name)!r}".encode())
    h.update(f"|directives={directives}".encode())
    return h.hexdigest()


class Cache:
    """The entries of one run key (and, read-only, those of `fallbacks`: a facts-only pass may
    take another file's facts from a full run's entry)."""

    def __init__(self, directory: Path, key: str, fallbacks: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.key = key
        self.fallbacks = fallbacks
        self.folder = directory / f"v1-{key}"
        self.write_error: str | None = None
        self._prepared = False

    # -- keys -------------------------------------------------------------------------------------

    @staticmethod
    def entry_key(job: FileJob, data: bytes) -> str:
        h = hashlib.blake2b(digest_size=_DIGEST)
        h.update(f"{job.path}\0{job.display_path}\0{job.relpath}\0{job.module_name}\0{job.is_package}\0".encode("utf-8", "surrogatepass"))
        h.update(data)
        return h.hexdigest()

    @staticmethod
    def job_key(job: FileJob) -> str | None:
        """The entry key of a job: its text's (a fix round's) or its file's bytes'; None when the
        file cannot be read (it is linted, and its error reported, without the cache)."""
        if job.source is not None:
            return Cache.entry_key(job, b"\0source\0" + job.source.encode("utf-8", "surrogatepass"))
        try:
            with open(job.path, "rb") as fh:
                return Cache.entry_key(job, fh.read())
        except OSError:
            return None

    def _path(self, folder: Path, key: str) -> Path:
        return folder / key[:2] / key

    # -- reading ----------------------------------------------------------------------------------

    def load(self, key: str) -> FileResult | None:
        for folder in (self.folder, *(self.directory / f"v1-{k}" for k in self.fallbacks)):
            result = self._read(self._path(folder, key))
            if result is not None:
                return result
        return None

    def _read(self, path: Path) -> FileResult | None:
        result = _read_blob(path)
        from fastlint.engine import FileResult

        return result if isinstance(result, FileResult) else None

    # -- the settled results of a whole run -----------------------------------------------------------

    def load_settled(self, shape: str) -> Any:
        """The record `store_settled` kept for runs of this `shape` (see `runner._settle_all`),
        or None."""
        return _read_blob(self.folder / _SETTLED / shape)

    def store_settled(self, shape: str, record: Any) -> None:
        """Keep a run's settled findings (atomically); at most `_SETTLED_KEPT` shapes, the
        least recently written go."""
        if self.write_error is not None:
            return
        folder = self.folder / _SETTLED
        try:
            blob = _blob(record)
            self._prepare()
            folder.mkdir(exist_ok=True)
            _atomic_write(folder / shape, blob)
            records = sorted(os.scandir(folder), key=lambda e: e.stat(follow_symlinks=False).st_mtime, reverse=True)
            for old in records[_SETTLED_KEPT:]:
                os.unlink(old.path)
        except OSError as exc:
            self.write_error = f"cannot write the cache in {self.directory}: {exc.strerror or exc}"
        except Exception as exc:  # noqa: BLE001 - a result that cannot be kept is settled again next time
            self.write_error = f"cannot serialise the run's findings: {exc}"

    # -- writing ----------------------------------------------------------------------------------

    def store(self, key: str, result: FileResult) -> None:
        """Write an entry (atomically); a result with an internal error or that could not read
        its file is not kept. Failures to write are remembered, never raised."""
        if result.internal_error or self.write_error is not None:
            return
        try:
            blob = _blob(result)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be kept is linted again next time
            self.write_error = f"cannot serialise the result of {result.path}: {exc}"
            return
        path = self._path(self.folder, key)
        try:
            self._prepare()
            path.parent.mkdir(exist_ok=True)
            _atomic_write(path, blob)
        except OSError as exc:
            self.write_error = f"cannot write the cache in {self.directory}: {exc.strerror or exc}"

    def _prepare(self) -> None:
        if self._prepared:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
            marker = self.directory / name
            if not marker.exists():
                _atomic_write(marker, text.encode())
        self._prepared = True

    # -- housekeeping -----------------------------------------------------------------------------

    def remove_temporary(self, pids: Iterable[int]) -> None:
        """Remove the temporary files of processes killed while writing (SIGKILL runs no
        clean-up): only theirs, by the pid in the name; another run's are left alone."""
        prefixes = tuple(temporary_prefix(pid) for pid in pids)
        if not prefixes:
            return
        try:
            buckets = [e.path for e in os.scandir(self.folder) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return
        for folder in (str(self.folder), *buckets):
            try:
                names = [e.name for e in os.scandir(folder) if e.name.startswith(prefixes)]
            except OSError:
                continue
            for name in names:
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError:
                    pass

    def prune(self, used: set[str]) -> int:
        """After a run over the whole project: remove this run key's entries that no file uses
        any more (older versions of edited files), and run-key folders unused for two weeks.
        Returns how many entries were removed."""
        removed = 0
        try:
            buckets = list(os.scandir(self.folder))
        except OSError:
            return 0
        for bucket in buckets:
            if not bucket.is_dir(follow_symlinks=False) or bucket.name == _SETTLED:
                continue
            try:
                entries = list(os.scandir(bucket.path))
            except OSError:
                continue
            for entry in entries:
                if entry.name not in used:
                    try:
                        os.unlink(entry.path)
                        removed += 1
                    except OSError:
                        pass
        try:
            os.utime(self.folder)
            now = time.time()
            for other in os.scandir(self.directory):
                if other.is_dir(follow_symlinks=False) and other.name.startswith("v1-") and other.path != str(self.folder):
                    if now - other.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                        shutil.rmtree(other.path, ignore_errors=True)
        except OSError:
            pass
        return removed


def _blob(value: Any) -> bytes:
    """An entry's bytes: the format tag, the payload's digest, the pickled payload."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _TAG + hashlib.blake2b(payload, digest_size=_DIGEST).digest() + payload


def _read_blob(path: Path) -> Any:
    """An entry's payload, or None when it is missing, from another format, or damaged."""
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    head = len(_TAG) + _DIGEST
    if len(blob) <= head or not blob.startswith(_TAG):
        return None
    payload = blob[head:]
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != blob[len(_TAG) : head]:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - an entry from another build or a damaged one: a miss
        return None


def temporary_prefix(pid: int) -> str:
    """The prefix of the temporary files a process writes (see `Cache.remove_temporary`)."""
    return f".tmp-{pid}-"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(os.getpid()), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def clean(directory: Path) -> bool:
    """Remove a cache folder; True if there was one. Refuses a folder that is not a fastlint
    cache (no CACHEDIR.TAG written by fastlint), so a mistyped `--cache-dir` deletes nothing."""
    if not directory.is_dir():
        return False
    tag = directory / "CACHEDIR.TAG"
    try:
        is_ours = "fastlint" in tag.read_text(encoding="utf-8", errors="replace")
    except OSError:
        is_ours = False
    if not is_ours:
        raise OSError(f"{directory} is not a fastlint cache folder (no CACHEDIR.TAG from fastlint); not removed")
    shutil.rmtree(directory)
    return True


def enabled(no_cache: bool) -> bool:
    return not no_cache and os.environ.get(ENV_NO_CACHE, "") in ("", "0")

