"""A lean step (issue 12 §4): a completion and a timer read the instance row once and write it with one UPDATE, on
both backends, and that UPDATE still refuses a row someone changed meanwhile. Counted, not timed."""
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

import engine
from engine import store
from engine.actions import Complete
from engine.db import db
from engine.models import ProcessInstance
from engine.service.execution import execute
from tests.engine.a1 import checklist, only, start_check
from tests.engine.test_timers import at, instance, timed  # noqa: F401  (the fixture)


@contextmanager
def statements():
    seen = []

    def listen(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))
    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def instance_reads(seen) -> list[str]:
    """The SELECTs that read an instance's row whole (its state)."""
    return [s for s in seen if s.startswith("SELECT") and "process_instance.state" in s]


def instance_writes(seen) -> list[str]:
    return [s for s in seen if s.startswith("UPDATE process_instance")]


def test_a_completion_reads_the_instance_once_and_writes_it_once(org):
    task = only(start_check(), "checklist")
    db.session.remove()  # nothing read beforehand: engine.complete reads what it needs itself
    tech = engine.user_by_login("tech17")
    with statements() as seen:
        result = engine.complete(task.id, tech, checklist())
    assert [t.bpmn_id for t in result.next_tasks] == ["accept"]
    # One read of the instance, the same statement that reads the task's row (locked on PostgreSQL).
    assert len(instance_reads(seen)) == 1 and "FROM human_task" in instance_reads(seen)[0], "\n".join(seen)
    assert len(instance_writes(seen)) == 1, "\n".join(seen)
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE OF process_instance" in instance_reads(seen)[0]


def test_a_timer_reads_the_instance_once_and_writes_it_once(timed):  # noqa: F811
    soon = timed("2021-03-16T09:00:00+03:00")
    before = instance(soon).lock_version
    db.session.remove()
    with statements() as seen:
        tick = engine.advance_timers(at("2021-03-16T10:00:00+03:00"))
    assert [f["instance_id"] for f in tick.fired] == [soon]
    # Besides the candidates and the next due time, one read of the row: the claim, which reads it whole for the step.
    by_id = [s for s in seen if s.startswith("SELECT") and "WHERE process_instance.id =" in s]
    assert len(by_id) == 1 and by_id == instance_reads(seen), "\n".join(seen)
    assert len(instance_writes(seen)) == 1, "\n".join(seen)
    assert instance(soon).lock_version == before + 1


def test_a_row_changed_between_the_lock_and_the_save_is_a_conflict(org):
    task = only(start_check(), "checklist")
    instance_id, before = task.instance_id, None
    tasks = [(t.id, t.state) for t in engine.list_tasks(instance_id=instance_id, all_states=True)]

    def someone_else_writes(instance, _workflow):
        nonlocal before
        before = instance.lock_version
        # What another process would do were it not locked out: change the row under our read.
        db.session.execute(sa.update(ProcessInstance.__table__).where(ProcessInstance.id == instance.id)
                           .values(lock_version=ProcessInstance.__table__.c.lock_version + 1))

    action = Complete(task.id, checklist(), "tech17", "checklist")
    with pytest.raises(engine.ConflictError):
        execute(instance_id, action, "tech17", check=someone_else_writes)
    db.session.rollback()
    row = db.session.get(ProcessInstance, instance_id)
    assert row.lock_version == before  # the whole step rolled back, the other change with it
    assert [(t.id, t.state) for t in engine.list_tasks(instance_id=instance_id, all_states=True)] == tasks


def test_after_a_step_the_instance_is_clean_and_its_version_moved_by_one(org):
    task = only(start_check(), "checklist")
    before = db.session.get(ProcessInstance, task.instance_id).lock_version
    db.session.rollback()
    with store.transaction():
        instance = store.lock(task.instance_id)
        workflow = store.workflow_of(instance)
        store.save(instance, workflow)
        assert instance not in db.session.dirty  # the UPDATE is written; the commit's flush has nothing to do
        assert instance.lock_version == before + 1
    db.session.rollback()
    assert db.session.get(ProcessInstance, task.instance_id).lock_version == before + 1
