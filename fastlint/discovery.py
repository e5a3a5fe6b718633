"""Which files a run lints, and the module name of each.

- Directories are walked for ``*.py`` and ``*.pyi``; excluded directories are not entered.
- ``.gitignore`` files in the walked directories are honoured (gitignore semantics, via pathspec).
- The default excludes (`.git`, `.venv`, `node_modules`, ...) and ``exclude``/``extend-exclude``
  (gitignore-style patterns relative to the project root) apply to walked paths.
- A file named on the command line is always linted, unless `force_exclude` is set (a pre-commit
  hook passes every staged file, excluded ones too): the excludes then apply to it as well.
- Symbolic links to directories are followed once: a loop is never walked twice.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from fastlint.analysis.names import module_name_for
from fastlint.engine import FileJob

PY_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    jobs: list[FileJob] = field(default_factory=list)
    #: One-line problems with the given paths (missing paths...): reported, and exit code 2.
    errors: list[str] = field(default_factory=list)


def _spec(lines: Iterable[str]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Walker:
    def __init__(self, root: Path, cwd: Path, excludes: Sequence[str], respect_gitignore: bool) -> None:
        self.root = root
        self.cwd = cwd
        names = [p for p in excludes if "/" not in p.rstrip("/") and not any(ch in p for ch in "*?[!")]
        self.excluded_names = {p.rstrip("/") for p in names}
        self.exclude_spec = _spec([p for p in excludes if p not in names])
        self.respect_gitignore = respect_gitignore
        self.seen_dirs: set[tuple[int, int]] = set()
        self.seen_files: set[str] = set()
        self._init_cache: dict[str, bool] = {}
        self.jobs: list[FileJob] = []
        self.errors: list[str] = []

    # -- paths ---------------------------------------------------------------------------------
    def _relative_to_root(self, path: Path) -> str | None:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return None

    def _excluded(self, path: Path, is_dir: bool, top: Path, top_excluded: bool) -> bool:
        if path.name in self.excluded_names:
            return True
        # A directory named on the command line is linted even when it sits inside an excluded
        # one: its own path (and its ancestors') then does not count, only what is below it.
        rel = path.relative_to(top).as_posix() if top_excluded else self._relative_to_root(path)
        if rel is None:
            return False
        return self.exclude_spec.match_file(rel + "/" if is_dir else rel)

    def _top_excluded(self, top: Path) -> bool:
        rel = self._relative_to_root(top)
        if rel is None or rel == ".":
            return False
        return self.exclude_spec.match_file(rel + "/") or any(p in self.excluded_names for p in Path(rel).parts)

    def _display(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.cwd)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)

    def _has_init(self, directory: Path) -> bool:
        key = str(directory)
        cached = self._init_cache.get(key)
        if cached is None:
            cached = (directory / "__init__.py").is_file() or (directory / "__init__.pyi").is_file()
            self._init_cache[key] = cached
        return cached

    def module_name(self, path: Path) -> tuple[str, bool]:
        """The name imports use: from the top of its package chain when the file is in a regular
        package (so ``src/`` layouts and nested projects resolve), else relative to the root."""
        directory = path.parent
        if self._has_init(directory):
            top = directory
            while self._has_init(top.parent) and top.parent != top:
                top = top.parent
            return module_name_for(path.relative_to(top.parent).as_posix())
        rel = self._relative_to_root(path)
        return module_name_for(rel if rel is not None else path.name)

    # -- walking -----------------------------------------------------------------------------------
    def add_file(self, path: Path) -> None:
        absolute = os.path.abspath(path)
        if absolute in self.seen_files:
            return
        self.seen_files.add(absolute)
        module, is_package = self.module_name(Path(absolute))
        rel = self._relative_to_root(Path(absolute))
        self.jobs.append(
            FileJob(
                path=absolute,
                display_path=self._display(Path(absolute)),
                relpath=rel if rel is not None else Path(absolute).name,
                module_name=module,
                is_package=is_package,
            )
        )

    def walk(self, top: Path) -> None:
        top_excluded = self._top_excluded(top)
        stack: list[tuple[Path, list[tuple[Path, pathspec.PathSpec]]]] = [(top, [])]
        while stack:
            directory, ignores = stack.pop()
            try:
                info = directory.stat()
            except OSError as exc:
                self.errors.append(f"{self._display(directory)}: cannot read directory: {exc.strerror or exc}")
                continue
            key = (info.st_dev, info.st_ino)
            if key in self.seen_dirs:
                continue
            self.seen_dirs.add(key)
            if self.respect_gitignore:
                gitignore = directory / ".gitignore"
                try:
                    with open(gitignore, encoding="utf-8", errors="replace") as fh:
                        ignores = [*ignores, (directory, _spec(fh.read().splitlines()))]
                except OSError:
                    pass
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                self.errors.append(f"{self._display(directory)}: cannot read directory: {exc.strerror or exc}")
                continue
            subdirs: list[Path] = []
            for entry in entries:
                path = Path(entry.path)
                try:
                    is_dir = entry.is_dir()  # follows symlinks
                    is_file = not is_dir and entry.is_file()
                except OSError:
                    continue
                if not is_dir and not (is_file and entry.name.endswith(PY_SUFFIXES)):
                    continue
                if self._excluded(path, is_dir, top, top_excluded) or self._gitignored(path, is_dir, ignores):
                    continue
                if is_dir:
                    subdirs.append(path)
                else:
                    self.add_file(path)
            for sub in reversed(subdirs):
                stack.append((sub, ignores))

    def excluded_file(self, path: Path) -> bool:
        """`force_exclude`: whether a file named explicitly sits in an excluded place (by name
        anywhere in its path below the root, or by an exclude pattern on it or a parent)."""
        rel = self._relative_to_root(path)
        if rel is None:
            return False
        parts = rel.split("/")
        if any(part in self.excluded_names for part in parts):
            return True
        prefixes = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]
        return any(self.exclude_spec.match_file(p) for p in (*prefixes, rel))

    @staticmethod
    def _gitignored(path: Path, is_dir: bool, ignores: list[tuple[Path, pathspec.PathSpec]]) -> bool:
        for base, spec in ignores:
            rel = path.relative_to(base).as_posix()
            if spec.match_file(rel + "/" if is_dir else rel):
                return True
        return False


def discover(
    paths: Sequence[str], root: str, cwd: str, excludes: Sequence[str], respect_gitignore: bool = True, *, force_exclude: bool = False
) -> Discovery:
    walker = _Walker(Path(os.path.abspath(root)), Path(os.path.abspath(cwd)), excludes, respect_gitignore)
    for given in paths:
        path = Path(cwd) / given  # relative paths are relative to `cwd`
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            walker.errors.append(f"{given}: {exc.strerror or 'cannot read'}")
            continue
        if stat.S_ISDIR(mode):
            walker.walk(Path(os.path.abspath(path)))
        elif force_exclude and walker.excluded_file(Path(os.path.abspath(path))):
            continue
        else:
            walker.add_file(path)  # named explicitly: always linted
    walker.jobs.sort(key=lambda j: j.display_path)
    return Discovery(walker.jobs, walker.errors)


def file_job(path: str, root: str, cwd: str) -> FileJob:
    """The job for one file, named as a run would name it (its module name from its package
    chain on disk); the file need not exist (source linted from memory)."""
    walker = _Walker(Path(os.path.abspath(root)), Path(os.path.abspath(cwd)), (), False)
    walker.add_file(Path(cwd) / path)
    return walker.jobs[0]
