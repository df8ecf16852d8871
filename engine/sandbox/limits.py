"""The time and memory budget of diagram code, the same in any process and any thread (Flask serves requests in
threads, so neither SIGALRM, which only the main thread can use, nor RLIMIT_AS, which caps the whole server, will
do).

Between lines. A trace function is installed only while diagram code runs and only follows frames compiled from
diagram code. At each line it checks the clock, and about every millisecond how far the process's resident memory
has grown since the code started (the process's memory: in a threaded server another request's counts too, so
the limit is set far above what a script needs); past either limit it raises ScriptTimeout or
ScriptMemoryExceeded. CPython removes a trace function that raises, so it fires only once; a script that catches
the exception (`except Exception: pass` in an endless loop) would then run on untraced. The compiler therefore
starts every `except` and `finally` block of diagram code with `check_limits()`, and a limit once exceeded stays
exceeded: the stop cannot be swallowed.

Within one operation. A single bytecode or built-in call (`'x' * 10**9`, `10**10**7`, `list(enumerate(s))`)
runs in C, where no trace function or signal reaches it. `guards.py` refuses such an operation before it starts
when its result would not fit in the memory budget, and feeds long iterations to C in chunks with a check between
them.

Not covered: comparing or hashing values built of exponentially shared references (`a = [a, a]` forty times over),
and set operations on integers crafted to collide in their hashes, are single C calls no guard sees; the
process-level caps (Celery's task time limit and RLIMIT_AS, gunicorn's worker timeout) remain the backstop there.
"""
import os
import resource
import sys
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .compiler import FILENAME

# How often the trace function reads the process's resident memory (a few microseconds each time).
MEMORY_CHECK_SECONDS = 0.001
# Values below this size are not worth a look at the process's memory before they are made.
SMALL_BYTES = 1 << 20
DEFAULT_MEMORY_BYTES = 256 << 20


class ScriptLimitExceeded(Exception):
    """Diagram code went past the time or memory limit. Each carries its limit, so that the engine can say so in
    the reader's language."""


class ScriptTimeout(ScriptLimitExceeded):
    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the script ran longer than {seconds:g} s and was stopped")


class ScriptMemoryExceeded(ScriptLimitExceeded):
    def __init__(self, megabytes: float, detail: str):
        self.megabytes, self.detail = megabytes, detail
        super().__init__(f"the script needed more than {megabytes:g} MB of memory and was stopped ({detail})")


@dataclass(slots=True)
class _Budget:
    seconds: float
    deadline: float
    memory_bytes: int
    baseline: int
    next_memory_check: float = 0.0
    stopped: tuple | None = None  # (exception class, args): raised again by every later check

    def stop(self, kind, *args):
        self.stopped = (kind, args)
        raise kind(*args)

    def check(self, now: float) -> None:
        if self.stopped is not None:
            kind, args = self.stopped
            raise kind(*args)
        if now > self.deadline:
            self.stop(ScriptTimeout, self.seconds)
        if now >= self.next_memory_check:
            self.next_memory_check = now + MEMORY_CHECK_SECONDS
            grown = resident_bytes() - self.baseline
            if grown > self.memory_bytes:
                self.stop(ScriptMemoryExceeded, _megabytes(self.memory_bytes),
                          f"the process grew by {_megabytes(grown):g} MB")

    def reserve(self, size: int, what: str) -> None:
        """Refuse to make a value of `size` bytes that would take the process past the memory budget."""
        if size > self.memory_bytes or (
                size > SMALL_BYTES and resident_bytes() - self.baseline + size > self.memory_bytes):
            self.stop(ScriptMemoryExceeded, _megabytes(self.memory_bytes),
                      f"{what} would need {_megabytes(size):g} MB")


_budget: ContextVar[_Budget | None] = ContextVar("gia_script_budget", default=None)


def _megabytes(size: int) -> float:
    return round(size / (1 << 20), 1)


def check_limits() -> None:
    """Raise if the running diagram code is past its time or memory limit (see the module's docstring)."""
    budget = _budget.get()
    if budget is not None:
        budget.check(time.perf_counter())


def reserve(size: int, what: str) -> None:
    """Refuse, before it is made, a value of `size` bytes that would not fit in the running code's budget."""
    budget = _budget.get()
    if budget is None:
        budget = _Budget(0.0, float("inf"), DEFAULT_MEMORY_BYTES, resident_bytes())
    budget.reserve(size, what)


def memory_bytes() -> int:
    budget = _budget.get()
    return budget.memory_bytes if budget is not None else DEFAULT_MEMORY_BYTES


@contextmanager
def script_limits(seconds: float, memory_bytes: int):
    """The budget of one expression or script, for the code run inside the block; `with traced(budget):` around
    the diagram code itself (guards check the budget on their own)."""
    now = time.perf_counter()
    budget = _Budget(seconds, now + seconds, memory_bytes, resident_bytes(), now + MEMORY_CHECK_SECONDS)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


@contextmanager
def traced(budget: _Budget):
    """Check `budget` at every line of diagram code run inside the block (and only there: a trace function costs
    every call it sees)."""
    clock, deadline = time.perf_counter, budget.deadline

    def local_trace(frame, event, arg):
        if event == "line":
            now = clock()
            if now > deadline or now >= budget.next_memory_check:
                budget.check(now)
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


# --- the process's resident memory ----------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_statm: list = [None, None]  # (pid, descriptor of /proc/self/statm): a forked child opens its own
_statm_lock = threading.Lock()


def resident_bytes() -> int:
    """The process's resident memory now (Linux), else its peak so far."""
    pid = os.getpid()
    if _statm[0] != pid:
        with _statm_lock:
            if _statm[0] != pid:
                try:
                    _statm[1] = os.open("/proc/self/statm", os.O_RDONLY)
                except OSError:
                    _statm[1] = None
                _statm[0] = pid
    if _statm[1] is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE


def bounded_range(*args):
    """`range` for diagram code: the same, but refuses sizes that would tie up a worker."""
    values = range(*args)
    if len(values) > 1_000_000:
        raise ValueError("range() is limited to 1,000,000 items in process scripts")
    return values
