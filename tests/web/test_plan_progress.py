"""«Программа» and «Мероприятия плана» read an item's progress in one way (issue 10 §13), and a plan item's units
are listed in natural order with a «только проблемы» filter (§14)."""
import random
import re
from datetime import date

from sqlalchemy import select

import engine
import forms
from engine.db import db
from engine.models import HumanTask, PlanItem, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from engine.plan import running as plans
from forms.sample import sample_data
from tests.conftest import set_manual_clock, stored_pdf
from tests.engine.a1 import checklist, only
from tests.web.conftest import csrf


def _row(html: str, marker: str) -> str:
    return next(row for row in re.findall(r"<tr\b.*?</tr>", html, re.S) if marker in row)


def _state(html: str, marker: str) -> str:
    """The state word shown in the table row holding `marker`."""
    return re.search(r'class="status progress-[a-z_]+">([^<]+)<', _row(html, marker)).group(1)


def _both(client) -> tuple[str, str]:
    return (_state(client.get("/plan/list").get_data(as_text=True), "<td>3.32</td>"),
            _state(client.get("/activities").get_data(as_text=True), "3.32 Техническая проверка"))


def test_the_programme_and_the_activities_show_the_same_state_of_an_item(site):
    set_manual_clock("2020-12-04T10:00:00+03:00")  # 3.32's window opens in February
    plans.open_plan(plan_catalogue.load_default(), actor="iao")
    iao = site("iao")
    launch = iao.post("/activities/ppe_tech_check", data={
        "csrf_token": csrf(iao.get("/activities/ppe_tech_check")), "units": "ppe-17", "check_due": "2020-12-08",
        "fix_days": "7", "recheck_days": "3"}, follow_redirects=True)
    assert "Запущено: 1" in launch.get_data(as_text=True)
    assert _both(iao) == ("в работе", "в работе")

    set_manual_clock("2020-12-10T10:00:00+03:00")  # the checklist was due on 08.12
    assert _both(iao) == ("просрочено", "просрочено")

    instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "ppe_tech_check"))
    [accept] = engine.complete(only(instance_id, "checklist").id, engine.user_by_login("tech17"),
                               checklist(checked_on="2020-12-10")).next_tasks
    engine.complete(accept.id, engine.user_by_login("iao"), {"decision": "accept"})
    assert _both(iao) == ("выполнено", "выполнено")
    item = db.session.scalar(select(PlanItem).where(PlanItem.number == "3.32"))
    detail = iao.get(f"/plan/items/{item.id}").get_data(as_text=True)
    assert _state(detail, "ППЭ №17") == "выполнено" and "готов" in _row(detail, "ППЭ №17")
    assert "ppe_tech_check" not in detail  # the process by its name


def _report_item():
    """Item 3.8 (every school reports by 31.10.2020) started for the 7 schools of the test city; school №12's
    report handed in, the others overdue on 02.11."""
    set_manual_clock("2020-10-01T09:30:00+03:00")
    plans.open_plan(plan_catalogue.load_default(), actor="iao")
    plans.start_due_items()
    item = db.session.scalar(select(PlanItem).where(PlanItem.number == "3.8"))
    task = db.session.scalar(select(HumanTask).join(ProcessInstance).where(
        ProcessInstance.plan_item_id == item.id, ProcessInstance.unit_code == "school-12", HumanTask.state == "READY"))
    data = sample_data(forms.load(task.form_key), random.Random(1), today=date(2020, 10, 1), file_ref=stored_pdf("report.pdf", "head12"))
    engine.complete(task.id, engine.user_by_login("head12"), data)
    set_manual_clock("2020-11-02T10:00:00+03:00")
    return item


def _units(html: str) -> list[str]:
    return re.findall(r"МБОУ «СОШ №(\d+)»", html.split('class="list status-table"')[1])


def test_a_plan_items_units_sort_naturally_and_filter_to_the_problems(site):
    item = _report_item()
    iao = site("iao")
    page = iao.get(f"/plan/items/{item.id}").get_data(as_text=True)
    assert _units(page) == ["1", "3", "5", "8", "12", "17", "33"]  # not 1, 12, 17, 3, 33, 5, 8
    assert _state(page, "СОШ №12»") == "выполнено" and _state(page, "СОШ №17»") == "просрочено"

    problems = iao.get(f"/plan/items/{item.id}?problems=1").get_data(as_text=True)
    assert _units(problems) == ["1", "3", "5", "8", "17", "33"]
    assert "Только проблемы (просрочено или ошибка): 6 из 7." in problems


