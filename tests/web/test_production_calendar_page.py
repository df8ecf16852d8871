"""The production calendar on /plan/calendar: a supervisor sees the special days of the school year's calendar
years, marks a day off or a working day with a note, changes and removes it, and the next working-day count follows;
a school head is refused."""
import re
from datetime import date

from sqlalchemy import select

from engine.db import db
from engine.models import AuditEvent, ProductionCalendarDay
from engine.plan import catalogue as plan_catalogue
from engine.plan import running as plans
from engine.sandbox.helpers import add_working_days
from tests.conftest import set_manual_clock
from tests.web.conftest import csrf


def _open_plan():
    set_manual_clock("2020-10-01T09:30:00+03:00")
    return plans.open_plan(plan_catalogue.load_default(), actor="iao")


def _row(day):
    db.session.expire_all()
    return db.session.scalar(select(ProductionCalendarDay).where(ProductionCalendarDay.day == day))


def test_the_supervisor_sees_the_special_days_of_2020_and_2021_in_russian_dates(site):
    _open_plan()
    page = site("iao").get("/plan/calendar").get_data(as_text=True)
    assert "Производственный календарь на 2020–2021 годы" in page
    assert "уже рассчитанные сроки не меняются" in page
    assert "20.02.2021" in page and "Рабочая суббота" in page and "22.02.2021" in page and "31.12.2021" in page
    assert "Указ Президента РФ от 23.04.2021 № 242" in page
    assert re.search(r"20\.02\.2021</td>\s*<td>суббота</td>\s*<td>рабочий</td>", page)
    assert re.search(r"22\.02\.2021</td>\s*<td>понедельник</td>\s*<td>выходной</td>", page)
    assert "07.03.2022" not in page  # the 2021/22 plan's page lists 2022


def test_a_day_marked_off_moves_the_next_deadline_then_is_changed_and_removed(site):
    _open_plan()
    iao = site("iao")
    token = csrf(iao.get("/plan/calendar"))
    assert add_working_days("2021-03-11", 2) == "2021-03-15"
    saved = iao.post("/plan/calendar/days", data={"csrf_token": token, "day": "2021-03-12", "kind": "off",
                                                  "note": "Нерабочий день по указу Главы РД"}, follow_redirects=True)
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Сохранено: 12.03.2021 теперь выходной день." in body
    assert "12.03.2021" in body and "Нерабочий день по указу Главы РД" in body
    db.session.commit()  # the test's own transaction ends: the next count reads the calendar again
    assert add_working_days("2021-03-11", 2) == "2021-03-16"
    # Changed: the same date again replaces the entry.
    iao.post("/plan/calendar/days", data={"csrf_token": token, "day": "2021-03-12", "kind": "off",
                                          "note": "Перенос по указу Главы РД"})
    row = _row(date(2021, 3, 12))
    assert row.note == "Перенос по указу Главы РД" and row.changed_by == "iao" and row.working is False
    removed = iao.post("/plan/calendar/days/remove", data={"csrf_token": token, "day": "2021-03-12"},
                       follow_redirects=True)
    assert "Запись удалена: 12.03.2021" in removed.get_data(as_text=True)
    assert _row(date(2021, 3, 12)) is None
    db.session.commit()
    assert add_working_days("2021-03-11", 2) == "2021-03-15"
    actions = db.session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "production_calendar")).all()
    assert actions == ["iao", "iao", "iao"]


def test_an_entry_that_repeats_the_week_is_refused_keeping_the_input(site):
    _open_plan()
    iao = site("iao")
    token = csrf(iao.get("/plan/calendar"))
    refused = iao.post("/plan/calendar/days", data={"csrf_token": token, "day": "2021-03-13", "kind": "off",
                                                    "note": "суббота"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "13.03.2021 — выходной и без записи" in body
    assert 'value="2021-03-13"' in body and 'value="суббота"' in body
    assert _row(date(2021, 3, 13)) is None


def test_a_school_head_cannot_change_the_production_calendar(site):
    _open_plan()
    head = site("head12")
    token = csrf(head.get("/profile"))
    assert head.post("/plan/calendar/days", data={"csrf_token": token, "day": "2021-03-12", "kind": "off",
                                                  "note": "x"}).status_code == 403
    assert head.post("/plan/calendar/days/remove", data={"csrf_token": token, "day": "2021-02-20"}
                     ).status_code == 403
    assert _row(date(2021, 3, 12)) is None and _row(date(2021, 2, 20)).working is True
