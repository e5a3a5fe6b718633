#!/usr/bin/env python3
"""Benchmark corpus for fastlint: real FastAPI + SQLAlchemy applications.

Downloads pinned releases of real applications from PyPI (wheels, or an sdist
where the wheel is unreasonably large), verifies their sha256, extracts only
the files that matter for linting, and runs fastlint over them.

Stdlib only; works on Python >= 3.10.  The artifacts are pinned by URL and
sha256 in ``REQUIRED``, ``EXTRA`` and ``AUTH`` below; the PyPI JSON API is never queried
at run time.

Cache layout (default ``bench/.cache/`` next to this script, override with the
``FASTLINT_BENCH_CACHE`` environment variable)::

    <cache>/downloads/<artifact file>          verified archives
    <cache>/corpora/<name>-<version>/          extracted trees (*.py, *.pyi,
                                               *.ini, *.toml, *.cfg, *.mako)

The corpora come in two sets:

* ``required`` (the default everywhere): prefect, open-webui,
  apache-airflow-core, mlflow, lnbits, dstack, zenml, arize-phoenix,
  fief-server and sqlmodel; the ones benchmark numbers are quoted for.
* ``extra``: pyspur, skyvern, langflow-base, freqtrade, feast and chainlit;
  more FastAPI + SQLAlchemy/SQLModel applications for wider false-positive
  hunting, fetched and linted only when asked for.
* ``auth``: argilla-server, openhands-ai, lightrag-hku, fastapi-users and
  fastapi-user-auth; code with its own login, JWT and password handling, for
  the security rules.

``--set all`` means all three.  Besides these there is a "medium" corpus (counted
with the required set): the ``prefect/server`` subfolder of the prefect tree
(about 100k lines), handy for quick timing runs.

Usage::

    python bench/corpus.py fetch [NAME ...] [--set SET]     # download + extract
    python bench/corpus.py list [--set SET]                 # table of corpora and sizes
    python bench/corpus.py path NAME                        # print extracted path
                                                            # (NAME may be "medium")
    python bench/corpus.py lint [NAME ...] [--set SET] [--select CODES]
                                [--extend-select CODES] [--out findings.jsonl] [--jobs N]
    python bench/corpus.py sample --in findings.jsonl [--code FL101] [-n 30] [--seed 1]

SET is ``required`` (default), ``extra``, ``auth`` or ``all``.  ``fetch`` and ``lint``
without NAMEs act on every corpus of SET; NAMEs may come from any set, but if
``--set`` is given too they must belong to it.  ``list`` shows a "set" column
(and per-set totals for ``--set all``); ``lint --set all`` reports both sets in
one table.

``lint`` runs ``python -m fastlint check --format json --exit-zero .`` inside
each extracted corpus (so reported paths are relative to the corpus root),
prints a table of finding counts per rule code and corpus plus the wall time
per corpus, and with ``--out`` writes every finding as one JSON object per
line with an added ``"corpus"`` field.  ``sample`` reads that file and prints
a reproducible random sample of findings with their source context, for
humans triaging false positives.

Exit codes: 0 on success, 1 on network / verification / lint errors, 2 on
usage errors.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

# --------------------------------------------------------------------------
# Pinned corpora
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """One pinned PyPI artifact."""

    name: str
    version: str
    kind: str  # "wheel" or "sdist"
    url: str
    sha256: str
    size: int
    # A file that must exist in the extracted tree; guards against artifacts
    # that do not actually ship the application code.
    sentinel: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass(frozen=True)
class SubCorpus:
    """A subfolder of another corpus, linted on its own."""

    name: str
    parent: str
    subdir: str
    description: str = ""


_FILES = "https://files.pythonhosted.org/packages"

# The "required" set: the corpora every benchmark run is measured on.
REQUIRED: tuple[Corpus, ...] = (
    Corpus(
        "prefect", "3.9.1", "wheel",
        f"{_FILES}/8f/da/3c44e2775a24ed354787f98cbba3a53d7697ca94094f2413a331e1ca1aa2/prefect-3.9.1-py3-none-any.whl",
        "0c662e26e971b617993eed1f3d02fb8bc3c2dd47bee521b495f6e4dfeb38ae74", 6987710,
        "prefect/server/api/server.py",
    ),
    Corpus(
        # The wheel is 106 MB (bundled frontend); the sdist has the backend.
        "open-webui", "0.12.4", "sdist",
        f"{_FILES}/65/4a/996ae3dd9914b5508e6d9e3a874ba32a74243fea2bd41e94d3ea980efe6b/open_webui-0.12.4.tar.gz",
        "04bff683181768a4c0ab32cd7b4f208f512622fe0066b4e5df22a05a96ac4628", 14970405,
        "backend/open_webui/main.py",
    ),
    Corpus(
        "apache-airflow-core", "3.3.2", "wheel",
        f"{_FILES}/54/b9/1ee2db2eeda6411ce2611e7ce800f57a4b9d22920f5c4ccaed908f7664a1/apache_airflow_core-3.3.2-py3-none-any.whl",
        "99258922bccec15be4700ff89f3c942b8acd93407e263c287ce863e671bb3c50", 6921273,
        "airflow/api_fastapi/app.py",
    ),
    Corpus(
        "mlflow", "3.18.0", "wheel",
        f"{_FILES}/53/60/045f0678990b8ca6f7b30bc1cd77a6fad82f6af018a3832f0ef79c10512b/mlflow-3.18.0-py3-none-any.whl",
        "be7d84ba0d0b12392f5b53260cdb3e6d7b7ef4b80c29da90a89b5a1f6db7102f", 12614865,
        "mlflow/store/tracking/sqlalchemy_store.py",
    ),
    Corpus(
        "lnbits", "1.6.2", "wheel",
        f"{_FILES}/d0/5f/710d94638159acbdb911c3cd51ca47baa3e56137d0e89b49de4202b2b1d6/lnbits-1.6.2-py3-none-any.whl",
        "25649a8b40f58e30e19aa9bb3c391a92b26e47cf9f028818fcab10b38a849339", 3873292,
        "lnbits/app.py",
    ),
    Corpus(
        "dstack", "0.22.5", "wheel",
        f"{_FILES}/5c/ef/96f87db68b4f95d75f645f08a2f254cb31f2c538da4502bcc106952dae67/dstack-0.22.5-py3-none-any.whl",
        "e83cd6b7161f379ed173c012cd4d4149d1c395af6abf1dae61a9143f78e3cd04", 16863593,
        "dstack/_internal/server/app.py",
    ),
    Corpus(
        "zenml", "0.98.0", "wheel",
        f"{_FILES}/32/78/15b041ed5e9427d33bf05841b0bdcfaefda0745c7a1b854d62dda21f6b43/zenml-0.98.0-py3-none-any.whl",
        "801ffbe1821bd48dfc03c9fd5519f5a7d4387d86b3d48d08bd2057dfcde5ad30", 7475970,
        "zenml/zen_server/zen_server_api.py",
    ),
    Corpus(
        "arize-phoenix", "20.26.1", "wheel",
        f"{_FILES}/b9/ad/1cffc3667a0f51d56c655b65dd3cfefbf60e0362618235957001d746bd1a/arize_phoenix-20.26.1-py3-none-any.whl",
        "dd318844cba1d7021d8accaa995b7f3716d559eab4afb549dfb1017dd51bab56", 7999461,
        "phoenix/server/app.py",
    ),
    Corpus(
        "fief-server", "0.30.0", "wheel",
        f"{_FILES}/9c/93/6d49027c198cc94f8421a461026f3cead2e60b776c40fa5cf6ae5432b2a2/fief_server-0.30.0-py3-none-any.whl",
        "e524a9d690bda115d15b19fe5647293393f7a9e35f4c1e12b5b114ec03231af8", 651289,
        "fief/app.py",
    ),
    Corpus(
        "sqlmodel", "0.0.50", "wheel",
        f"{_FILES}/5c/ad/f3f627bd500cd88f20db43693a20f7316490bfa193e1c05761a32344737f/sqlmodel-0.0.50-py3-none-any.whl",
        "df518bc74287e1da0b0d7833cd00f55e77cb1cdc8c27bc29f77eea27acb51c1a", 31430,
        "sqlmodel/main.py",
    ),
)

# The "extra" set: more FastAPI + SQLAlchemy/SQLModel applications, for wider
# false-positive hunting.  Each was checked to ship FastAPI routes (APIRouter /
# FastAPI()) and SQLAlchemy or SQLModel code in the pinned artifact.
EXTRA: tuple[Corpus, ...] = (
    Corpus(
        "pyspur", "0.1.18", "wheel",
        f"{_FILES}/87/15/966c466a8acd1256c0595d093b418a8a232dece1be30ff1bc05b9bd57311/pyspur-0.1.18-py3-none-any.whl",
        "a85e952e46fc8243d5b1dfe85471d7f9ed05635628c51ca69c83066f65df60a2", 5611642,
        "pyspur/api/api_app.py",
    ),
    Corpus(
        "skyvern", "1.0.56", "wheel",
        f"{_FILES}/b3/bd/793a2790ad5d7d8b6844fa40e4a6de823ec562d65a0f513427717a1d99b4/skyvern-1.0.56-py3-none-any.whl",
        "821e7bee0dc642a0a609eac45b656a0a96690592a240058bd3153177c1c77d40", 7776291,
        "skyvern/forge/api_app.py",
    ),
    Corpus(
        "langflow-base", "1.13.0", "wheel",
        f"{_FILES}/48/5f/4766c4d4ea355ee026e8ca6f3aee7e0656bd57280912fc7b59730b135619/langflow_base-1.13.0-py3-none-any.whl",
        "e15db23e16cf27d6d1ac8fcc5030cf25ad3a04356a9581862b4e97de739dd3a2", 19609922,
        "langflow/main.py",
    ),
    Corpus(
        "freqtrade", "2026.9", "wheel",
        f"{_FILES}/89/8b/7fa7e26003bcac76f464ae6d49c246842e31be134eb52fcba75ac45e44da/freqtrade-2026.9-py3-none-any.whl",
        "3cc4432381b83ec35000bff6b76f494fa3ec7d1681c7a45c04667dc063789fac", 892074,
        "freqtrade/rpc/api_server/webserver.py",
    ),
    Corpus(
        "feast", "0.67.0", "wheel",
        f"{_FILES}/45/bd/bf81bece6d0772d5801eb5e86d98f4cc0bb53a363674059187285b6ba2b5/feast-0.67.0-py3-none-any.whl",
        "98667313ae7663f3312174590461e28081112f46d982710867d4b97e0b0f2c66", 9311292,
        "feast/lineage_server.py",
    ),
    Corpus(
        "chainlit", "2.12.0", "wheel",
        f"{_FILES}/ba/e9/d4bbbcde8b2e3c547a2d55b73840213b45916ff09c9b40cfb8d7875bb4c8/chainlit-2.12.0-py3-none-any.whl",
        "17cbd2c408f775a123892984bf9170674b5c81a01f7a8af278912e2786253ffc", 11351228,
        "chainlit/server.py",
    ),
)

# The "auth" set: applications and libraries with their own login, JWT and
# password code (and, for argilla-server and openhands-ai, Alembic histories),
# added to measure the security rules on more than a handful of findings.
AUTH: tuple[Corpus, ...] = (
    Corpus(
        "argilla-server", "2.8.0", "wheel",
        f"{_FILES}/60/df/b34a2ae4cbb8ca5a74b25d6aa179add59b8e0b4de87c82f52c32a79b3efd/argilla_server-2.8.0-py3-none-any.whl",
        "e21a5c979ef6536fca634dc957469daca8fb09440c39b2fbeefb223459cc61e0", 5747923,
        "argilla_server/security/authentication/jwt.py",
    ),
    Corpus(
        "openhands-ai", "1.11.0", "wheel",
        f"{_FILES}/b5/68/0653b16221ad602ab98d30ece593b256118f6b49396dab66bb9e09345c2d/openhands_ai-1.11.0-py3-none-any.whl",
        "833de097150d498ffc7e175869df4723aec4a6b3c0be27545ca37089e6452c8f", 775222,
        "openhands/app_server/services/jwt_service.py",
    ),
    Corpus(
        "lightrag-hku", "1.5.7", "wheel",
        f"{_FILES}/f3/29/44c9df718091da249c9d06967452f0f06560c58d0fdee26e57e6ac8dd25a/lightrag_hku-1.5.7-py3-none-any.whl",
        "895b81d94ca447afc6290c0e049d339f6caed46fbf29e4324f6db987046c6fcb", 5039835,
        "lightrag/api/auth.py",
    ),
    Corpus(
        "fastapi-users", "15.0.5", "wheel",
        f"{_FILES}/5a/8e/1ed6bbe36c486b98217c4be6769d61fcb98c38b334fb39706de661a905b6/fastapi_users-15.0.5-py3-none-any.whl",
        "10fd4f3e85ed66f694a6ca2ecac609af4e59d1f9ec64d1557f5912dccfd87c7f", 39038,
        "fastapi_users/jwt.py",
    ),
    Corpus(
        "fastapi-user-auth", "0.7.3", "wheel",
        f"{_FILES}/ca/12/196e417c90503dcb3a0cd0778427e8ea71dbbc8b56072e7dbee01a98b9cf/fastapi_user_auth-0.7.3-py3-none-any.whl",
        "4080462be01c069a5db767b75fbed7afca902c8af08d267c04598301a83b6f61", 47287,
        "fastapi_user_auth/auth/backends/jwt.py",
    ),
)

SETS: dict[str, tuple[Corpus, ...]] = {"required": REQUIRED, "extra": EXTRA, "auth": AUTH}
SET_CHOICES = (*SETS, "all")
DEFAULT_SET = "required"
CORPORA: tuple[Corpus, ...] = tuple(c for group in SETS.values() for c in group)

MEDIUM = SubCorpus("medium", "prefect", "prefect/server", "prefect server (API + ORM)")
MEDIUM_SET = "required"  # the set whose listing and error messages include "medium"

EXTENSIONS = frozenset({".py", ".pyi", ".ini", ".toml", ".cfg", ".mako"})
MARKER = ".fastlint-bench-extracted.json"
MAX_MEMBER_BYTES = 16 * 1024 * 1024  # no legitimate source file is this big
CHUNK = 1024 * 1024
HTTP_TIMEOUT = 60
USER_AGENT = "fastlint-bench-corpus/1 (python urllib)"

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


class BenchError(Exception):
    """An error reported to the user as a one-line message (exit code 1)."""


# --------------------------------------------------------------------------
# Paths and lookup
# --------------------------------------------------------------------------


def cache_dir() -> Path:
    env = os.environ.get("FASTLINT_BENCH_CACHE")
    return Path(env).expanduser().resolve() if env else BENCH_DIR / ".cache"


def downloads_dir() -> Path:
    return cache_dir() / "downloads"


def corpora_dir() -> Path:
    return cache_dir() / "corpora"


def corpus_dir(corpus: Corpus) -> Path:
    return corpora_dir() / corpus.key


def get_corpus(name: str) -> Corpus:
    for corpus in CORPORA:
        if corpus.name == name:
            return corpus
    raise KeyError(name)


def set_corpora(set_name: str) -> tuple[Corpus, ...]:
    """Corpora of a set name ("required", "extra", "auth" or "all"), in table order."""
    return CORPORA if set_name == "all" else SETS[set_name]


def set_of(name: str) -> str:
    """The set a corpus name (or "medium") belongs to."""
    if name == MEDIUM.name:
        return MEDIUM_SET
    for set_name, group in SETS.items():
        if any(c.name == name for c in group):
            return set_name
    raise KeyError(name)


def known_names(include_medium: bool, set_name: str = "all") -> list[str]:
    names = [c.name for c in set_corpora(set_name)]
    if include_medium and set_name in ("all", MEDIUM_SET):
        names.append(MEDIUM.name)
    return names


def validate_names(names: Sequence[str], include_medium: bool,
                   set_name: str | None = None) -> list[str]:
    """Names to act on; exit with a usage error on unknown ones.

    Without names: every corpus of set_name (default: the required set).  With
    names: those names, which must belong to set_name when it is given.
    """
    if not names:
        return [c.name for c in set_corpora(set_name or DEFAULT_SET)]
    allowed = known_names(include_medium, set_name or "all")
    unknown = [n for n in names if n not in allowed]
    if unknown:
        everywhere = known_names(include_medium)
        missing = [n for n in unknown if n not in everywhere]
        if missing:
            print(f"error: unknown corpus {', '.join(missing)}; known: {', '.join(everywhere)}",
                  file=sys.stderr)
        else:
            what = ", ".join(f"{n} (in {set_of(n)})" for n in unknown)
            print(f"error: not in set {set_name!r}: {what}; {set_name} corpora: "
                  f"{', '.join(allowed)}", file=sys.stderr)
        raise SystemExit(2)
    return list(dict.fromkeys(names))


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def human_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()


def relax_mode(path: Path, mode: int) -> None:
    """mkstemp/mkdtemp create private 0600/0700 entries; use normal permissions."""
    os.chmod(path, mode & ~UMASK)


# --------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stream_to(response: IO[bytes], out: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    total = 0
    for chunk in iter(lambda: response.read(CHUNK), b""):
        digest.update(chunk)
        out.write(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def http_download(url: str, dest: Path) -> str:
    """Download url to a temp file next to dest, rename it atomically, return sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as resp:
            digest, _ = stream_to(resp, out)
        relax_mode(tmp, 0o666)
        os.replace(tmp, dest)
        return digest
    except urllib.error.HTTPError as exc:
        raise BenchError(f"download failed: HTTP {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BenchError(f"download failed: {reason} ({url})") from None
    finally:
        tmp.unlink(missing_ok=True)


def ensure_download(corpus: Corpus) -> Path:
    """Return the verified archive for corpus, downloading it if needed."""
    dest = downloads_dir() / corpus.filename
    if dest.is_file():
        if sha256_of(dest) == corpus.sha256:
            log(f"[{corpus.name}] {corpus.filename}: already downloaded, sha256 ok")
            return dest
        log(f"[{corpus.name}] {corpus.filename}: sha256 mismatch in cache, downloading again")
        dest.unlink()
    log(f"[{corpus.name}] downloading {corpus.filename} ({human_size(corpus.size)})")
    start = time.perf_counter()
    digest = http_download(corpus.url, dest)
    if digest != corpus.sha256:
        dest.unlink(missing_ok=True)
        raise BenchError(
            f"sha256 mismatch for {corpus.filename}: expected {corpus.sha256}, got {digest}"
        )
    log(f"[{corpus.name}] downloaded in {time.perf_counter() - start:.1f}s, sha256 ok")
    return dest


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------


@dataclass
class ExtractStats:
    written: int = 0
    unsafe: list[str] = field(default_factory=list)
    too_big: list[str] = field(default_factory=list)


def safe_relpath(name: str) -> PurePosixPath | None:
    """Archive member name -> safe relative path, or None if it could escape."""
    if "\\" in name or "\x00" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return PurePosixPath(*parts)


def is_relevant(path: PurePosixPath) -> bool:
    return path.suffix.lower() in EXTENSIONS


def copy_limited(src: IO[bytes], dest: Path) -> bool:
    """Copy at most MAX_MEMBER_BYTES; return False (and remove dest) if larger."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    remaining = MAX_MEMBER_BYTES + 1
    with dest.open("wb") as out:
        while remaining > 0:
            chunk = src.read(min(CHUNK, remaining))
            if not chunk:
                break
            out.write(chunk)
            remaining -= len(chunk)
    if remaining <= 0:
        dest.unlink()
        return False
    return True


@dataclass(frozen=True)
class Member:
    """Archive entry, independent of the archive format."""

    name: str
    is_file: bool  # regular file: not a directory, symlink, hard link or device
    size: int
    handle: zipfile.ZipInfo | tarfile.TarInfo


def zip_members(archive: zipfile.ZipFile) -> list[Member]:
    members = []
    for info in archive.infolist():
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        members.append(Member(info.filename, not info.is_dir() and not is_link,
                              info.file_size, info))
    return members


def tar_members(archive: tarfile.TarFile) -> list[Member]:
    return [Member(m.name, m.isreg(), m.size, m) for m in archive.getmembers()]


def sdist_prefix(names: Iterable[str]) -> str:
    """The single top-level directory of an sdist."""
    tops = {rel.parts[0] for rel in map(safe_relpath, names) if rel is not None}
    if len(tops) != 1:
        raise BenchError(f"sdist does not have a single top-level directory: {sorted(tops)[:5]}")
    return tops.pop()


def plan_members(
    members: Iterable[Member], strip: str | None, stats: ExtractStats
) -> Iterator[tuple[Member, PurePosixPath]]:
    """Yield (member, destination relpath) for the members to extract."""
    for member in members:
        name, is_file, size = member.name, member.is_file, member.size
        rel = safe_relpath(name)
        if rel is None:
            stats.unsafe.append(name)
            continue
        if strip is not None:
            if rel.parts[0] != strip:
                stats.unsafe.append(name)
                continue
            if len(rel.parts) == 1:
                continue
            rel = PurePosixPath(*rel.parts[1:])
        if not is_relevant(rel):
            continue
        if not is_file:  # symlink, hard link, device, directory named *.py ...
            stats.unsafe.append(name)
        elif size > MAX_MEMBER_BYTES:
            stats.too_big.append(name)
        else:
            yield member, rel


def write_member(src: IO[bytes], dest: Path, name: str, stats: ExtractStats) -> None:
    if copy_limited(src, dest):
        stats.written += 1
    else:
        stats.too_big.append(name)


def extract_zip(archive_path: Path, dest: Path, stats: ExtractStats) -> None:
    with zipfile.ZipFile(archive_path) as archive:
        for member, rel in plan_members(zip_members(archive), None, stats):
            with archive.open(member.handle) as src:  # type: ignore[arg-type]
                write_member(src, dest / rel, member.name, stats)


def extract_tar(archive_path: Path, dest: Path, stats: ExtractStats) -> None:
    with tarfile.open(archive_path, "r:*") as archive:
        members = tar_members(archive)
        strip = sdist_prefix(m.name for m in members)
        for member, rel in plan_members(members, strip, stats):
            src = archive.extractfile(member.handle)  # type: ignore[arg-type]
            if src is None:
                stats.unsafe.append(member.name)
                continue
            with src:
                write_member(src, dest / rel, member.name, stats)


def read_marker(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_extracted(corpus: Corpus) -> bool:
    marker = read_marker(corpus_dir(corpus))
    return marker is not None and marker.get("sha256") == corpus.sha256


def remove_stale_temp_dirs(corpus: Corpus) -> None:
    root = corpora_dir()
    if root.is_dir():
        for stale in root.glob(f".{corpus.key}.*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)


def extract(corpus: Corpus, archive_path: Path) -> ExtractStats:
    """Extract into a temp dir, write the marker, then rename into place."""
    root = corpora_dir()
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_dirs(corpus)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{corpus.key}.", suffix=".tmp"))
    relax_mode(tmp, 0o777)
    stats = ExtractStats()
    try:
        if corpus.kind == "wheel":
            extract_zip(archive_path, tmp, stats)
        else:
            extract_tar(archive_path, tmp, stats)
        if not (tmp / corpus.sentinel).is_file():
            raise BenchError(f"{corpus.filename} does not contain {corpus.sentinel}")
        marker = {"name": corpus.name, "version": corpus.version, "sha256": corpus.sha256,
                  "files": stats.written, "extensions": sorted(EXTENSIONS)}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        final = corpus_dir(corpus)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
        raise BenchError(f"cannot extract {archive_path.name}: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def ensure_extracted(corpus: Corpus, verbose: bool = False) -> Path:
    """Return the extracted tree of corpus, downloading and extracting if needed."""
    dest = corpus_dir(corpus)
    if is_extracted(corpus):
        if verbose:
            log(f"[{corpus.name}] up to date: {display_path(dest)}")
        return dest
    if dest.exists():
        log(f"[{corpus.name}] incomplete or outdated extraction, redoing")
    archive = ensure_download(corpus)
    stats = extract(corpus, archive)
    log(f"[{corpus.name}] extracted {stats.written} files to {display_path(dest)}")
    if stats.unsafe:
        log(f"[{corpus.name}] skipped {len(stats.unsafe)} unsafe entries "
            f"(links / path traversal), e.g. {stats.unsafe[0]!r}")
    if stats.too_big:
        log(f"[{corpus.name}] skipped {len(stats.too_big)} files > {MAX_MEMBER_BYTES} bytes")
    return dest


def target_path(name: str) -> Path:
    """Extracted folder for a corpus name or "medium", fetching if needed."""
    if name == MEDIUM.name:
        path = ensure_extracted(get_corpus(MEDIUM.parent)) / MEDIUM.subdir
        if not path.is_dir():
            raise BenchError(f"medium corpus folder missing: {path}")
        return path
    return ensure_extracted(get_corpus(name))


# --------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------


def count_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def python_size(root: Path) -> tuple[int, int]:
    """(number of .py files, total lines in them) under root."""
    files = [p for p in root.rglob("*.py") if p.is_file()]
    return len(files), sum(count_lines(p) for p in files)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                 right: Iterable[int] = ()) -> str:
    """Plain-text table; columns whose index is in right are right-aligned."""
    right_cols = set(right)
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def fmt(row: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right_cols else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(cells[0]), rule] + [fmt(r) for r in cells[1:]])


# --------------------------------------------------------------------------
# Subcommands: fetch, list, path
# --------------------------------------------------------------------------


def cmd_fetch(args: argparse.Namespace) -> int:
    for name in validate_names(args.names, include_medium=False, set_name=args.set):
        ensure_extracted(get_corpus(name), verbose=True)
    return 0


def list_row(corpus: Corpus) -> tuple[list[object], int, int]:
    path = corpus_dir(corpus)
    head = [corpus.name, set_of(corpus.name), corpus.version, corpus.kind]
    if not is_extracted(corpus):
        return [*head, "-", "-", "(not fetched)"], 0, 0
    files, lines = python_size(path)
    return [*head, files, f"{lines:,}", display_path(path)], files, lines


def medium_row() -> list[object]:
    parent = get_corpus(MEDIUM.parent)
    path = corpus_dir(parent) / MEDIUM.subdir
    head = [MEDIUM.name, MEDIUM_SET, parent.version, f"({MEDIUM.parent})"]
    if not is_extracted(parent) or not path.is_dir():
        return [*head, "-", "-", "(not fetched)"]
    files, lines = python_size(path)
    return [*head, files, f"{lines:,}", display_path(path)]


def cmd_list(args: argparse.Namespace) -> int:
    set_names = list(SETS) if args.set == "all" else [args.set]
    rows: list[list[object]] = []
    subtotals: list[list[object]] = []
    total_files = total_lines = 0
    for set_name in set_names:
        set_files = set_lines = 0
        for corpus in SETS[set_name]:
            row, files, lines = list_row(corpus)
            rows.append(row)
            set_files += files
            set_lines += lines
        if set_name == MEDIUM_SET:
            rows.append(medium_row())
        subtotals.append([f"total {set_name}", set_name, "", "", set_files, f"{set_lines:,}",
                          "(excluding medium)" if set_name == MEDIUM_SET else ""])
        total_files += set_files
        total_lines += set_lines
    if len(subtotals) > 1:
        rows.extend(subtotals)
    note = "(excluding medium)" if MEDIUM_SET in set_names else ""
    rows.append(["total", args.set, "", "", total_files, f"{total_lines:,}", note])
    headers = ["corpus", "set", "version", "artifact", ".py files", "py lines", "path"]
    print(format_table(headers, rows, right={4, 5}))
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    validate_names([args.name], include_medium=True)
    print(target_path(args.name))
    return 0


# --------------------------------------------------------------------------
# lint
# --------------------------------------------------------------------------


@dataclass
class LintResult:
    name: str
    seconds: float = 0.0
    files: int | None = None
    diagnostics: list[dict[str, object]] = field(default_factory=list)
    error: str | None = None


def fastlint_env() -> dict[str, str]:
    """Environment for fastlint subprocesses.

    The repo root goes on PYTHONPATH so an uninstalled checkout works, and
    PYTHONSAFEPATH (3.11+) keeps the corpus cwd off sys.path so corpus modules
    cannot shadow anything fastlint imports.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONSAFEPATH"] = "1"
    return env


# Imports the fastlint package (not its __main__, which would run the CLI).
_PROBE = """
import importlib.util, sys
if importlib.util.find_spec("fastlint.__main__") is None:
    sys.exit("fastlint has no __main__ module")
"""


def check_fastlint_importable() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=tempfile.gettempdir(), env=fastlint_env(),
        capture_output=True, text=True, check=False,
    )
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines()
        detail = lines[-1] if lines else f"exit code {probe.returncode}"
        raise BenchError(f"`{Path(sys.executable).name} -m fastlint` is not runnable "
                         f"(repo root on PYTHONPATH): {detail}")


