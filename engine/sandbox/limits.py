"""A CPU-time budget for diagram code that works in any thread (Flask serves requests in threads, so SIGALRM,
which only the main thread can use, is not an option).

A trace function is installed only while diagram code runs and only follows frames compiled from diagram code;
once the budget is spent it raises ScriptTimeout. CPython removes a trace function that raises, so it fires only
once; a script that catches the exception (`except Exception: pass` in an endless loop) would then run on untraced.
The compiler therefore starts every `except` and `finally` block of diagram code with `check_deadline()`, which
raises again once the time is up: the timeout cannot be swallowed.
"""
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar

from .compiler import FILENAME


class ScriptTimeout(Exception):
    pass


_deadline: ContextVar[tuple[float, float] | None] = ContextVar("gia_script_deadline", default=None)


def _timeout(seconds: float) -> ScriptTimeout:
    return ScriptTimeout(f"the script ran longer than {seconds:g} s and was stopped")


def check_deadline() -> None:
    """Raise ScriptTimeout if the running diagram code is past its time limit (see the module's docstring)."""
    limit = _deadline.get()
    if limit is not None and time.perf_counter() > limit[0]:
        raise _timeout(limit[1])


@contextmanager
def time_limit(seconds: float):
    deadline = time.perf_counter() + seconds

    def local_trace(frame, event, arg):
        if event == "line" and time.perf_counter() > deadline:
            raise _timeout(seconds)
        return local_trace

    def global_trace(frame, event, arg):
        if frame.f_code.co_filename == FILENAME:
            return local_trace
        return None

    previous = sys.gettrace()
    token = _deadline.set((deadline, seconds))
    sys.settrace(global_trace)
    try:
        yield
    finally:
        sys.settrace(previous)
        _deadline.reset(token)


def bounded_range(*args):
    """`range` for diagram code: the same, but refuses sizes that would tie up a worker."""
    values = range(*args)
    if len(values) > 1_000_000:
        raise ValueError("range() is limited to 1,000,000 items in process scripts")
    return values
