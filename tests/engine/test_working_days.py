"""Working days by the Russian production calendar (issue 15 §1): a deadline "within N working days" skips holidays,
transferred days off and the decree non-working days, and counts a Saturday made a working day. The calendar's
facts are checked against the published ones; a supervisor's change reaches later computations only."""
from calendar import monthrange
from datetime import date

import pytest
from sqlalchemy import delete, event, func, select

import engine
from engine import store
from engine.db import db
from engine.errors import InvalidData, NotFound
from engine.models import AuditEvent, EngineSetting, ProductionCalendarDay
from engine.plan import working_days
from engine.sandbox.helpers import add_working_days
from tests.conftest import BACKENDS, linear, own_database

# Working days per month, 5-day 40-hour week, as published (КонсультантПлюс «Производственный календарь на 20xx
# год», the same figures as Минтруд's): 2020 per постановление Правительства РФ от 10.07.2019 № 875 (248 days,
# 1979 hours); 2021 per постановление от 10.10.2020 № 1648 (247 days, 1972 hours); 2022 per постановление от
# 15.06.2021 № 1004 (247 days, 1973 hours). The published calendars do not count the decree non-working days.
PUBLISHED = {
    2020: (17, 19, 21, 22, 17, 21, 23, 21, 22, 22, 20, 23),
    2021: (15, 19, 22, 22, 19, 21, 22, 22, 22, 21, 20, 22),
    2022: (16, 19, 22, 21, 18, 21, 21, 23, 22, 21, 21, 22),
}
PUBLISHED_TOTALS = {2020: 248, 2021: 247, 2022: 247}
# Weekdays made non-working by the President's decrees (Указы № 206 and № 239 of 2020: 30.03–30.04.2020; № 294:
# 6–8.05.2020; № 345: 24.06.2020; № 354: 01.07.2020; № 242 of 23.04.2021: 4–7.05.2021; № 595 of 20.10.2021:
# 30.10–07.11.2021, of which 1–3 November are weekdays), per (year, month).
DECREE_WEEKDAYS = {(2020, 3): 2, (2020, 4): 22, (2020, 5): 3, (2020, 6): 1, (2020, 7): 1,
                   (2021, 5): 4, (2021, 11): 3}


def _working_days_in(year: int, month: int) -> int:
    special = working_days.special_days()
    return sum(working_days.is_working_day(date(year, month, d), special)
               for d in range(1, monthrange(year, month)[1] + 1))


def test_two_working_days_after_friday_19_february_2021_is_wednesday_24_as_saturday_20_was_a_working_day(app):
    # Постановление № 1648: Saturday 20 February 2021 worked, its day off moved to Monday 22 February; 23 February
    # is the holiday. So Saturday is the first working day and Wednesday the second.
    assert add_working_days("2021-02-19", 1) == "2021-02-20"
    assert add_working_days("2021-02-19", 2) == "2021-02-24"
    assert add_working_days("2021-02-19T17:30:00+03:00", 2) == "2021-02-24"


@pytest.mark.parametrize("start, days, due", [
    ("2021-03-05", 1, "2021-03-09"),   # 8 March 2021, a Monday
    ("2021-04-30", 1, "2021-05-11"),   # 1–10 May 2021: 3 and 10 May transferred, 4–7 May by decree № 242
    ("2021-04-29", 2, "2021-05-11"),
    ("2021-06-11", 1, "2021-06-15"),   # 12 June 2021 a Saturday: Monday 14 June off
    ("2020-12-31", 1, "2021-01-11"),   # New Year 2021: 1–10 January
    ("2021-12-30", 1, "2022-01-10"),   # 31 December 2021 off (transfer from 3 January), New Year 2022: 1–9 January
    ("2021-10-29", 1, "2021-11-08"),   # 1–3 November by decree № 595, 4 November, 5 November (from 2 January)
    ("2021-11-03", 1, "2021-11-08"),
    ("2022-03-04", 1, "2022-03-05"),   # Saturday 5 March 2022 worked; 7 and 8 March off
    ("2022-03-05", 1, "2022-03-09"),
    ("2021-03-15", 4, "2021-03-19"),   # an ordinary week
])
def test_deadlines_across_the_holidays_of_2021_and_2022(app, start, days, due):
    assert add_working_days(start, days) == due


@pytest.mark.parametrize("start, days, due", [
    ("2021-02-24", -2, "2021-02-19"),  # back over 23, 22, 21 February, the working Saturday 20 is one
    ("2021-05-11", -1, "2021-04-30"),
    ("2022-01-10", -1, "2021-12-30"),
    ("2021-06-15", -2, "2021-06-10"),
    ("2021-05-05", 0, "2021-05-05"),   # no days to count: the day itself, even a day off
])
def test_negative_and_zero_counts_go_back_by_the_same_calendar(app, start, days, due):
    assert add_working_days(start, days) == due


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_each_month_has_the_published_number_of_working_days_less_the_decree_days(app, year):
    assert sum(PUBLISHED[year]) == PUBLISHED_TOTALS[year]
    counted = tuple(_working_days_in(year, m) for m in range(1, 13))
    expected = tuple(PUBLISHED[year][m - 1] - DECREE_WEEKDAYS.get((year, m), 0) for m in range(1, 13))
    assert counted == expected
    decree_days = sum(n for (y, _), n in DECREE_WEEKDAYS.items() if y == year)
    assert sum(counted) == PUBLISHED_TOTALS[year] - decree_days  # 2020: 219, 2021: 240, 2022: 247


