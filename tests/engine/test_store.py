"""engine.store: one engine call is one transaction (committed at the end, rolled back on any error, a conflict
reported as ConflictError); `lock` finds the instance row or says it is not there; `save` writes the instance and
brings its projections in line, writing only what changed. (`after_commit`: tests/engine/test_after_commit.py.)"""
from datetime import datetime
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy import select

import engine
from engine import store
from engine.db import db
from engine.models import EngineSetting, HumanTask, InstanceWait, ProcessInstance
from tests.conftest import linear, process_xml
from tests.engine.test_after_commit import committed_value


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def reread(instance_id: int) -> ProcessInstance:
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id)


def rows(instance_id: int) -> dict:
    db.session.rollback()
    return {t.bpmn_id: t for t in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))}


def resave(instance_id: int, change=None) -> None:
    """Restore the instance, let `change(workflow)` act on it, and save it back (the path every step takes)."""
    with store.transaction():
        instance = store.lock(instance_id)
        workflow = store.workflow_of(instance)
        if change is not None:
            change(workflow)
        store.save(instance, workflow)


class Writes:
    """The INSERT, UPDATE and DELETE statements run on `table`, with the rows each touched."""

    def __init__(self, table: str):
        self.table, self.seen = table, []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and f" {self.table}" in statement.split("(")[0].split("WHERE")[0]:
            self.seen.append((verb, context.compiled_parameters))  # one dict of named values per row

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


# --- transaction --------------------------------------------------------------------------------------------------

def test_a_transaction_commits_when_its_block_ends(app):
    with store.transaction() as session:
        session.add(EngineSetting(key="probe", value="kept"))
        session.flush()
    assert committed_value("probe") == "kept"  # as another connection sees it


def test_an_error_rolls_everything_back_and_is_raised_as_it_was(app):
    with pytest.raises(KeyError):
        with store.transaction() as session:
            session.add(EngineSetting(key="probe", value="lost"))
            session.flush()
            raise KeyError("the step failed")
    assert committed_value("probe") is None
    assert db.session.get(EngineSetting, "probe") is None


def test_a_nested_transaction_shares_the_session_and_its_failure_undoes_the_outer_block(app):
    seen = []
    with pytest.raises(RuntimeError):
        with store.transaction() as outer:
            outer.add(EngineSetting(key="outer", value="1"))
            outer.flush()
            with store.transaction() as inner:
                assert inner is outer
                inner.add(EngineSetting(key="inner", value="2"))
                raise RuntimeError("the inner step failed")
    assert committed_value("outer") is None and committed_value("inner") is None
    # The nesting depth is back to none: the next block is an outermost one again, and runs its callbacks.
    with store.transaction() as session:
        session.add(EngineSetting(key="after", value="3"))
        store.after_commit(lambda: seen.append(committed_value("after")))
    assert seen == ["3"]


def test_unsaved_changes_before_an_engine_call_are_refused(app):
    db.session.add(EngineSetting(key="stray", value="x"))
    with pytest.raises(RuntimeError, match="unsaved changes"):
        with store.transaction():
            pass
    db.session.rollback()
    assert committed_value("stray") is None


def test_a_row_written_first_by_another_transaction_is_a_conflict(app):
    with store.transaction() as session:
        session.add(EngineSetting(key="probe", value="first"))
    db.session.expunge_all()
    with pytest.raises(engine.ConflictError):
        with store.transaction() as session:
            session.add(EngineSetting(key="probe", value="second"))
    assert committed_value("probe") == "first"
    with store.transaction():  # the session is usable again
        pass


def test_an_instance_changed_by_someone_else_meanwhile_is_a_conflict(app, deploy_xml):
    deploy_xml(linear('<bpmn:userTask id="n1"/>'))
    instance_id = engine.start("p", {}, actor="admin").instance_id
    with pytest.raises(engine.ConflictError):
        with store.transaction():
            instance = store.lock(instance_id)
            # What another process does between our read and our write, were it not locked out: bump the version.
            db.session.execute(sa.update(ProcessInstance.__table__).where(ProcessInstance.id == instance_id)
                               .values(lock_version=ProcessInstance.__table__.c.lock_version + 1))
            instance.status_text = "mine"
    assert reread(instance_id).status_text is None


