"""The engine's part of /metrics as Prometheus collectors (prometheus_client), asked at each scrape.

`StateCollector` reads the database when scraped (gauges.snapshot): being a read of shared state, it is the same
whichever gunicorn worker answers. Counters kept in a process (engine calls here, requests and failed sign-ins in
webui) are that process's own; a scrape is answered by one gunicorn worker, so they are exported in one of two ways:
- `multiprocess_dir()` set (PROMETHEUS_MULTIPROC_DIR: `make run`, the systemd units): every process of the machine
  (gunicorn's workers, the Celery workers, beat) writes its counters to files there (prometheus_client's
  multiprocess mode; calls.SHARED for the engine's verbs), and a scrape adds them all up, whichever worker answers;
- otherwise (the tests, `flask run`: one process): `EngineCallsCollector` exports this process's
  calls.ENGINE_CALLS, and webui's counters live in its memory.
"""
import math
import os

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from .calls import ENGINE_CALLS
from .gauges import snapshot


def multiprocess_dir() -> str | None:
    """The directory of prometheus_client's multiprocess files, when the processes share their counters."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class EngineCallsCollector:
    def collect(self):
        calls = CounterMetricFamily("gia_engine_calls", "Engine verb calls made by this process, by outcome "
                                    "(ok, refused: an engine error answered, error: it failed)",
                                    labels=["verb", "outcome"])
        durations = HistogramMetricFamily("gia_engine_call_duration_seconds",
                                          "Duration of the engine's verb calls in this process",
                                          labels=["verb", "outcome"])
        for (verb, outcome), (counts, total, count) in sorted(ENGINE_CALLS.series().items()):
            calls.add_metric([verb, outcome], count)
            cumulative, buckets = 0, []
            for bound, n in zip([*map(str, ENGINE_CALLS.buckets), "+Inf"], counts):
                cumulative += n
                buckets.append((bound, cumulative))
            durations.add_metric([verb, outcome], buckets, total)
        yield calls
        yield durations


def _age(value):
    # A mark never written (no tick, no backup yet) is infinitely old: an alert on its age fires.
    return math.inf if value is None else value


class StateCollector:
    """The database's (and broker's) state, read at each scrape inside the application context."""

    def collect(self):
        state = snapshot()
        yield _by("gia_tasks_open", "Open (ready) human tasks by role", "role", state.tasks_open)
        yield _by("gia_tasks_overdue", "Open human tasks past their due time by role", "role", state.tasks_overdue)
        yield _by("gia_instances", "Process instances by status (stalled: nothing ready, awaited or finished)",
                  "status", state.instances)
        yield _one("gia_timers_due", "Active instances whose next timer is due now", state.timers_due)
        yield _one("gia_timer_lag_seconds", "How late the oldest due timer is (0 when none is due)",
                   state.timer_lag_seconds)
        outbox = [("pending", "gia_outbox_pending", "Outbox rows waiting to be delivered or sent"),
                  ("given_up", "gia_outbox_given_up", "Outbox rows given up after their attempts"),
                  ("oldest_seconds", "gia_outbox_oldest_age_seconds", "Age of the oldest waiting outbox row")]
        for key, name, text in outbox:
            yield _by(name, text + " (message: between instances; email)", "outbox",
                      {kind: values[key] for kind, values in state.outbox.items()})
        yield _one("gia_mail_enabled", "1 when SMTP_HOST is set (e-mail is sent), else 0", int(state.mail_enabled))
        if state.queues is not None:
            yield _by("gia_celery_queue_depth", "Messages waiting in each Celery queue (Redis or the embedded broker)", "queue",
                      state.queues)
        yield _one("gia_beat_last_tick_age_seconds", "Seconds since a worker last ran the timer sweep beat queues "
                   "(+Inf: never)", _age(state.beat_tick_age_seconds))
        yield _one("gia_last_backup_age_seconds", "Seconds since the last successful backup (+Inf: none recorded)",
                   _age(state.backup_age_seconds))
        yield _one("gia_login_failures_last_hour", "Failed sign-ins recorded in the last hour (all processes)",
                   state.failed_logins_last_hour)


def _one(name, documentation, value):
    return GaugeMetricFamily(name, documentation, value=value)


def _by(name, documentation, label, values: dict):
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family
