"""The task page: a completed task shows what was handed in (the form's labels, choices by name, files as
links, rows as a table), to those who may see the task only; an open task past its deadline says so, with the
days."""
import html as html_lib
import io
import re

import pytest

import engine
from tests.conftest import set_manual_clock
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted


def text_of(page) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))).split())


def _hand_in_checklist(site):
    """tech17 hands in the checklist of PPE №17 through the page: the jammer faulty, with a photo."""
    instance_id = start_check()
    task = only(instance_id, "checklist")
    tech = site("tech17")
    form = {**posted(checklist(faulty=["jammer"], checked_on="2021-03-18")),
            "csrf_token": csrf(tech.get(f"/tasks/{task.id}")),
            "jammer-photo": (io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "jammer.png")}
    assert tech.post(f"/tasks/{task.id}", data=form, content_type="multipart/form-data").status_code == 302
    return instance_id, task


def test_a_completed_task_shows_what_was_submitted_with_the_forms_labels(site):
    instance_id, task = _hand_in_checklist(site)
    page = site("tech17").get(f"/tasks/{task.id}")
    html, text = page.get_data(as_text=True), text_of(page)
    assert "Что сдано" in text
    section = text[text.index("Что сдано"):]
    assert "Подавитель сигналов сотовой связи Состояние Неисправно Комментарий jammer: не работает" in section
    assert "Дата проверки 18.03.2021" in section
    assert "faulty" not in section and "2021-03-18" not in section  # names people use, not stored values
    photo = engine.detail(instance_id)["data"]["checklist"]["jammer"]["photo"]
    assert re.search(rf'<a href="/files/{photo["attachment_id"]}"[^>]*>jammer.png</a>', html)
    rows = re.search(r'<table class="list handed-in-rows">(.*?)</table>', html, re.S).group(1)
    assert "<th>Аудитория</th>" in rows and "Аудитория 1" in rows and "Аудитория 2" in rows
    assert "Исправно" in rows


def test_what_was_submitted_is_read_only_by_those_who_may_see_the_task(site):
    instance_id, task = _hand_in_checklist(site)
    iao = engine.user_by_login("iao")
    labels = [item.label for item in engine.submitted(task.id, iao)]
    assert labels[:1] == ["Станции печати ЭМ (в каждой аудитории)"] and "Дата проверки" in labels
    with pytest.raises(engine.NotFound):  # another school's task is not confirmed to exist
        engine.submitted(task.id, engine.user_by_login("head12"))
    refused = site("head12").get(f"/tasks/{task.id}")
    assert refused.status_code in (403, 404) and "jammer: не работает" not in refused.get_data(as_text=True)
    fix = only(instance_id, "fix_task")  # the next step, open: nothing handed in yet
    assert engine.submitted(fix.id, iao) == []
    assert "Что сдано" not in text_of(site("head17").get(f"/tasks/{fix.id}"))


def test_an_overdue_task_says_so_on_its_own_page_with_the_days(site):
    instance_id = start_check(due="2021-03-19")
    task = only(instance_id, "checklist")
    set_manual_clock("2021-03-19T12:00:00+03:00")
    assert "Просрочено" not in text_of(site("tech17").get(f"/tasks/{task.id}"))
    set_manual_clock("2021-03-22T10:00:00+03:00")
    text = text_of(site("tech17").get(f"/tasks/{task.id}"))
    assert "Срок 19.03.2021 Просрочено на 3 дн." in text
