"""How much memory a process took at its peak (Linux's VmHWM), for tests of the sandbox's memory limit."""
import os
from contextlib import contextmanager
from types import SimpleNamespace


def status_mb(field: str, pid="self") -> float:
    """A field of /proc/<pid>/status in MB (VmHWM: the peak resident memory; VmRSS: the resident memory now)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


@contextmanager
def peak_growth_mb():
    """How far this process's peak memory rose above its memory at the start of the block (`.mb` after it)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current resident memory
    except OSError:
        pass  # an older kernel: the peak so far stays, which only makes the measure less strict
    before = status_mb("VmRSS")
    result = SimpleNamespace(mb=0.0)
    yield result
    result.mb = status_mb("VmHWM") - before
