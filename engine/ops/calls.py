"""The engine's verbs counted and timed per verb, in this process: what /metrics exports as
gia_engine_calls_total and gia_engine_call_duration_seconds.

Pure Python by default (no prometheus_client here): every `flask gia …` command calls verbs through the engine's
face, and it should not import a metrics library it never exports. Each process keeps its own numbers (a gunicorn
worker, a Celery worker, a command; the operators' page shows its own process's). When PROMETHEUS_MULTIPROC_DIR is
set (`make run`, the systemd units), each call is also written to that directory through prometheus_client's
multiprocess files, so that /metrics adds the calls of every gunicorn worker and of the Celery workers beside it
(engine.ops.metrics.multiprocess_dir).
"""
import functools
import os
import threading
import time

from ..errors import EngineError

# Seconds; a step is milliseconds, a timer sweep of a batch or a deploy can take seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Durations:
    """Per (verb, outcome): how many calls fell in each bucket (not cumulative), their total seconds and count."""

    def __init__(self, buckets=BUCKETS):
        self.buckets = buckets
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str], list] = {}

    def observe(self, verb: str, outcome: str, seconds: float) -> None:
        slot = next((i for i, bound in enumerate(self.buckets) if seconds <= bound), len(self.buckets))
        with self._lock:
            series = self._series.setdefault((verb, outcome), [[0] * (len(self.buckets) + 1), 0.0, 0])
            series[0][slot] += 1
            series[1] += seconds
            series[2] += 1

    def series(self) -> dict[tuple[str, str], tuple[list[int], float, int]]:
        """A copy: {(verb, outcome): (counts per bucket and one for +Inf, sum of seconds, count)}."""
        with self._lock:
            return {key: (list(counts), total, count) for key, (counts, total, count) in self._series.items()}


ENGINE_CALLS = Durations()


class _Shared:
    """The same calls as prometheus_client's Counter and Histogram, which write them to the multiprocess directory.
    Made only when that directory is set: prometheus_client chooses between memory and files when imported, from
    the environment this process started with."""

    def __init__(self):
        from prometheus_client import Counter, Histogram
        self.calls = Counter("gia_engine_calls", "Engine verb calls, by outcome (ok, refused: an engine error "
                             "answered, error: it failed)", ["verb", "outcome"], registry=None)
        self.durations = Histogram("gia_engine_call_duration_seconds", "Duration of the engine's verb calls",
                                   ["verb", "outcome"], buckets=BUCKETS, registry=None)

    def observe(self, verb: str, outcome: str, seconds: float) -> None:
        self.calls.labels(verb, outcome).inc()
        self.durations.labels(verb, outcome).observe(seconds)


SHARED = _Shared() if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else None


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    # A refusal (not found, not allowed, a conflict, invalid data) is the engine answering, not failing.
    return "refused" if isinstance(exc, EngineError) else "error"


def timed(verb: str):
    """Decorator: count and time each call of `func` as `verb`, whether it returns, is refused or fails."""
    def decorate(func):
        @functools.wraps(func)
        def call(*args, **kwargs):
            started, failure = time.perf_counter(), None
            try:
                return func(*args, **kwargs)
            except BaseException as exc:
                failure = exc
                raise
            finally:
                seconds, outcome = time.perf_counter() - started, _outcome(failure)
                ENGINE_CALLS.observe(verb, outcome, seconds)
                if SHARED is not None:
                    SHARED.observe(verb, outcome, seconds)
        call.__wrapped_verb__ = verb
        return call
    return decorate
