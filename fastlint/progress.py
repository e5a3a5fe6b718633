"""A progress bar on the terminal for runs that take a while (files done / total).

Shown only when stderr is a terminal (never in pipes or CI logs), and only once a run has gone
on for `DELAY` seconds: short runs print nothing. The line is erased when the run ends.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DELAY = 1.0
_WIDTH = 30


class Progress:
    def __init__(self, stream: TextIO | None = None, delay: float = DELAY, label: str = "linting") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.label = label
        self.total = 0
        self.done = 0
        self._started = 0.0
        self._shown = False
        self._last = 0.0

    @staticmethod
    def wanted(quiet: bool, stream: TextIO | None = None) -> bool:
        """A bar belongs on an interactive terminal only (not CI, not a pipe, not TERM=dumb)."""
        stream = stream if stream is not None else sys.stderr
        if quiet or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
            return False
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def start(self, total: int, done: int = 0) -> None:
        self.total = total
        self.done = done
        self._started = time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._started < self.delay or now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        filled = _WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} files")
        self.stream.flush()

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False