def tail(text: str, max_lines: int = 20, max_chars: int = 2000) -> str:
    """Last lines of text (tracebacks end with the useful part), marked if cut."""
    lines = text.strip().splitlines()
    out = "\n".join(lines[-max_lines:])[-max_chars:]
    if not out:
        return "(no stderr)"
    omitted = len(lines) - out.count("\n") - 1
    return f"[... {omitted} earlier lines omitted]\n{out}" if omitted > 0 else out


def fastlint_command(args: argparse.Namespace) -> list[str]:
    # --isolated: the corpora sit inside this repository; fastlint's own pyproject.toml must not
    # configure their run (its excludes and project root are not theirs).
    cmd = [sys.executable, "-m", "fastlint", "check", "--isolated", "--format", "json", "--exit-zero"]
    if args.select:
        cmd += ["--select", args.select]
    if args.extend_select:
        cmd += ["--extend-select", args.extend_select]
    return [*cmd, "."]


def parse_report(stdout: str) -> tuple[int | None, list[dict[str, object]]]:
    """Validate fastlint's JSON report; raise ValueError if it breaks the contract."""
    report = json.loads(stdout)
    if not isinstance(report, dict) or not isinstance(report.get("diagnostics"), list):
        raise ValueError("top-level object with a 'diagnostics' list expected")
    diagnostics = report["diagnostics"]
    if not all(isinstance(d, dict) and "code" in d and "path" in d for d in diagnostics):
        raise ValueError("every diagnostic needs at least 'code' and 'path'")
    summary = report.get("summary")
    files = summary.get("files") if isinstance(summary, dict) else None
    return (files if isinstance(files, int) else None), diagnostics