# --- lock -----------------------------------------------------------------------------------------------------------

def test_locking_an_instance_that_does_not_exist_is_not_found(app):
    with pytest.raises(engine.NotFound):
        with store.transaction():
            store.lock(424242)
    with pytest.raises(engine.NotFound):
        with store.transaction():
            store.lock(424242, skip_locked=True)


def test_an_instance_held_by_another_transaction_is_skipped_on_postgresql(app, deploy_xml):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    deploy_xml(linear('<bpmn:userTask id="n1"/>'))
    instance_id = engine.start("p", {}, actor="admin").instance_id
    db.session.rollback()
    with db.engine.connect() as other:
        other.execute(select(ProcessInstance.id).where(ProcessInstance.id == instance_id).with_for_update())
        with store.transaction():
            assert store.lock(instance_id, skip_locked=True) is None
        other.rollback()
    with store.transaction():
        assert store.lock(instance_id, skip_locked=True).id == instance_id


# --- save ---------------------------------------------------------------------------------------------------------

def test_save_writes_the_state_status_next_timer_and_completion_once(app, clock_at, deploy_xml):
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(linear('<bpmn:userTask id="n1"/>',
                      '<bpmn:intermediateCatchEvent id="n2"><bpmn:timerEventDefinition><bpmn:timeDate>'
                      '"2021-03-16T09:00:00+03:00"</bpmn:timeDate></bpmn:timerEventDefinition>'
                      '</bpmn:intermediateCatchEvent>'))
    instance_id = engine.start("p", {}, actor="admin").instance_id
    started = reread(instance_id)
    assert (started.status, started.next_timer_at, started.completed_at) == ("running", None, None)
    assert started.state and started.serializer_version
    first_state = started.state

    [task] = engine.list_tasks(instance_id=instance_id)
    engine.complete(task.id, engine.ensure_user("boss", "admin", None), {})
    waiting = reread(instance_id)
    assert (waiting.status, waiting.next_timer_at) == ("waiting", at("2021-03-16T09:00:00+03:00"))
    assert waiting.state != first_state

    clock_at("2021-03-16T10:00:00+03:00")
    engine.advance_timers()
    done = reread(instance_id)
    assert (done.status, done.next_timer_at, done.completed_at) == (
        "completed", None, at("2021-03-16T10:00:00+03:00"))

    clock_at("2021-03-17T10:00:00+03:00")
    resave(instance_id)  # saved again later: the completion keeps its first time
    assert reread(instance_id).completed_at == at("2021-03-16T10:00:00+03:00")


PARALLEL = process_xml(
    '<bpmn:startEvent id="start"/>\n<bpmn:parallelGateway id="fork"/>\n<bpmn:userTask id="a"/>\n'
    '<bpmn:userTask id="b"/>\n<bpmn:parallelGateway id="join"/>\n<bpmn:endEvent id="end"/>\n'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>\n'
    '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="a"/>\n'
    '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="b"/>\n'
    '<bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="join"/>\n'
    '<bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="join"/>\n'
    '<bpmn:sequenceFlow id="f5" sourceRef="join" targetRef="end"/>')


