"""The task page restores the workflow once and checks the task's visibility once per request, and a POST's form
is checked once: restoring a large instance is the costliest thing a page does. Counted by wrapping the real
functions (they still run), wherever a module holds them."""
import io
import sys

import forms
from engine import store
from engine.access import guards, rules
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted
from tests.web.test_task_page import _hand_in_checklist, text_of


def counted(monkeypatch, module, name) -> list:
    """Calls of module.name from now on, through every module that imported it by name."""
    original, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    for holder in list(sys.modules.values()):
        if getattr(holder, "__dict__", {}).get(name) is original:
            monkeypatch.setattr(holder, name, wrapper)
    return calls


def _checklist_form(client, task_id, **fields):
    return {**posted(checklist(**fields)), "csrf_token": csrf(client.get(f"/tasks/{task_id}"))}


def test_a_post_that_completes_the_task_restores_once_and_checks_the_form_once(site, monkeypatch):
    task = only(start_check(), "checklist")
    tech = site("tech17")
    form = {**_checklist_form(tech, task.id, faulty=["jammer"]),
            "jammer-photo": (io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "jammer.png")}
    restores = counted(monkeypatch, store, "workflow_of")
    seen = counted(monkeypatch, guards, "readable_task_in")  # readable_task reads through it
    checked = counted(monkeypatch, rules, "can_view_task")
    rechecked = counted(monkeypatch, forms, "validate_json")
    response = tech.post(f"/tasks/{task.id}", data=form, content_type="multipart/form-data")
    assert response.status_code == 302 and "/tasks/" not in response.location  # to the inbox
    assert only(task.instance_id, "fix_task")  # done: the next step is open
    assert (len(restores), len(seen), len(checked), len(rechecked)) == (1, 1, 1, 0)


def test_a_post_the_form_refuses_restores_once_to_show_the_page_again(site, monkeypatch):
    task = only(start_check(), "checklist")
    tech = site("tech17")
    form = _checklist_form(tech, task.id)
    del form["checked_on"]
    restores = counted(monkeypatch, store, "workflow_of")
    rechecked = counted(monkeypatch, forms, "validate_json")
    response = tech.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 200 and "Исправьте отмеченные поля" in text_of(response)
    assert (len(restores), len(rechecked)) == (1, 0)  # the page shows the task's data and instructions


def test_a_completed_task_s_page_restores_once_and_checks_visibility_once(site, monkeypatch):
    instance_id, task = _hand_in_checklist(site)
    tech = site("tech17")
    restores = counted(monkeypatch, store, "workflow_of")
    seen = counted(monkeypatch, guards, "readable_task_in")  # readable_task reads through it
    checked = counted(monkeypatch, rules, "can_view_task")
    page = tech.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "Что сдано" in text_of(page)
    assert (len(restores), len(seen), len(checked)) == (1, 1, 1)
