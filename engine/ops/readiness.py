"""Whether this installation can do its work (/readyz, the operators' page): the database answers, its schema is
the code's (Alembic's head), the broker answers within a short timeout, the timer sweep ran recently (beat queued
it and a worker took it) and no due timer waits longer than the threshold.

Each check says only ok or not with numbers and revision ids: never a URL, a host name or an exception's text,
which could carry a password or the database's address (the answer is public).
"""
import functools
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from .. import clock
from ..db import db
from .gauges import due_timers
from .ticks import TICK_KEY, age_seconds, marks, wall_now

CHECK_TITLES = {
    "database": _l("The database answers"),
    "migrations": _l("The database schema is the code's (migrations applied)"),
    "broker": _l("The task queue broker answers"),
    "beat": _l("Timer sweeps run (Celery beat and a worker)"),
    "timers": _l("Timers fire on time"),
}


@dataclass
class Check:
    name: str  # a key of CHECK_TITLES
    ok: bool
    detail: dict = field(default_factory=dict)  # numbers and ids only

    @property
    def title(self) -> str:
        return str(CHECK_TITLES[self.name])

    def as_dict(self) -> dict:
        return {"ok": self.ok, "title": self.title, **self.detail}


def readiness(migrations_dir: str | None, broker: bool = True) -> list[Check]:
    """The checks in order. Those that read the database are failed, not run, when it does not answer."""
    config = current_app.config
    checks = [_database()]
    reads = (("migrations", lambda: _migrations(migrations_dir)),
             ("beat", lambda: _beat(age_seconds(marks()[TICK_KEY], wall_now()), config)),
             ("timers", lambda: _timers(config)))
    for name, check in reads:
        checks.append(_read(name, check) if checks[0].ok else Check(name, False, {"reason": "database unavailable"}))
    if broker:
        checks.append(_broker(config["CELERY_BROKER_URL"], config.get("READY_BROKER_TIMEOUT_SECONDS", 2.0)))
    return checks


def _read(name, check) -> Check:
    """One check's reading in a transaction of its own; a table missing (a schema never migrated) fails it."""
    try:
        return check()
    except Exception:  # noqa: BLE001 - the driver's text names tables and perhaps the server: not repeated
        return Check(name, False, {"reason": "unreadable"})
    finally:
        db.session.rollback()


def _database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
        return Check("database", True)
    except Exception:  # noqa: BLE001 - whatever the driver says may name the server: not repeated here
        db.session.rollback()
        return Check("database", False, {"reason": "unreachable"})


def _migrations(migrations_dir) -> Check:
    try:
        applied = sorted(r[0] for r in db.session.execute(text("SELECT version_num FROM alembic_version")))
    except Exception:  # noqa: BLE001 - no alembic_version table: the schema was never migrated
        db.session.rollback()
        applied = []
    heads = sorted(_heads(str(migrations_dir))) if migrations_dir else []
    return Check("migrations", bool(heads) and applied == heads, {"database": applied, "code": heads})


@functools.lru_cache(maxsize=4)
def _heads(migrations_dir: str) -> tuple[str, ...]:
    # The code's head cannot change while the process runs: read the revision files once.
    from alembic.script import ScriptDirectory
    return tuple(ScriptDirectory(migrations_dir).get_heads())


def _beat(age, config) -> Check:
    limit = float(config.get("READY_BEAT_MAX_AGE_SECONDS", 300))
    detail = {"age_seconds": None if age is None else round(age, 1), "limit_seconds": limit}
    return Check("beat", age is not None and age <= limit, detail)


def _timers(config) -> Check:
    due, lag = due_timers(clock.now())
    limit = float(config.get("READY_TIMER_LAG_SECONDS", 600))
    return Check("timers", lag <= limit, {"due": due, "lag_seconds": round(lag, 1), "limit_seconds": limit})


def _broker(url: str, timeout: float) -> Check:
    from kombu import Connection
    try:
        with Connection(url, connect_timeout=timeout, transport_options={"max_retries": 0}) as connection:
            # One quick try: kombu would otherwise keep reconnecting for seconds while the prober waits.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            connection.default_channel  # noqa: B018 - Redis is asked (PING) when the first channel opens
        return Check("broker", True)
    except Exception:  # noqa: BLE001 - the error text carries the broker's URL
        return Check("broker", False, {"reason": "unreachable"})
