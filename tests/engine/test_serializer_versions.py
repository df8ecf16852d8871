"""A stored workflow in another serializer format than the library's (issue 16 §3): an older one is read (the
library's migrations, corrected where they fail) and written in the current format at its next save; a newer one
is refused with a clear message, the instance marked as an error with its state untouched."""
import json

import pytest
from sqlalchemy import select

import engine
from engine import runtime, store
from engine.bpmn import serializer
from engine.db import db
from engine.models import HumanTask, ProcessInstance
from tests.engine.a1 import checklist, only, start_check


def _fault_being_fixed(org, clock_at) -> int:
    """The PPE check of scenario A1 after a faulty checklist: the fix waits inside the fix_faults subprocess."""
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    engine.complete(only(instance_id, "checklist").id, org["tech17"], checklist(faulty=["jammer"]))
    return instance_id


def _as_format_1_4(instance_id: int) -> None:
    """Store the instance as SpiffWorkflow 3.1 (format 1.4) wrote it: each task's whole data, no delta."""
    instance = store.lock(instance_id)
    tasks = {str(task.id): task for task in runtime.all_tasks(store.workflow_of(instance))}
    dct = json.loads(instance.state)
    for stored in [dct["tasks"], *(sub["tasks"] for sub in dct["subprocesses"].values())]:
        for task_id, task in stored.items():
            task["data"] = serializer.SERIALIZER.registry.convert(tasks[task_id].data)
            del task["delta"]
    dct["serializer_version"] = "1.4"
    instance.state, instance.serializer_version = json.dumps(dct), "1.4"
    db.session.commit()


def test_a_workflow_stored_in_an_older_format_is_read_and_saved_in_the_current_one(org, clock_at):
    instance_id = _fault_being_fixed(org, clock_at)
    _as_format_1_4(instance_id)
    old = db.session.get(ProcessInstance, instance_id)
    assert old.serializer_version == "1.4" and '"delta"' not in old.state

    fix = only(instance_id, "fix_task")
    clock_at("2021-03-17T12:00:00+03:00")
    result = engine.complete(fix.id, org["head17"], {"action": "Подавитель заменён", "fixed_on": "2021-03-17"})

    [recheck] = result.next_tasks  # the data of the old state went on: the fix's round leads to the re-check
    assert recheck.bpmn_id == "checklist" and "повторная" in recheck.name
    db.session.expire_all()
    saved = db.session.get(ProcessInstance, instance_id)
    assert saved.serializer_version == serializer.FORMAT_VERSION
    assert json.loads(saved.state)["serializer_version"] == serializer.FORMAT_VERSION
    workflow = store.workflow_of(saved)
    [task] = [t for t in workflow.get_tasks() if str(t.id) == recheck.id]
    assert task.data["checklist"]["jammer"]["status"] == "faulty"  # what the first round handed in is kept


def test_a_workflow_stored_by_a_newer_library_is_refused_and_the_instance_marked_with_why(org, clock_at):
    instance_id = _fault_being_fixed(org, clock_at)
    instance = db.session.get(ProcessInstance, instance_id)
    newer = json.loads(instance.state) | {"serializer_version": "1.6"}
    instance.state, instance.serializer_version = json.dumps(newer), "1.6"
    db.session.commit()
    state = instance.state
    fix = only(instance_id, "fix_task")

    with pytest.raises(engine.IncompatibleState) as refused:
        engine.complete(fix.id, org["head17"], {"action": "Подавитель заменён", "fixed_on": "2021-03-17"})

    assert str(refused.value) == ("Ход мероприятия сохранён более новой версией SpiffWorkflow (формат 1.6, эта "
                                  "читает до 1.5); загрузка отклонена, чтобы не потерять данные.")
    db.session.expire_all()
    kept = db.session.get(ProcessInstance, instance_id)
    assert (kept.status, kept.error) == ("error", str(refused.value))
    assert (kept.state, kept.serializer_version) == (state, "1.6")  # nothing lost, nothing rewritten
    assert db.session.scalar(select(HumanTask.state).where(HumanTask.id == fix.id)) == "READY"
