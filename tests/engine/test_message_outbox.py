"""The message outbox (issue 12 §1): what a step throws for other instances is written in the step's transaction
and delivered after its commit, each row once, so that a process killed between the department's commit and the
end of its routing loses no school, and two drainers never start a school twice."""
import threading

import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, MessageOutbox, ProcessInstance
from engine.service import routing

from tests.conftest import BPMN_HEADER
from tests.engine.plan_patterns import only

SCHOOLS = [f"school-{n}" for n in range(1, 7)]


def collection(after_send: str = "") -> bytes:
    """A department process whose task `prepare` sends one school_request per school (a multi-instance send task),
    and a school process started by each of them. `after_send`: a script run right after the sending."""
    script = f'<bpmn:scriptTask id="after"><bpmn:script>{after_send or "sent = True"}</bpmn:script></bpmn:scriptTask>'
    return (BPMN_HEADER + '<bpmn:message id="m_req" name="school_request"/>\n'
            '<bpmn:process id="dept" isExecutable="true">\n'
            '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="prepare"/>\n'
            '<bpmn:sendTask id="send" messageRef="m_req"><bpmn:extensionElements><spiffworkflow:messagePayload>'
            "{'ref': ref, 'school': school}</spiffworkflow:messagePayload></bpmn:extensionElements>"
            '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>schools</bpmn:loopDataInputRef>'
            '<bpmn:inputDataItem id="school" name="school"/></bpmn:multiInstanceLoopCharacteristics></bpmn:sendTask>\n'
            f'{script}\n<bpmn:userTask id="wait"/>\n<bpmn:endEvent id="end"/>\n'
            '<bpmn:sequenceFlow id="d0" sourceRef="start" targetRef="prepare"/>\n'
            '<bpmn:sequenceFlow id="d1" sourceRef="prepare" targetRef="send"/>\n'
            '<bpmn:sequenceFlow id="d2" sourceRef="send" targetRef="after"/>\n'
            '<bpmn:sequenceFlow id="d3" sourceRef="after" targetRef="wait"/>\n'
            '<bpmn:sequenceFlow id="d4" sourceRef="wait" targetRef="end"/>\n</bpmn:process>\n'
            '<bpmn:process id="school_part" isExecutable="true">\n'
            '<bpmn:startEvent id="s_start"><bpmn:messageEventDefinition messageRef="m_req"><bpmn:extensionElements>'
            '<spiffworkflow:messageVariable>request</spiffworkflow:messageVariable></bpmn:extensionElements>'
            '</bpmn:messageEventDefinition></bpmn:startEvent>\n'
            '<bpmn:userTask id="work"/>\n<bpmn:endEvent id="s_end"/>\n'
            '<bpmn:sequenceFlow id="s0" sourceRef="s_start" targetRef="work"/>\n'
            '<bpmn:sequenceFlow id="s1" sourceRef="work" targetRef="s_end"/>\n</bpmn:process>\n'
            '</bpmn:definitions>\n').encode()


@pytest.fixture
def boss(app):
    return engine.ensure_user("boss", "admin", None)


def send_out(boss, content=None) -> int:
    """Deploy the collection, start the department's instance and complete `prepare`: the step that sends."""
    engine.deploy([("collection.bpmn", content or collection())], actor="admin")
    dept = engine.start("dept", {"schools": SCHOOLS, "ref": "r1"}, actor="boss").instance_id
    engine.complete(only(dept, "prepare").id, boss)
    return dept


def schools_started(dept) -> list[str]:
    """The school each school instance of `dept` was started for, one entry per instance."""
    db.session.rollback()
    ids = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_id == "school_part",
                                                              ProcessInstance.parent_id == dept)).all()
    found = sorted(engine.detail(i)["data"]["request"]["school"] for i in ids)
    db.session.rollback()  # on SQLite a read holds the write lock (BEGIN IMMEDIATE) until it ends
    return found


