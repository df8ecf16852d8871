"""ЕГЭ basic mathematics and past-year graduates (issue 15 §2): the ЕГЭ at the basic level only leads to the
certificate a past-year graduate already has, so ИАО's registration refuses that choice for a ВПЛ in any year,
with the reason on the task page; in 2021 it was not held at all, so the exam calendar has no day for it."""
import html
from datetime import date

from sqlalchemy import select

import engine
from engine.db import db
from engine.models import Plan, User
from engine.plan import catalogue, running as plans
from tests.conftest import set_manual_clock
from tests.engine.plan_patterns import only, refused
from tests.web.conftest import csrf

REASON = ("Выпускник прошлых лет не может выбрать ЕГЭ по математике базового уровня: он сдаётся только для "
          "получения аттестата. Выберите математику профильного уровня.")


def _application(**changes):
    data = {"full_name": "Алиева Мадина Руслановна", "category": "vpl", "graduation_year": "2019",
            "document_type": "passport", "document_series": "8212", "document_number": "345678",
            "subjects": ["ege_russian", "ege_math_base"], "received_on": "2021-01-20"}
    return {**data, **changes}


def _iao() -> User:
    return db.session.scalars(select(User).where(User.login == "iao")).one()


def _registration():
    set_manual_clock("2021-01-20T10:00:00+03:00")  # before 1 February: no reason or scan needed
    plans.open_plan(catalogue.load_default(), actor="admin")
    instance_id = engine.start("ege_late_application", {}, unit="guo", actor="iao").instance_id
    return instance_id, only(instance_id, "ela_register")


def test_a_past_year_graduate_choosing_basic_maths_is_refused_on_the_task_page(site):
    instance_id, task = _registration()
    iao = site("iao")
    token = csrf(iao.get(f"/tasks/{task.id}"))
    page = iao.post(f"/tasks/{task.id}", data={**_application(), "csrf_token": token})
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "Исправьте отмеченные поля" in text
    assert REASON in text
    assert "В расписании ЕГЭ нет даты" not in text  # one reason, the one that applies to a ВПЛ
    assert only(instance_id, "ela_register").state == "READY"

    page = iao.post(f"/tasks/{task.id}", data={**_application(subjects=["ege_russian", "ege_math_profile"]),
                                               "csrf_token": token})
    assert page.status_code == 302
    assert engine.detail(instance_id)["data"]["included"] is True


def test_basic_maths_is_refused_for_past_year_graduates_in_any_year(site):
    """Even with a day for it in the calendar (as in years when it is held), a ВПЛ may not choose it; a graduate
    of the current year may."""
    instance_id, task = _registration()
    plan = db.session.scalars(select(Plan)).one()
    plan.calendar = {**plan.calendar, "ege_math_base": {"title": "ЕГЭ: математика (базовый уровень)",
                                                        "date": "2021-06-07"}}
    db.session.commit()
    data = {**_application(), "graduation_year": 2019}
    error = refused(instance_id, engine.complete, task.id, _iao(), data)
    assert error.field_errors == {"subjects": [REASON]}

    current = {**data, "category": "current", "graduation_year": None}
    assert engine.complete(task.id, _iao(), {k: v for k, v in current.items() if v}).status == "completed"


def test_in_2021_basic_maths_has_no_exam_day_for_anyone(site):
    instance_id, task = _registration()
    current = {k: v for k, v in _application(category="current").items() if k != "graduation_year"}
    error = refused(instance_id, engine.complete, task.id, _iao(), current)
    assert error.field_errors == {"subjects": ["В расписании ЕГЭ нет даты экзамена «Математика (базовый уровень)»: "
                                               "проверить срок подачи заявления нельзя. Уточните расписание в "
                                               "календаре ГИА."]}
    assert date(2021, 6, 7).isoformat() == db.session.scalars(select(Plan)).one().calendar["ege_math_profile"]["date"]