def lint_one(name: str, cmd: list[str]) -> LintResult:
    result = LintResult(name)
    cwd = target_path(name)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=fastlint_env(), capture_output=True, check=False,
                          encoding="utf-8", errors="replace")
    result.seconds = time.perf_counter() - start
    if proc.returncode == 2 or proc.returncode < 0:
        result.error = f"fastlint exited with code {proc.returncode}:\n{tail(proc.stderr)}"
        return result
    try:
        result.files, result.diagnostics = parse_report(proc.stdout)
    except ValueError as exc:
        result.error = (f"fastlint output is not a valid JSON report ({exc}); "
                        f"exit code {proc.returncode}, stderr:\n{tail(proc.stderr)}")
        return result
    if proc.returncode != 0:
        log(f"[{name}] warning: fastlint exited with {proc.returncode} despite --exit-zero")
    return result


def run_lints(names: list[str], cmd: list[str], jobs: int) -> list[LintResult]:
    def job(name: str) -> LintResult:
        log(f"[{name}] linting ...")
        res = lint_one(name, cmd)
        status = "ERROR" if res.error else f"{len(res.diagnostics)} findings"
        log(f"[{name}] {status} in {res.seconds:.2f}s")
        return res

    # Fetch sequentially first so downloads do not interleave with timing.
    for name in names:
        target_path(name)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(job, names))