def test_only_the_task_rows_that_changed_are_written(app, clock_at, deploy_xml):
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(PARALLEL)
    instance_id = engine.start("p", {}, actor="admin").instance_id
    before = rows(instance_id)
    assert {k: v.state for k, v in before.items()} == {"a": "READY", "b": "READY"}

    with Writes("human_task") as writes:
        resave(instance_id)
    assert writes.seen == []  # nothing changed, nothing written

    clock_at("2021-03-15T10:00:00+03:00")
    with Writes("human_task") as writes:
        engine.complete(before["a"].id, engine.ensure_user("boss", "admin", None), {})
    touched = {row.get("_id") or row.get("id") for _, params in writes.seen for row in params}
    assert touched == {before["a"].id}, writes.seen
    after = rows(instance_id)
    assert (after["a"].state, after["a"].completed_by, after["a"].completed_at) == (
        "COMPLETED", "boss", at("2021-03-15T10:00:00+03:00"))
    assert (after["b"].state, after["b"].completed_at, after["b"].created_at) == (
        "READY", None, before["b"].created_at)


def test_a_ready_task_dropped_from_the_tree_is_cancelled_with_its_time(app, clock_at, deploy_xml):
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(linear('<bpmn:userTask id="n1"/>', '<bpmn:userTask id="n2"/>'))
    instance_id = engine.start("p", {}, actor="admin").instance_id
    first = rows(instance_id)["n1"]
    engine.complete(first.id, engine.ensure_user("boss", "admin", None), {})
    second = rows(instance_id)["n2"]
    assert second.state == "READY"

    clock_at("2021-03-15T11:00:00+03:00")
    # A reset to n1 takes n2 out of the tree: its row must not stay READY in someone's inbox.
    resave(instance_id, lambda workflow: workflow.reset_from_task_id(UUID(first.id)))
    db.session.rollback()
    dropped = db.session.get(HumanTask, second.id)
    assert (dropped.state, dropped.completed_at) == ("CANCELLED", at("2021-03-15T11:00:00+03:00"))
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=instance_id)] == ["n1"]


WAITS = process_xml(
    '<bpmn:startEvent id="start"/>\n<bpmn:parallelGateway id="fork"/>\n<bpmn:userTask id="work"/>\n'
    '<bpmn:intermediateCatchEvent id="answer"><bpmn:messageEventDefinition messageRef="m"/>'
    '</bpmn:intermediateCatchEvent>\n<bpmn:parallelGateway id="join"/>\n'
    '<bpmn:intermediateCatchEvent id="moved"><bpmn:signalEventDefinition signalRef="s"/>'
    '</bpmn:intermediateCatchEvent>\n<bpmn:endEvent id="end"/>\n'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>\n'
    '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="work"/>\n'
    '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="answer"/>\n'
    '<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="join"/>\n'
    '<bpmn:sequenceFlow id="f4" sourceRef="answer" targetRef="join"/>\n'
    '<bpmn:sequenceFlow id="f5" sourceRef="join" targetRef="moved"/>\n'
    '<bpmn:sequenceFlow id="f6" sourceRef="moved" targetRef="end"/>',
    extra='<bpmn:message id="m" name="answer"/>\n<bpmn:signal id="s" name="exam_moved"/>\n')


def waits_of(instance_id: int) -> list[tuple]:
    db.session.rollback()
    return [(w.id, w.kind, w.name) for w in db.session.scalars(
        select(InstanceWait).where(InstanceWait.instance_id == instance_id).order_by(InstanceWait.id))]


def test_the_waits_index_is_rewritten_only_when_the_set_changes(app, deploy_xml):
    deploy_xml(WAITS)
    instance_id = engine.start("p", {}, actor="admin").instance_id
    [(row_id, kind, name)] = waits_of(instance_id)
    assert (kind, name) == ("message", "answer")

    [work] = engine.list_tasks(instance_id=instance_id)
    with Writes("instance_wait") as writes:
        engine.complete(work.id, engine.ensure_user("boss", "admin", None), {})
    assert writes.seen == [] and waits_of(instance_id) == [(row_id, "message", "answer")]

    engine.deliver("message", "answer", {})
    assert [(kind, name) for _, kind, name in waits_of(instance_id)] == [("signal", "exam_moved")]
    engine.deliver("signal", "exam_moved", {})
    assert reread(instance_id).status == "completed" and waits_of(instance_id) == []