def outbox_rows() -> list[MessageOutbox]:
    db.session.rollback()
    rows = db.session.scalars(select(MessageOutbox).order_by(MessageOutbox.id)).all()
    db.session.rollback()
    return rows


class Killed(BaseException):
    """The process dies: nothing after it runs (not even an `except Exception`)."""


def interrupted_after(monkeypatch, k: int, crash):
    """Make the delivery of the (k+1)-th message and every later one raise `crash`."""
    real, calls = routing.deliver, []

    def deliver(*args, **kwargs):
        calls.append(args[1])
        if len(calls) > k:
            raise crash
        return real(*args, **kwargs)
    monkeypatch.setattr(routing, "deliver", deliver)


def test_a_process_killed_while_routing_leaves_the_rest_in_the_outbox_and_the_sweep_starts_each_school_once(
        app, boss, monkeypatch):
    interrupted_after(monkeypatch, 2, Killed())
    with pytest.raises(Killed):
        send_out(boss)
    db.session.rollback()  # the process is gone, and its connection with it
    monkeypatch.undo()
    dept = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "dept"))
    assert schools_started(dept) == SCHOOLS[:2]
    left = outbox_rows()
    assert [row.payload["school"] for row in left] == SCHOOLS[2:]
    assert {(row.kind, row.name, row.source_instance_id, row.actor, row.depth) for row in left} == {
        ("message", "school_request", dept, "boss", 0)}

    result = engine.drain_outbox(min_age_seconds=0)
    assert (result.delivered, result.failed) == (len(SCHOOLS) - 2, [])
    assert schools_started(dept) == SCHOOLS
    assert outbox_rows() == []
    assert engine.drain_outbox(min_age_seconds=0).delivered == 0
    assert schools_started(dept) == SCHOOLS


def test_a_process_killed_right_after_a_delivery_committed_does_not_deliver_it_again(app, boss, monkeypatch):
    """The row goes with the receiving step's commit, not after it: killed in between, the school is not started
    twice."""
    real, calls = routing.start, []

    def start(*args, **kwargs):
        started = real(*args, **kwargs)  # the school's instance has committed
        calls.append(started)
        if len(calls) == 3:
            raise Killed()
        return started
    monkeypatch.setattr(routing, "start", start)
    with pytest.raises(Killed):
        send_out(boss)
    db.session.rollback()
    monkeypatch.undo()
    dept = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "dept"))
    assert schools_started(dept) == SCHOOLS[:3]
    assert [row.payload["school"] for row in outbox_rows()] == SCHOOLS[3:]
    assert engine.drain_outbox(min_age_seconds=0).delivered == len(SCHOOLS) - 3
    assert schools_started(dept) == SCHOOLS


def test_a_delivery_that_breaks_is_kept_with_its_error_and_the_sender_step_still_succeeds(app, boss, monkeypatch):
    interrupted_after(monkeypatch, 4, RuntimeError("the broker fell over"))
    dept = send_out(boss)  # the department's step has committed: the user sees no error
    assert only(dept, "wait")
    assert schools_started(dept) == SCHOOLS[:4]
    left = outbox_rows()
    assert [(row.payload["school"], row.attempts, row.last_error) for row in left] == [
        (school, 1, "RuntimeError: the broker fell over") for school in SCHOOLS[4:]]
    assert engine.outbox_backlog()["pending"] == 2 and engine.outbox_backlog()["failing"] == 2
    assert engine.drain_outbox(min_age_seconds=3600).delivered == 0  # not stale yet
    monkeypatch.undo()
    assert engine.drain_outbox(min_age_seconds=0).delivered == 2
    assert schools_started(dept) == SCHOOLS
    assert engine.outbox_backlog() == {"pending": 0, "failing": 0, "given_up": 0, "oldest_seconds": None}


