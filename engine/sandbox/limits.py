"""A CPU-time budget for diagram code that works in any thread (Flask serves requests in threads, so SIGALRM,
which only the main thread can use, is not an option).

A trace function is installed only while diagram code runs and only follows frames compiled from diagram code;
once the budget is spent it raises on every traced line, so a script that catches the exception still stops.
"""
import sys
import time
from contextlib import contextmanager

from .compiler import FILENAME


class ScriptTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    deadline = time.perf_counter() + seconds

    def local_trace(frame, event, arg):
        if event == "line" and time.perf_counter() > deadline:
            raise ScriptTimeout(f"the script ran longer than {seconds:g} s and was stopped")
        return local_trace

    def global_trace(frame, event, arg):
        if frame.f_code.co_filename == FILENAME:
            return local_trace
        return None

    previous = sys.gettrace()
    sys.settrace(global_trace)
    try:
        yield
    finally:
        sys.settrace(previous)


def bounded_range(*args):
    """`range` for diagram code: the same, but refuses sizes that would tie up a worker."""
    values = range(*args)
    if len(values) > 1_000_000:
        raise ValueError("range() is limited to 1,000,000 items in process scripts")
    return values
