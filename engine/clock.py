"""The engine's notion of "now".

Two modes. The real clock is the wall clock. The manual clock (tests, outside checks, the year simulation) is a
time stored in the database that only `timers tick --now` moves, so every process sees the same instant.
SpiffWorkflow reads `datetime.now` itself when it computes and checks timers; `install()` points that at us.
Each engine call pins one instant (`pinned`) so that everything it does sees the same time.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .db import db
from .errors import EngineError
from .models import EngineSetting

_pinned: ContextVar[datetime | None] = ContextVar("gia_clock_pinned", default=None)
# Inside one engine transaction (`one_instant`): the first now() read, reused by the later calls.
_instant: ContextVar[list | None] = ContextVar("gia_clock_instant", default=None)
MODE_KEY, NOW_KEY = "clock.mode", "clock.now"


def per_transaction(name: str) -> dict:
    """A dict that lives as long as the session's current database transaction: what a request or an engine call
    reads once and asks for many times (the clock setting here, the memberships in engine.access). A commit or a
    rollback starts a new transaction, and with it an empty dict, so nothing outlives what the database saw."""
    session = db.session()  # the Session itself: the scoped proxy does not offer get_transaction
    held = session.info.get(name)
    current = session.get_transaction()
    if held is not None and current is not None and held[0] is current:
        return held[1]
    if current is None:
        session.connection()  # begin now, so that what is read next is kept under this transaction
        current = session.get_transaction()
    held = (current, {})
    session.info[name] = held
    return held[1]


_SETTINGS = "gia_clock_settings"  # session.info: the clock's stored setting, read once per transaction
_SETTINGS_QUERY = select(EngineSetting.key, EngineSetting.value).where(EngineSetting.key.in_((MODE_KEY, NOW_KEY)))


def _setting(key: str) -> str | None:
    """The mode and the manual time are read together, once per transaction: now() asks at every step, and in
    real mode (no row) the session's identity map cannot answer for a missing row."""
    cache = per_transaction(_SETTINGS)
    if "read" not in cache:
        cache.update(db.session.execute(_SETTINGS_QUERY).all(), read=True)
    return cache.get(key)


def with_setting(query):
    """`query` with the clock's stored setting as two more columns, so that the statement a request runs first
    (loading the signed-in user) reads it too; hand them to `remember_setting`."""
    return query.add_columns(*(select(EngineSetting.value).where(EngineSetting.key == key).scalar_subquery()
                               for key in (MODE_KEY, NOW_KEY)))


def remember_setting(mode: str | None, at: str | None) -> None:
    """The setting a `with_setting` query read, kept for the rest of this transaction."""
    cache = per_transaction(_SETTINGS)
    cache.clear()
    cache.update({key: value for key, value in ((MODE_KEY, mode), (NOW_KEY, at)) if value is not None}, read=True)


def _put(key: str, value: str) -> None:
    instant = _instant.get()
    if instant:
        instant.clear()  # the clock moves: read it again
    db.session.info.pop(_SETTINGS, None)
    row = db.session.get(EngineSetting, key)
    if row is None:
        db.session.add(EngineSetting(key=key, value=value))
    else:
        row.value = value


def is_manual() -> bool:
    return (_setting(MODE_KEY) or current_app.config["GIA_CLOCK"]) == "manual"


def now() -> datetime:
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    instant = _instant.get()
    if instant is None:
        return _read()
    if not instant:
        instant.append(_read())
    return instant[0]


def _read() -> datetime:
    if is_manual():
        stored = _setting(NOW_KEY)
        if stored:
            return datetime.fromisoformat(stored)
    return datetime.now(timezone.utc)


@contextmanager
def one_instant():
    """Within the block, every now() returns the instant the first one read: one engine transaction sees one
    time, and the clock setting is read once instead of at every task step (each read is a query)."""
    token = _instant.set([])
    try:
        yield
    finally:
        _instant.reset(token)


@contextmanager
def pinned(at: datetime | None = None):
    token = _pinned.set(at or now())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(token)


def set_mode(mode: str, at: datetime | None = None) -> None:
    """Switch between "real" and "manual"; a manual clock starts at `at` or at the current time."""
    if mode not in ("real", "manual"):
        raise EngineError(_l("Unknown clock mode %(mode)s"), mode=mode)
    current = now()
    _put(MODE_KEY, mode)
    if mode == "manual":
        _put(NOW_KEY, aware(at or current).isoformat())


def advance_to(at: datetime) -> datetime:
    """Move the manual clock forward to `at`. Time never runs backwards for the engine."""
    at = aware(at)
    if at < now():
        raise EngineError(_l("The clock cannot go back: it is %(now)s, asked for %(at)s"),
                          now=now().isoformat(), at=at.isoformat())
    _put(NOW_KEY, at.isoformat())
    return at


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["GIA_TIMEZONE"])


def ru_date(value) -> str:
    """A day as it is written here, dd.mm.yyyy, for every page and message: a datetime in the department's zone,
    a date as it is, ISO text by its first ten characters (its own day, not moved to another zone). Text that is
    no date stays as it is; nothing is ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(local_zone())
    elif not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    return value.strftime("%d.%m.%Y")


def aware(value: datetime) -> datetime:
    """Read a naive datetime in the department's zone; return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(timezone.utc)


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the department's zone (as UTC): where a day given by a person begins."""
    return aware(datetime.combine(day, time()))


class _EngineDatetime(datetime):
    """What SpiffWorkflow's timer module sees as `datetime`: identical, except that now() asks our clock."""

    @classmethod
    def now(cls, tz=None):
        value = now()
        return value.astimezone(tz) if tz else value.astimezone(local_zone()).replace(tzinfo=None)


def install(zone_name: str) -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions import timer
    timer.datetime = _EngineDatetime
    # A timeDate written without an offset means the department's local time, not the server's.
    timer.LOCALTZ = ZoneInfo(zone_name)
