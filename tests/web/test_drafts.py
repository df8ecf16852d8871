"""Drafts on the task page (issue 10, point 27) over HTTP: the form's fields are saved as typed, shown again filled
in on another device, to their author only, and gone with the task."""
import re

import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import TaskDraft
from tests.conftest import set_manual_clock
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted

TYPED = "Подавитель заменён; проверен в аудитории 2"


@pytest.fixture(autouse=True)
def morning(site):
    set_manual_clock("2021-03-15T10:00:00+03:00")


def fix_task():
    instance_id = start_check()
    engine.complete(only(instance_id, "checklist").id, engine.user_by_login("tech17"),
                    checklist(faulty=["jammer"], checked_on="2021-03-15"))
    return only(instance_id, "fix_task")


def save_draft(client, task_id, fields, token=None):
    token = token or csrf(client.get(f"/tasks/{task_id}"))
    return client.post(f"/tasks/{task_id}/draft", data=fields, headers={"X-CSRFToken": token})


def test_a_draft_is_saved_and_restored_on_another_device(site):
    task = fix_task()
    phone = site("head17")
    answer = save_draft(phone, task.id, {"action": TYPED, "fixed_on": "2021-03-16"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["message"] == "Черновик сохранён в 10:00."

    page = site("head17").get(f"/tasks/{task.id}").get_data(as_text=True)  # another sign-in: another device
    assert re.search(r'<textarea[^>]*name="action"[^>]*>\s*' + TYPED + "</textarea>", page)
    assert re.search(r'<input[^>]*name="fixed_on"[^>]*value="2021-03-16"', page)
    assert "Восстановлен черновик от 15.03.2021 10:00." in page
    assert "Файлы в черновике не сохраняются" in page
    assert 'src="/static/drafts.js"' in page


def test_groups_rows_and_choices_come_back_as_typed(site):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    fields = posted({"jammer": {"status": "faulty", "comment": "Не глушит сигнал"},
                     "printing": [{"room": "Аудитория 1", "status": "ok"},
                                  {"room": "Аудитория 2", "status": "faulty"}]})
    assert save_draft(tech, task.id, fields).status_code == 200
    draft = engine.draft_for(task.id, engine.user_by_login("tech17")).data
    assert draft["printing"][1] == {"room": "Аудитория 2", "status": "faulty"}  # the form's data, as typed
    assert draft["jammer"] == {"status": "faulty", "comment": "Не глушит сигнал"}
    page = tech.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="jammer-status"[^>]*value="faulty"|'
                     r'<input[^>]*name="jammer-status"[^>]*value="faulty"[^>]*checked', page)
    assert re.search(r'name="printing-1-status"[^>]*value="faulty"[^>]*checked|'
                     r'checked[^>]*name="printing-1-status"[^>]*value="faulty"', page)
    assert "Не глушит сигнал</textarea>" in page


def test_nobody_else_sees_the_draft(site, primary_app):
    task = fix_task()
    assert save_draft(site("head17"), task.id, {"action": TYPED}).status_code == 200
    for login in ("admin", "tech17", "iao", "guo_head"):  # may act, or may see the task and its instance
        client = site(login)
        assert TYPED not in client.get(f"/tasks/{task.id}").get_data(as_text=True), login
        assert TYPED not in client.get(f"/instances/{task.instance_id}").get_data(as_text=True), login
    assert TYPED not in site("head17").get(f"/instances/{task.instance_id}").get_data(as_text=True)

    tech = site("tech17")  # sees the task, may not act on it: refused, and her attempt changes nothing
    answer = save_draft(tech, task.id, {"action": "чужой текст"}, token=csrf(tech.get("/")))
    assert answer.status_code == 403 and "Черновик не сохранён" in answer.get_json()["message"]
    head12 = site("head12")  # another school: not even found
    assert save_draft(head12, task.id, {"action": "x"}, token=csrf(head12.get("/"))).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TaskDraft)) == 1


def test_the_draft_goes_when_the_task_is_done(site):
    task = fix_task()
    head = site("head17")
    token = csrf(head.get(f"/tasks/{task.id}"))
    assert save_draft(head, task.id, {"action": TYPED}, token).status_code == 200
    done = head.post(f"/tasks/{task.id}", data={"csrf_token": token, "action": "Подавитель заменён",
                                                 "fixed_on": "2021-03-15"})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(TaskDraft)) == 0
    late = save_draft(head, task.id, {"action": TYPED}, token)  # the page's last beacon, after the submission
    assert late.status_code == 409 and "закрыта" in late.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(TaskDraft)) == 0
    assert TYPED not in head.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_saving_a_draft_needs_the_csrf_token_and_a_real_task(site):
    task = fix_task()
    head = site("head17")
    assert head.post(f"/tasks/{task.id}/draft", data={"action": TYPED}).status_code == 400
    token = csrf(head.get("/"))
    assert head.post(f"/tasks/{task.id}/draft", data={"action": TYPED, "csrf_token": token}).status_code == 200
    for bad in ("%00", "x" * 300, "00000000-0000-0000-0000-000000000000"):
        assert save_draft(head, bad, {"action": TYPED}, token).status_code == 404
