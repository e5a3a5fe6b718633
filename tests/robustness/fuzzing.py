"""What the fuzz and property tests share: one hypothesis profile (no example database,
hypothesis's caches outside the repository), the example budget, and a time bound per example.

Import this module before `hypothesmith`: it sets hypothesis's home folder, which hypothesmith
uses as soon as it builds its strategies (it caches unicode tables there)."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "fastlint-hypothesis"))
settings.register_profile(
    "fastlint-robustness",
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("fastlint-robustness")


def examples(ci_default: int) -> int:
    """The number of examples per test: `ci_default` in CI, `FASTLINT_FUZZ_EXAMPLES` in a long run."""
    return int(os.environ.get("FASTLINT_FUZZ_EXAMPLES", str(ci_default)))


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that no `except Exception` in fastlint eats it."""


@contextmanager
def time_bound(seconds: float, what: str = "") -> Iterator[None]:
    """Fail a call that takes more than `seconds` of CPU; interrupt one that hangs (at 6x, wall time)."""
    suffix = f": {what}" if what else ""

    def alarm(signum, frame):  # type: ignore[no-untyped-def]
        raise Hang(f"no result after {seconds * 6:.0f} s{suffix}")

    armed = threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds * 6)
    # CPU time of this process (every thread: the parse runs on one of its own), not wall time:
    # a loaded machine (a test suite running beside) must not fail an example
    started = time.process_time()
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.process_time() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s (bound: {seconds} s){suffix}"
