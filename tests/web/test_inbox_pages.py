"""The inbox and task tools over HTTP: tabs, filters, saved filters, Excel export, hand-over, snooze, comments."""
import io
import re
from datetime import datetime

from openpyxl import load_workbook

import engine
from engine.db import db
from engine.models import HumanTask
from tests.engine.a1 import only, start_check
from tests.web.conftest import csrf


def test_tabs_and_filters_narrow_the_list(site):
    first, second = start_check("ppe-17", due="2031-03-19"), start_check("ppe-17", due="2031-03-26")
    tech = site("tech17")
    page = tech.get("/?tab=group").get_data(as_text=True)
    assert page.count("/tasks/") >= 2 and "19.03.2031" in page and "26.03.2031" in page
    assert "Мои" in page and "Моей группы" in page and "Все доступные" in page
    narrowed = tech.get("/?tab=group&due_to=2031-03-20").get_data(as_text=True)
    assert "19.03.2031" in narrowed and "26.03.2031" not in narrowed
    mine = tech.get("/?tab=mine").get_data(as_text=True)
    assert "Сейчас задач нет" in mine
    empty = tech.get("/?text=несуществующее").get_data(as_text=True)
    assert "Нет задач по этому фильтру" in empty


def test_saved_filter_shared_with_the_unit_reaches_a_colleague(site):
    start_check("ppe-17", due="2031-03-19")
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17", password="demo")
    tech = site("tech17")
    token = csrf(tech.get("/"))
    tech.post("/filters", data={"csrf_token": token, "name": "Срочные ППЭ 17", "scope": "unit", "unit": "ppe-17",
                                "due_to": "2031-03-20", "tab": "group"})
    colleague = site("tech17b").get("/").get_data(as_text=True)
    assert "Срочные ППЭ 17" in colleague and "due_to=2031-03-20" in colleague
    assert "Срочные ППЭ 17" not in site("tech12").get("/").get_data(as_text=True)


def test_excel_export_holds_the_filtered_list_with_russian_headers(site):
    start_check("ppe-17", due="2031-03-19")
    start_check("ppe-17", due="2031-03-26")
    response = site("tech17").get("/inbox.xlsx?tab=group&due_to=2031-03-20")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Задача" and "Срок" in rows[0] and "ППЭ" in rows[0]
    assert len(rows) == 2 and "Чек-лист технической готовности" in rows[1][0]
    assert rows[1][rows[0].index("Срок")] == datetime(2031, 3, 19, 23, 59, 59)
    # the names people use, not identifiers: the activity's, the unit's, the claimant's
    assert rows[1][rows[0].index("Мероприятие")] == "3.32 Техническая проверка готовности ППЭ"
    assert rows[1][rows[0].index("Организация")] == "ППЭ №17 (на базе СОШ №17)"


def test_hand_over_snooze_and_comment_with_a_file_from_the_task_page(site):
    instance_id = start_check("ppe-17", due="2031-03-19")
    task = only(instance_id, "checklist")
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17", password="demo", full_name="Коллега Б.")
    tech = site("tech17")
    page = tech.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Коллега Б." in page  # offered as a hand-over target
    token = csrf(tech.get(f"/tasks/{task.id}"))

    comment = tech.post(f"/tasks/{task.id}/comments", data={
        "csrf_token": token, "text": "Фото генератора", "file": (io.BytesIO(b"%PDF-1.4 act"), "akt.pdf")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Комментарий добавлен" in comment and "Фото генератора" in comment
    file_url = re.search(r'href="(/files/\d+)"[^>]*>прикреплённый файл', comment).group(1)
    assert tech.get(file_url).data.startswith(b"%PDF")
    assert site("head12").get(file_url).status_code == 404

    snoozed = tech.post(f"/tasks/{task.id}/snooze", data={"csrf_token": token, "until": "2031-03-10"},
                        follow_redirects=True).get_data(as_text=True)
    assert "скрыта до 10.03.2031" in snoozed and f"/tasks/{task.id}" not in snoozed
    assert f"/tasks/{task.id}" in tech.get("/?snoozed=1").get_data(as_text=True)

    refused = tech.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token, "to": "tech17b", "reason": ""},
                        follow_redirects=True).get_data(as_text=True)
    assert "Укажите причину" in refused
    tech.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token, "to": "tech17b", "reason": "Отпуск"})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == engine.user_by_login("tech17b").id
    mine = site("tech17b").get("/?tab=mine").get_data(as_text=True)
    assert f"/tasks/{task.id}" in mine


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(site, primary_app):
    from engine.models import Attachment, TaskComment
    task = only(start_check("ppe-17", due="2031-03-19"), "checklist")
    tech = site("tech17")
    token = csrf(tech.get(f"/tasks/{task.id}"))
    primary_app.config.update(MAX_UPLOAD_BYTES=1024, MAX_CONTENT_LENGTH=8192)
    page = tech.post(f"/tasks/{task.id}/comments", data={
        "csrf_token": token, "text": "акт", "file": (io.BytesIO(b"%PDF" + b"0" * 2000), "akt.pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Файл больше 1 КБ." in page.get_data(as_text=True)
    huge = tech.post(f"/tasks/{task.id}/comments", data={
        "csrf_token": token, "text": "акт", "file": (io.BytesIO(b"%PDF" + b"0" * 20000), "akt.pdf")},
        content_type="multipart/form-data")
    assert huge.status_code == 413 and "Слишком большой файл" in huge.get_data(as_text=True)
    assert db.session.query(Attachment).count() == 0 and db.session.query(TaskComment).count() == 0
