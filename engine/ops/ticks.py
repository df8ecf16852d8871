"""Marks the background work leaves in the `engine_setting` table, so that any process (a web worker answering
/readyz, a scrape of /metrics) sees them: the timer sweep's last run (`record_tick`) and the last successful
backup (`last_backup_at`, written by the backup command). Both are ISO times in UTC, wall-clock time: how long ago
a worker ran is an operational fact, not the engine's (possibly manual) time.
"""
import logging
import time
from datetime import datetime, timezone

from sqlalchemy import select

from .. import store
from ..db import db, is_postgres
from ..models import EngineSetting

log = logging.getLogger(__name__)

TICK_KEY = "beat_tick_at"  # the last timer sweep a worker ran (beat queues one every TIMER_SWEEP_SECONDS)
BACKUP_KEY = "last_backup_at"  # the last successful backup (written by the backup, issue 16 §1)
# A worker writes its tick at most this often: beat may ask for a sweep every second (tests), and the readiness
# threshold is minutes, so more writes would only add to the database's load.
_WRITE_EVERY_SECONDS = 15.0
_last_written = [float("-inf")]


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


def record_tick(force: bool = False) -> None:
    """Note that a timer sweep runs now (at most every _WRITE_EVERY_SECONDS per process unless `force`). Never
    fails the sweep: a database that refuses the write will show in the sweep itself."""
    if not force and time.monotonic() - _last_written[0] < _WRITE_EVERY_SECONDS:
        return
    try:
        with store.transaction():
            _upsert(TICK_KEY, wall_now().isoformat())
        _last_written[0] = time.monotonic()
    except Exception as exc:  # noqa: BLE001 - the tick is a mark for the operators, the sweep must go on
        log.warning("could not record the timer sweep's tick: %s", exc)


def _upsert(key: str, value: str) -> None:
    # Two workers writing the first tick at once would both insert: insert-or-update in one statement.
    if is_postgres():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(EngineSetting).values(key=key, value=value)
    db.session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def marks() -> dict[str, datetime | None]:
    """{TICK_KEY: when, BACKUP_KEY: when}, None for a mark never written (or unreadable). In the caller's
    transaction."""
    rows = dict(db.session.execute(select(EngineSetting.key, EngineSetting.value)
                                   .where(EngineSetting.key.in_((TICK_KEY, BACKUP_KEY)))).all())
    return {key: _parse(rows.get(key)) for key in (TICK_KEY, BACKUP_KEY)}


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def age_seconds(at: datetime | None, now: datetime | None = None) -> float | None:
    return None if at is None else max(0.0, ((now or wall_now()) - at).total_seconds())