def counts_table(results: list[LintResult]) -> str:
    ok = [r for r in results if r.error is None]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    rule_names: dict[str, str] = {}
    for res in ok:
        for diag in res.diagnostics:
            code = str(diag.get("code"))
            counts[code][res.name] += 1
            rule_names.setdefault(code, str(diag.get("name", "")))
    headers = ["code"] + [r.name for r in ok] + ["total", "name"]
    rows: list[list[object]] = []
    for code in sorted(counts):
        per = [counts[code][r.name] for r in ok]
        rows.append([code, *per, sum(per), rule_names[code]])
    col_totals = [len(r.diagnostics) for r in ok]
    rows.append(["total", *col_totals, sum(col_totals), ""])
    return format_table(headers, rows, right=range(1, len(ok) + 2))


def timing_table(results: list[LintResult]) -> str:
    rows: list[list[object]] = []
    for res in results:
        files = "-" if res.files is None else res.files
        status = "error" if res.error else "ok"
        findings = "-" if res.error else len(res.diagnostics)
        rows.append([res.name, set_of(res.name), status, files, findings, f"{res.seconds:.2f}"])
    total = sum(r.seconds for r in results)
    rows.append(["total", "", "", "", "", f"{total:.2f}"])
    return format_table(["corpus", "set", "status", "files", "findings", "wall s"], rows,
                        right={3, 4, 5})