def test_the_data_file_lists_weekdays_off_and_weekend_working_days_only(app):
    days = working_days.file_days()
    assert all(d.day.weekday() < 5 for d in days.values() if not d.working)
    assert {d.day for d in days.values() if d.working} == {date(2021, 2, 20), date(2022, 3, 5)}
    assert days[date(2021, 12, 31)].note.startswith("Выходной: перенос с воскресенья 3 января")
    assert "№ 242" in days[date(2021, 5, 4)].note and "№ 595" in days[date(2021, 11, 1)].note


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_seeds_the_calendar_from_the_data_file_and_goes_down_cleanly(backend, tmp_path):
    from flask_migrate import downgrade, upgrade
    with own_database(backend, tmp_path):
        rows = db.session.execute(select(ProductionCalendarDay.day, ProductionCalendarDay.working)).all()
        assert dict(rows) == {d: s.working for d, s in working_days.file_days().items()}
        assert db.session.get(EngineSetting, working_days.SEEDED) is not None
        db.session.remove()
        downgrade(revision="0017")
        assert db.session.get(EngineSetting, working_days.SEEDED) is None
        db.session.remove()
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(ProductionCalendarDay)) == len(
            working_days.file_days())


def test_a_fresh_database_counts_by_the_file_and_one_emptied_by_the_supervisor_by_the_week(app):
    db.session.execute(delete(ProductionCalendarDay))
    db.session.execute(delete(EngineSetting).where(EngineSetting.key == working_days.SEEDED))
    db.session.commit()
    assert add_working_days("2021-02-19", 2) == "2021-02-24"  # never seeded: the file's days
    for day in [d.day for d in working_days.special_days_between(date(2020, 1, 1), date(2022, 12, 31))]:
        working_days.remove_special_day(day, actor="iao")  # the first edit seeds the table, then empties it
    assert db.session.scalar(select(func.count()).select_from(ProductionCalendarDay)) == 0
    assert add_working_days("2021-02-19", 2) == "2021-02-23"  # Monday to Friday only, as the supervisor left it


def test_a_supervisors_change_moves_later_deadlines_and_leaves_computed_ones_as_they_were(app, deploy_xml):
    deploy_xml(linear('<bpmn:scriptTask id="n1"><bpmn:script>due = add_working_days(opened_on, 2)</bpmn:script>'
                      '</bpmn:scriptTask>', '<bpmn:userTask id="n2"/>'))
    before = engine.start("p", {"opened_on": "2021-03-11"}, actor="iao").instance_id
    assert engine.detail(before)["data"]["due"] == "2021-03-15"
    working_days.set_special_day(date(2021, 3, 12), False, "Нерабочий день по указу Главы РД", actor="iao")
    after = engine.start("p", {"opened_on": "2021-03-11"}, actor="iao").instance_id
    assert engine.detail(after)["data"]["due"] == "2021-03-16"
    assert engine.detail(before)["data"]["due"] == "2021-03-15"
    event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "production_calendar")).one()
    assert event_.actor == "iao" and event_.summary["day"] == "2021-03-12" and event_.summary["working"] is False
    # Changed again (a working day after all: the entry is replaced by removing it), then counted as before.
    working_days.remove_special_day(date(2021, 3, 12), actor="iao")
    assert add_working_days("2021-03-11", 2) == "2021-03-15"


def test_an_entry_that_repeats_the_week_or_names_no_day_is_refused(app):
    with pytest.raises(InvalidData) as info:
        working_days.set_special_day(date(2021, 3, 13), False, actor="iao")  # a Saturday
    assert "13.03.2021" in info.value.field_errors["day"][0]
    with pytest.raises(InvalidData):
        working_days.set_special_day(date(2021, 3, 10), True, actor="iao")  # a Wednesday
    with pytest.raises(NotFound):
        working_days.remove_special_day(date(2021, 3, 10), actor="iao")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "production_calendar")) == 0


def test_counting_in_a_loop_reads_the_calendar_once_per_transaction(app):
    statements = []

    def seen(conn, cursor, statement, *args):
        if "production_calendar_day" in statement:
            statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with store.transaction():
            dues = {add_working_days(f"2021-{m:02d}-01", n) for m in range(1, 13) for n in range(-15, 16)}
        assert len(dues) > 100 and len(statements) == 1
        with store.transaction():
            add_working_days("2021-02-19", 2)
        assert len(statements) == 2  # the next transaction reads again: a supervisor's change is seen
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