def test_a_step_rolled_back_leaves_nothing_in_the_outbox(app, boss):
    with pytest.raises(engine.ProcessError):
        send_out(boss, collection(after_send="x = 1 / 0"))
    db.session.rollback()
    dept = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "dept"))
    assert engine.detail(dept)["status"] == "error"
    assert outbox_rows() == [] and schools_started(dept) == []
    assert engine.drain_outbox(min_age_seconds=0).delivered == 0 and schools_started(dept) == []


def test_past_the_inline_limit_the_rest_is_left_to_a_worker(app, boss, monkeypatch):
    app.config["GIA_OUTBOX_INLINE_LIMIT"] = 2
    woken = []
    monkeypatch.setattr(routing, "_wake_worker", woken.extend)
    dept = send_out(boss)
    assert schools_started(dept) == SCHOOLS[:2]
    assert woken == [row.id for row in outbox_rows()] and len(woken) == len(SCHOOLS) - 2
    assert routing.drain(woken, inline_limit=len(woken)).delivered == len(SCHOOLS) - 2  # what gia.drain_outbox does
    assert schools_started(dept) == SCHOOLS and outbox_rows() == []


def test_a_message_nobody_waits_for_is_recorded_once_and_leaves_the_outbox(app, boss):
    content = collection().replace(b'name="school_request"', b'name="school_request"/>\n'
                                   b'<bpmn:message id="m_none" name="nobody_listens"', 1)
    content = content.replace(b'<bpmn:sendTask id="send" messageRef="m_req">',
                              b'<bpmn:sendTask id="send" messageRef="m_none">')
    dept = send_out(boss, content)
    assert outbox_rows() == [] and schools_started(dept) == []
    lost = db.session.scalar(select(func.count()).where(AuditEvent.action == "message_unrouted",
                                                        AuditEvent.instance_id == dept))
    assert lost == len(SCHOOLS)


def test_two_drainers_deliver_each_row_once(app, boss, monkeypatch):
    dept = left_behind(boss, monkeypatch)
    assert schools_started(dept) == []
    start, results, errors = threading.Barrier(2), [], []

    def drainer():
        try:
            with app.app_context():
                start.wait()
                results.append(engine.drain_outbox(min_age_seconds=0))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=drainer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.delivered for r in results) == len(SCHOOLS) and all(r.failed == [] for r in results)
    assert schools_started(dept) == SCHOOLS
    assert outbox_rows() == []


def left_behind(boss, monkeypatch) -> int:
    """The department's step commits and its process dies before delivering anything."""
    monkeypatch.setattr(routing, "drain", lambda ids, inline_limit=None: routing.DrainResult())
    dept = send_out(boss)
    monkeypatch.undo()
    assert len(outbox_rows()) == len(SCHOOLS)
    return dept


def test_the_beat_sweep_on_the_plan_queue_delivers_what_a_killed_process_left(app, boss, monkeypatch):
    from engine import jobs
    celery = app.extensions["celery"]
    assert celery.conf.beat_schedule["drain-outbox"]["task"] == "gia.drain_outbox"
    assert celery.conf.task_routes["gia.drain_outbox"]["queue"] == f"{app.config['CELERY_QUEUE']}.plan"
    dept = left_behind(boss, monkeypatch)
    assert jobs.drain_outbox.apply().get() == {"delivered": 0, "skipped": 0, "failed": 0}  # too fresh: not left
    app.config["GIA_OUTBOX_STALE_SECONDS"] = 0
    assert jobs.drain_outbox.apply().get() == {"delivered": len(SCHOOLS), "skipped": 0, "failed": 0}
    assert schools_started(dept) == SCHOOLS


def test_timers_tick_delivers_what_a_killed_process_left(app, boss, monkeypatch):
    dept = left_behind(boss, monkeypatch)
    app.config["GIA_OUTBOX_STALE_SECONDS"] = 0
    done = app.test_cli_runner().invoke(args=["gia", "timers", "tick", "--json"])
    assert done.exit_code == 0, done.output
    assert schools_started(dept) == SCHOOLS and outbox_rows() == []