def write_findings(path: Path, results: list[LintResult]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for res in results:
            for diag in res.diagnostics:
                out.write(json.dumps({**diag, "corpus": res.name}, ensure_ascii=False) + "\n")
                count += 1
    return count


def cmd_lint(args: argparse.Namespace) -> int:
    names = validate_names(args.names, include_medium=True, set_name=args.set)
    check_fastlint_importable()
    results = run_lints(names, fastlint_command(args), args.jobs)
    for res in results:
        if res.error:
            print(f"error: [{res.name}] {res.error}", file=sys.stderr)
    print(counts_table(results))
    print()
    print(timing_table(results))
    if args.out:
        written = write_findings(Path(args.out), results)
        log(f"wrote {written} findings to {args.out}")
    return 1 if any(r.error for r in results) else 0


# --------------------------------------------------------------------------
# sample
# --------------------------------------------------------------------------


def read_findings(path: Path) -> list[dict[str, object]]:
    findings: list[dict[str, object]] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        findings.append(json.loads(line))
                    except ValueError:
                        raise BenchError(f"{path}:{lineno}: not valid JSON") from None
    except OSError as exc:
        raise BenchError(f"cannot read {path}: {exc.strerror}") from None
    return findings


def finding_key(f: dict[str, object]) -> tuple[str, str, int, int, str]:
    return (str(f.get("corpus")), str(f.get("path")), as_int(f.get("line")),
            as_int(f.get("column")), str(f.get("code")))


def as_int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def pick_sample(findings: list[dict[str, object]], code: str | None, n: int,
                seed: int) -> list[dict[str, object]]:
    """At most n findings per code; the RNG is seeded per code, so filtering
    with --code yields the same picks as the unfiltered run."""
    by_code: dict[str, list[dict[str, object]]] = defaultdict(list)
    for f in findings:
        if code is None or f.get("code") == code:
            by_code[str(f.get("code"))].append(f)
    picked: list[dict[str, object]] = []
    for c in sorted(by_code):
        group = sorted(by_code[c], key=finding_key)
        rng = random.Random(f"{seed}:{c}")
        chosen = group if len(group) <= n else rng.sample(group, n)
        picked.extend(sorted(chosen, key=finding_key))
    return picked


def source_excerpt(file: Path, line: int, end_line: int, context: int = 5) -> str:
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return f"    (cannot read {file}: {exc.strerror})"
    first, last = max(1, line - context), min(len(lines), end_line + context)
    width = len(str(last))
    out = []
    for no in range(first, last + 1):
        mark = ">" if line <= no <= end_line else " "
        out.append(f"  {mark} {no:>{width}} | {lines[no - 1]}")
    return "\n".join(out)


def corpus_root_for(name: str, cache: dict[str, Path | None]) -> Path | None:
    if name not in cache:
        try:
            cache[name] = target_path(name) if name in known_names(True) else None
        except BenchError as exc:
            log(f"warning: {exc}")
            cache[name] = None
    return cache[name]


def format_finding(f: dict[str, object], root: Path | None) -> str:
    line = as_int(f.get("line"), 1)
    end_line = max(line, as_int(f.get("end_line"), line))
    where = f"{f.get('path')}:{line}:{f.get('column', '?')}"
    head = (f"=== {f.get('code')} {f.get('name', '')} [{f.get('corpus')}] {where}\n"
            f"    {f.get('message', '')}")
    if f.get("fix_hint"):
        head += f"\n    hint: {f.get('fix_hint')}"
    if root is None:
        return head + "\n    (source unavailable: unknown corpus)"
    path = Path(str(f.get("path")))
    return head + "\n" + source_excerpt(path if path.is_absolute() else root / path, line, end_line)


def cmd_sample(args: argparse.Namespace) -> int:
    findings = read_findings(Path(args.infile))
    picked = pick_sample(findings, args.code, args.n, args.seed)
    roots: dict[str, Path | None] = {}
    for f in picked:
        print(format_finding(f, corpus_root_for(str(f.get("corpus")), roots)))
        print()
    per_code = Counter(str(f.get("code")) for f in picked)
    summary = ", ".join(f"{c}: {k}" for c, k in sorted(per_code.items())) or "none"
    print(f"sampled {len(picked)} of {len(findings)} findings ({summary})")
    return 0


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    epilog = "; ".join(f"{set_name} corpora: {', '.join(known_names(True, set_name))}"
                       for set_name in SETS)
    parser = argparse.ArgumentParser(
        prog="corpus.py", description="Real-world corpora for benchmarking fastlint.",
        epilog=epilog)
    sub = parser.add_subparsers(dest="command", required=True)

    def add_set(p: argparse.ArgumentParser, default: str | None, what: str) -> None:
        p.add_argument("--set", choices=SET_CHOICES, default=default,
                       help=f"{what} (default: {DEFAULT_SET})")

    p = sub.add_parser("fetch", help="download and extract corpora (the required set by default)")
    p.add_argument("names", nargs="*", metavar="NAME")
    add_set(p, None, "corpus set to fetch when no NAME is given; "
                     "with NAMEs, they must belong to it")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("list", help="table of corpora with file and line counts")
    add_set(p, DEFAULT_SET, "corpus set to list")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("path", help="print the extracted path of a corpus (fetching if needed)")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_path)

    p = sub.add_parser("lint", help="run fastlint over corpora (the required set by default)")
    p.add_argument("names", nargs="*", metavar="NAME", help="corpora, may include 'medium'")
    add_set(p, None, "corpus set to lint when no NAME is given; "
                     "with NAMEs, they must belong to it")
    p.add_argument("--select", metavar="CODES", help="passed to fastlint --select")
    p.add_argument("--extend-select", metavar="CODES", help="passed to fastlint --extend-select")
    p.add_argument("--out", metavar="FILE", help="write findings as JSON lines")
    p.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                   help="corpora linted concurrently (default 1; >1 skews wall times)")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("sample", help="print a reproducible sample of findings with source")
    p.add_argument("--in", dest="infile", required=True, metavar="FILE",
                   help="JSON-lines file written by lint --out")
    p.add_argument("--code", help="only this rule code")
    p.add_argument("-n", type=positive_int, default=30, help="max findings per code (30)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.set_defaults(func=cmd_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
