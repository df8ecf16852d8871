"""The production calendar (производственный календарь): the weekdays that are days off and the Saturdays or Sundays
made working days, as the Labour Code, the government's transfers and the President's decrees make them. Every
working-day computation (add_working_days in the diagrams) reads it; a day not listed follows the week.

Supervisors keep it on /plan/calendar (table production_calendar_day, seeded from processes/plan/
production-calendar.json). A computation reads the days once per database transaction (clock.per_transaction), so
a step that counts working days in a loop costs one query, and the next transaction sees a supervisor's change.
A change reaches only later computations: a deadline already computed stays as it was."""
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, store
from ..db import db
from ..errors import InvalidData, NotFound
from ..models import EngineSetting, ProductionCalendarDay

DATA_FILE = Path(__file__).resolve().parents[2] / "processes" / "plan" / "production-calendar.json"
SEEDED = "production_calendar_seeded"  # engine_setting: the table was filled once; the file is not read again
MAX_NOTE = 500
_IN_FORCE = "gia_production_calendar"  # clock.per_transaction: the days read in this transaction


@dataclass(frozen=True)
class SpecialDay:
    day: date
    working: bool
    note: str


@lru_cache(maxsize=4)
def file_days(path: Path = DATA_FILE) -> dict[date, SpecialDay]:
    """The data file's days: {"2021": {"days_off": {iso: note}, "working_days": {iso: note}}, ...}."""
    years = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    return {date.fromisoformat(iso): SpecialDay(date.fromisoformat(iso), working, note)
            for year in years.values()
            for working, days in ((False, year["days_off"]), (True, year["working_days"]))
            for iso, note in days.items()}


def special_days() -> dict[date, bool]:
    """{day: is it a working day} for the days that break the Monday–Friday rule, as this transaction sees them.
    The file stands in while the table was never seeded (a fresh database), so a unit test counts like production."""
    cache = clock.per_transaction(_IN_FORCE)
    if "days" not in cache:
        cache["days"] = {d.day: d.working for d in _current()}
    return cache["days"]


def is_working_day(day: date, special: dict[date, bool] | None = None) -> bool:
    special = special_days() if special is None else special
    return special.get(day, day.weekday() < 5)


def special_days_between(first: date, last: date) -> list[SpecialDay]:
    """The special days from `first` to `last` inclusive, in date order: what the supervisor's page lists."""
    return [d for d in _current() if first <= d.day <= last]


def set_special_day(day: date, working: bool, note: str = "", actor: str | None = None) -> SpecialDay:
    """Mark `day` a day off (working=False) or a working day, with a note saying why; an entry for that day is
    replaced. An entry that only repeats the week (a Saturday off, a Tuesday working) is refused (InvalidData):
    removing the entry says that. Deadlines computed before stay as they are; later computations follow."""
    note = (note or "").strip()
    if working == (day.weekday() < 5):
        shown = day.strftime("%d.%m.%Y")
        message = (_l("%(date)s is a working day anyway (Monday to Friday); to undo a day off, remove its entry.",
                      date=shown) if working else
                   _l("%(date)s is a day off anyway (Saturday or Sunday); to undo a working day, remove its entry.",
                      date=shown))
        raise InvalidData({"day": [str(message)]})
    if len(note) > MAX_NOTE:
        raise InvalidData({"note": [str(_l("The note may have at most 500 characters."))]})
    with store.transaction() as session:
        seed(session)
        row = session.scalar(select(ProductionCalendarDay).where(ProductionCalendarDay.day == day))
        before = {"working": row.working, "note": row.note} if row is not None else None
        now = clock.now()  # before the row joins the session: reading the clock may flush it
        if row is None:
            row = ProductionCalendarDay(day=day)
        row.working, row.note, row.changed_by, row.changed_at = working, note, actor, now
        session.add(row)
        audit.record("production_calendar", actor, summary={"day": day.isoformat(), "working": working,
                                                            "note": note, "before": before})
        session.flush()
        _forget(session)
    return SpecialDay(day, working, note)


def remove_special_day(day: date, actor: str | None = None) -> None:
    """Remove `day`'s entry: it follows the week again. No entry → NotFound."""
    with store.transaction() as session:
        seed(session)
        row = session.scalar(select(ProductionCalendarDay).where(ProductionCalendarDay.day == day))
        if row is None:
            raise NotFound(_l("The production calendar has no entry for %(date)s.", date=day.strftime("%d.%m.%Y")))
        audit.record("production_calendar", actor, summary={"day": day.isoformat(), "removed": True,
                                                            "before": {"working": row.working, "note": row.note}})
        session.delete(row)
        session.flush()
        _forget(session)


def seed(session) -> int:
    """Fill the table from the data file once (the migration does it on a migrated database; opening a plan and the
    first edit do it on one whose tables were emptied). Returns the number of days added."""
    if session.get(EngineSetting, SEEDED) is not None:
        return 0
    present = set(session.scalars(select(ProductionCalendarDay.day)))
    now = clock.now()
    fresh = [ProductionCalendarDay(day=d.day, working=d.working, note=d.note, changed_at=now)
             for d in file_days().values() if d.day not in present]
    session.add_all(fresh)
    session.add(EngineSetting(key=SEEDED, value="seed"))
    session.flush()
    _forget(session)
    return len(fresh)


def _current() -> list[SpecialDay]:
    # Read in the middle of a step: the step's pending rows are not flushed for it (what changes the days flushes).
    with db.session.no_autoflush:
        rows = db.session.execute(select(ProductionCalendarDay.day, ProductionCalendarDay.working,
                                         ProductionCalendarDay.note).order_by(ProductionCalendarDay.day)).all()
        seeded = bool(rows) or db.session.get(EngineSetting, SEEDED) is not None
    if seeded:
        return [SpecialDay(day, working, note) for day, working, note in rows]
    return sorted(file_days().values(), key=lambda d: d.day)


def _forget(session) -> None:
    """This transaction changed the days: what it read before must not answer for the rest of it."""
    clock.per_transaction(_IN_FORCE).clear()
