"""Drafts of a task's form (issue 10, point 27): kept for their author while she types, read back by her alone,
never part of the process data, and gone once the task is closed."""
from datetime import date

import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.errors import InvalidData, NotFound, PermissionDenied, TaskNotReady
from engine.models import TaskDraft
from engine.service.drafts import MAX_DRAFT_BYTES
from engine.service.views import task_page
from tests.engine.a1 import checklist, only, start_check

TYPED = {"action": "Подавитель заменён, проверен в аудитории 2", "fixed_on": "2021-03-1"}


@pytest.fixture
def people(app, clock_at):
    """A1's people (no passwords: hashing is slow) and two more of school №17: a coordinator, and a deputy the
    head names for her absence."""
    from cli.city import DEPARTMENTS
    from cli.demo import USERS
    from engine import store
    clock_at("2021-03-15T10:00:00+03:00")
    with store.transaction():
        for code, name, kind, parent in DEPARTMENTS:
            engine.ensure_unit(code, name, kind, parent)
        for n in (12, 17):
            engine.ensure_unit(f"school-{n}", f"School {n}", "school", "guo")
            engine.ensure_unit(f"ppe-{n}", f"PPE {n}", "ppe", "guo", host=f"school-{n}", attrs={"auditoriums": 2})
    users = {login: engine.ensure_user(login, role, unit, full_name=name) for login, role, unit, name in USERS}
    for login in ("coord17", "zam17"):
        users[login] = engine.ensure_user(login, "school_coordinator", "school-17", full_name=login)
    return users


@pytest.fixture
def fix(people):
    """The head of school №17's open fix task of a PPE check (form ppe_fix: a text, a date, a file)."""
    instance_id = start_check()
    engine.complete(only(instance_id, "checklist").id, people["tech17"],
                    checklist(faulty=["jammer"], checked_on="2021-03-15"))
    return only(instance_id, "fix_task")


def drafts_of(task_id) -> int:
    return db.session.scalar(select(func.count()).select_from(TaskDraft).where(TaskDraft.task_id == task_id))


def test_a_draft_is_read_back_by_its_author_as_typed(people, fix):
    head = people["head17"]
    assert engine.draft_for(fix.id, head) is None
    saved = engine.save_draft(fix.id, head, TYPED)
    assert saved.data == TYPED and saved.updated_at is not None
    assert engine.draft_for(fix.id, head).data == TYPED  # a half-typed date stays as typed

    engine.save_draft(fix.id, head, {"action": "Вызван мастер", "unknown": "x",
                                     "document": {"attachment_id": 1}})  # files and unknown keys are not kept
    assert engine.draft_for(fix.id, head).data == {"action": "Вызван мастер"}
    assert drafts_of(fix.id) == 1  # one draft per task and person, replaced


def test_a_draft_is_private_to_its_author(people, fix):
    head, deputy, colleague = people["head17"], people["zam17"], people["coord17"]
    engine.set_absence(head, "zam17", date(2021, 3, 15), date(2021, 3, 31))
    engine.save_draft(fix.id, head, TYPED)

    assert engine.draft_for(fix.id, deputy) is None  # the deputy may act on the task, but not read her draft
    assert engine.draft_for(fix.id, colleague) is None
    assert engine.draft_for(fix.id, people["admin"]) is None
    engine.save_draft(fix.id, deputy, {"action": "Черновик заместителя"})
    assert engine.draft_for(fix.id, head).data == TYPED
    assert engine.draft_for(fix.id, deputy).data == {"action": "Черновик заместителя"}

    with pytest.raises(PermissionDenied):  # a colleague who sees the task but may not act on it
        engine.save_draft(fix.id, colleague, TYPED)
    with pytest.raises(NotFound):  # another school's head does not even see it
        engine.save_draft(fix.id, people["head12"], TYPED)

    # Never submitted data: not in the task's data, the instance's data or its history.
    for user in (head, deputy, colleague, people["iao"]):
        assert TYPED["action"] not in repr(task_page(fix.id, user).data)
    assert TYPED["action"] not in repr(engine.detail(fix.instance_id))


def test_completing_the_task_deletes_every_draft_of_it(people, fix):
    head = people["head17"]
    engine.set_absence(head, "zam17", date(2021, 3, 15), date(2021, 3, 31))
    engine.save_draft(fix.id, head, TYPED)
    engine.save_draft(fix.id, people["zam17"], {"action": "Черновик заместителя"})

    engine.complete(fix.id, head, {"action": "Подавитель заменён", "fixed_on": "2021-03-15"})
    assert drafts_of(fix.id) == 0
    assert engine.draft_for(fix.id, head) is None
    with pytest.raises(TaskNotReady):
        engine.save_draft(fix.id, head, TYPED)
    assert drafts_of(fix.id) == 0


def test_a_task_closed_otherwise_loses_its_drafts(people, fix):
    engine.save_draft(fix.id, people["head17"], TYPED)
    engine.cancel(fix.instance_id, "iao")
    assert drafts_of(fix.id) == 0
    assert engine.draft_for(fix.id, people["head17"]) is None


def test_a_draft_has_a_size_limit_and_stores_only_storable_text(people, fix):
    head = people["head17"]
    engine.save_draft(fix.id, head, TYPED)
    with pytest.raises(InvalidData) as refused:
        engine.save_draft(fix.id, head, {"action": "я" * MAX_DRAFT_BYTES})
    assert "не более 256 КБ" in refused.value.field_errors["data"][0]
    with pytest.raises(InvalidData):
        engine.save_draft(fix.id, head, {"action": "a\x00b"})
    assert engine.draft_for(fix.id, head).data == TYPED  # the refused ones changed nothing


def test_a_restored_draft_keeps_the_files_of_an_earlier_submission():
    """Files are never drafted; the form shown from a draft still holds what an earlier round attached."""
    from forms import load
    from forms.drafts import bind_draft
    earlier = {"fix": {"action": "Раньше", "document": {"attachment_id": 5, "filename": "акт.pdf"}}}
    form = bind_draft(load("ppe_fix"), {"action": "Новый текст", "fixed_on": "2021-03-1"}, earlier)
    assert form.action.data == "Новый текст" and form.fixed_on.raw_data == ["2021-03-1"]
    assert form.document.data == {"attachment_id": 5, "filename": "акт.pdf"}
