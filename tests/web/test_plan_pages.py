"""The plan pages for department staff: sections with each item's progress, one item's units, the Excel reports,
and the empty states; a school head is refused."""
import io
import random
from datetime import date

import openpyxl
from sqlalchemy import select

import engine
import forms
from engine.db import db
from engine.models import AuditEvent, HumanTask, PlanItem, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from engine.plan import running as plans
from forms.sample import sample_data
from tests.conftest import set_manual_clock


def _open_plan():
    set_manual_clock("2020-10-01T09:30:00+03:00")
    plan = plans.open_plan(plan_catalogue.load_default(), actor="iao")
    plans.start_due_items()
    return plan


def test_without_a_plan_the_page_says_how_to_open_one(site):
    page = site("iao").get("/plan/").get_data(as_text=True)
    assert "Программа ещё не открыта" in page


def test_department_staff_see_every_section_with_progress_and_the_sources_anomalies(site):
    _open_plan()
    page = site("iao").get("/plan/list").get_data(as_text=True)
    assert "3. Организация. Управление. Контроль." in page
    assert "Техническая проверка готовности ППЭ" in page
    assert "01.10.2020–30.11.2020" in page          # 1.2's window, in Russian date format
    assert "январь 2020г." in page and "принято как 01.01.2021–31.01.2021" in page  # 3.13's anomaly
    assert "ждёт даты в календаре" in page           # 3.45 «По отдельному графику»
    item = db.session.scalar(select(PlanItem).where(PlanItem.number == "2.2"))
    detail = site("iao").get(f"/plan/items/{item.id}").get_data(as_text=True)
    assert "МБОУ «СОШ №17»" in detail and "МБОУ «СОШ №12»" in detail


def test_a_school_head_is_refused_the_plan_and_the_refusal_is_audited(site):
    _open_plan()
    head = site("head12")
    assert head.get("/plan/").status_code == 403
    menu = head.get("/").get_data(as_text=True).split("<main>")[0]
    assert 'href="/plan/"' not in menu  # no link to the department's plan in the menu
    assert 'href="/plan/matrix"' in menu  # but to her own units' columns of it (issue 13 §1)
    assert db.session.query(AuditEvent).filter_by(action="denied", actor="head12").count() >= 1


def test_late_submissions_export_as_excel_and_an_empty_export_explains_itself(site):
    _open_plan()
    iao = site("iao")
    empty = iao.get("/plan/late.xlsx", follow_redirects=True).get_data(as_text=True)
    assert "нечего выгружать" in empty.lower()

    instance = db.session.scalar(select(ProcessInstance).join(PlanItem).where(PlanItem.number == "1.2"))
    instance_id, item_id = instance.id, instance.plan_item_id
    set_manual_clock("2020-12-02T12:00:00+03:00")
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "READY",
                                                     HumanTask.form_key != "escalation"))
    data = sample_data(forms.load(task.form_key), random.Random(2), today=date(2020, 12, 2), file_ref=_file())
    engine.complete(task.id, engine.user_by_login("iao"), data)

    sheet = _workbook(iao, "/plan/late.xlsx")
    assert [c.value for c in sheet[1]] == ["Пункт плана", "Организация", "Срок", "Сдано", "Опоздание, дн."]
    row = [c.value for c in sheet[2]]
    assert row[0].startswith("1.2 ") and row[1] == "МКУ «Управление образования» г. Махачкалы"
    assert row[2].date() == date(2020, 11, 30) and row[3].date() == date(2020, 12, 2) and row[4] == 2

    sheet = _workbook(iao, f"/plan/items/{item_id}.xlsx")
    assert sheet["A2"].value == "МКУ «Управление образования» г. Махачкалы" and sheet["D2"].value == 2


def _workbook(client, url):
    # a file response keeps its request (and its database transaction) open until it is closed
    db.session.rollback()  # the test's reads hold SQLite's write lock until they end
    with client.get(url) as response:
        assert response.status_code == 200
        return openpyxl.load_workbook(io.BytesIO(response.data)).active


def _file():
    from engine import attachments, store
    with store.transaction() as session:
        row = attachments.store(io.BytesIO(b"%PDF-1.4 test"), "act.pdf", "document", instance_id=None,
                                task_id=None, actor="iao")
        session.flush()
        return {"attachment_id": row.id}


def test_the_calendar_page_moves_a_date_and_refuses_a_past_one_keeping_the_input(site):
    from tests.web.conftest import csrf
    _open_plan()
    iao = site("iao")
    page = iao.get("/plan/calendar")
    assert "Итоговое собеседование" in page.get_data(as_text=True)
    token = csrf(page)
    refused = iao.post("/plan/calendar", data={"csrf_token": token, "key": "essay", "starts": "2020-09-15"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "уже прошла" in body and 'value="2020-09-15"' in body
    saved = iao.post("/plan/calendar", data={"csrf_token": token, "key": "thematic_checks", "starts": "2021-02-15",
                                             "ends": "2021-03-15"}, follow_redirects=True)
    assert "3.45" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(PlanItem.starts).where(PlanItem.number == "3.45")) == date(2021, 2, 15)


def test_next_years_copy_does_not_hide_this_years_plan(site):
    plan = _open_plan()
    plans.copy_plan(plan, "2021/22", actor="iao")
    iao = site("iao")
    latest = iao.get("/plan/list").get_data(as_text=True)
    assert "2021/22" in latest and 'href="/plan/list?year=2020/21"' in latest
    this_year = iao.get("/plan/list?year=2020/21").get_data(as_text=True)
    assert "01.10.2020–30.11.2020" in this_year
    assert iao.get("/plan/calendar?year=2020/21").status_code == 200


def test_an_items_dates_are_changed_on_its_page_and_a_past_deadline_is_refused_keeping_the_input(site):
    from tests.web.conftest import csrf
    _open_plan()  # 1.2 runs, due 30.11.2020
    number_12 = db.session.scalar(select(PlanItem).where(PlanItem.number == "1.2"))
    iao = site("iao")
    page = iao.get(f"/plan/items/{number_12.id}")
    assert "Изменить сроки" in page.get_data(as_text=True)
    token = csrf(page)
    refused = iao.post(f"/plan/items/{number_12.id}", data={"csrf_token": token, "starts": "2020-09-01",
                                                            "due": "2020-09-20"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "уже прошла" in body and 'value="2020-09-20"' in body
    saved = iao.post(f"/plan/items/{number_12.id}", data={"csrf_token": token, "starts": "2020-10-01",
                                                          "due": "2020-12-15"}, follow_redirects=True)
    assert "Сроки пересчитаны там, где пункт уже идёт: 1" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlanItem, number_12.id).due == date(2020, 12, 15)
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.plan_item_id == number_12.id))
    assert engine.detail(instance.id)["data"]["due"] == "2020-12-15"
    # A school head cannot change it.
    head = site("head12")
    assert head.post(f"/plan/items/{number_12.id}", data={"csrf_token": csrf(head.get("/profile")),
                                                          "starts": "2020-10-01", "due": "2021-01-15"}
                     ).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(PlanItem, number_12.id).due == date(2020, 12, 15)
