"""Guards on human tasks: invalid form data, a task completed twice or before its turn, a task completed by someone
it is not offered to, and tasks of instances that cannot move. Each is refused with its own error, and the instance
is left exactly as it was (state, task rows, data); the refused attempts by other people are audited."""
import uuid

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import AuditEvent, HumanTask, ProcessInstance, User
from tests.conftest import process_xml


def props(**values) -> str:
    return ('<bpmn:extensionElements><spiffworkflow:properties>'
            + "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
            + '</spiffworkflow:properties></bpmn:extensionElements>')


# start → check (ppe_tech; its post-script counts rounds) → review (iao_specialist, form "escalation")
#       → fix (ppe_tech, form "ppe_fix") → end; started for unit ppe-17.
GUARDED = process_xml(
    '<bpmn:startEvent id="start"/>\n'
    '<bpmn:scriptTask id="init"><bpmn:script>rounds = 0</bpmn:script></bpmn:scriptTask>\n'
    '<bpmn:userTask id="check" name="Check the PPE"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="role" value="ppe_tech"/></spiffworkflow:properties>'
    '<spiffworkflow:postScript>rounds = rounds + 1</spiffworkflow:postScript></bpmn:extensionElements>'
    '</bpmn:userTask>\n'
    '<bpmn:userTask id="review" name="Review">' + props(role="iao_specialist", form="escalation") + '</bpmn:userTask>\n'
    '<bpmn:userTask id="fix" name="Fix">' + props(role="ppe_tech", form="ppe_fix") + '</bpmn:userTask>\n'
    '<bpmn:endEvent id="end"/>\n'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="init"/>\n'
    '<bpmn:sequenceFlow id="f1" sourceRef="init" targetRef="check"/>\n'
    '<bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="review"/>\n'
    '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="fix"/>\n'
    '<bpmn:sequenceFlow id="f4" sourceRef="fix" targetRef="end"/>', "guarded")


@pytest.fixture
def org(app):
    """The demo organisation's units and A1 users (same logins, roles and units as `tests.conftest.org`), without
    passwords: hashing nine demo passwords would be most of this file's run time."""
    from cli.city import DEPARTMENTS
    from cli.demo import USERS
    from engine import store
    with store.transaction():
        for code, name, kind, parent in DEPARTMENTS:
            engine.ensure_unit(code, name, kind, parent)
        for n in (12, 17):
            engine.ensure_unit(f"school-{n}", f"School {n}", "school", "guo")
            engine.ensure_unit(f"ppe-{n}", f"PPE {n}", "ppe", "guo", host=f"school-{n}")
    return {login: engine.ensure_user(login, role, unit, full_name=name) for login, role, unit, name in USERS}


@pytest.fixture
def guarded(org):
    engine.deploy([("guarded.bpmn", GUARDED)], actor="admin")
    return engine.start("guarded", {"ppe": "17"}, unit="ppe-17", actor="iao").instance_id


def snapshot(instance_id: int) -> dict:
    db.session.rollback()
    instance = db.session.get(ProcessInstance, instance_id)
    tasks = [(t.id, t.bpmn_id, t.state, t.assignee_id, t.completed_by, t.completed_at) for t in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.seq))]
    return {"state": instance.state, "status": instance.status, "error": instance.error,
            "lock_version": instance.lock_version, "tasks": tasks, "detail": engine.detail(instance_id)}


def ready(instance_id: int, bpmn_id: str) -> HumanTask:
    found = [t for t in engine.list_tasks(instance_id=instance_id) if t.bpmn_id == bpmn_id]
    assert len(found) == 1, [(t.bpmn_id, t.state) for t in engine.list_tasks(instance_id=instance_id)]
    return found[0]


def audit(instance_id: int, action: str | None = None) -> list[tuple[str, str, str | None]]:
    db.session.rollback()
    query = select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    return [(e.action, e.actor, e.bpmn_id) for e in db.session.scalars(query) if action in (None, e.action)]


def refused(instance_id: int, error, call, *args):
    """Run a refused call and check that nothing about the instance changed."""
    before = snapshot(instance_id)
    with pytest.raises(error) as info:
        call(*args)
    assert snapshot(instance_id) == before
    return info.value


# --- invalid form data --------------------------------------------------------------------------------------------

def test_invalid_form_data_is_refused_field_by_field_and_changes_nothing(guarded, org):
    engine.complete(ready(guarded, "check").id, org["tech17"], {})
    review = ready(guarded, "review")
    assert review.form_key == "escalation"
    for data, field in (({}, "measures"), ({"measures": "ab"}, "measures"), ({"measures": None}, "measures"),
                        ({"measures": "x" * 2001}, "measures"), ({"measures": "ok, called", "_getattr_": 1},
                                                                  "_getattr_")):
        error = refused(guarded, engine.InvalidData, engine.complete, review.id, org["iao"], data)
        assert list(error.field_errors) == [field] and error.field_errors[field]
        assert error.problems() and field in error.message
    assert audit(guarded, "complete") == [("complete", "tech17", "check")]

    result = engine.complete(review.id, org["iao"], {"measures": "Called the PPE head"})
    assert [t.bpmn_id for t in result.next_tasks] == ["fix"]
    assert engine.detail(guarded)["data"]["escalation"] == {"measures": "Called the PPE head"}


def test_invalid_dates_and_unknown_file_references_are_refused(guarded, org):
    engine.complete(ready(guarded, "check").id, org["tech17"], {})
    engine.complete(ready(guarded, "review").id, org["iao"], {"measures": "Called the PPE head"})
    fix = ready(guarded, "fix")
    cases = [({"action": "Replaced", "fixed_on": "31.02.2021"}, {"fixed_on"}),
             ({"action": ["not", "text"], "fixed_on": 5}, {"action", "fixed_on"}),
             ({"action": "Replaced", "fixed_on": "2021-03-16", "document": "x"}, {"document"}),
             ({"action": "Replaced", "fixed_on": "2021-03-16", "document": {"attachment_id": 424242}},
              {"attachment"})]
    for data, fields in cases:
        error = refused(guarded, engine.InvalidData, engine.complete, fix.id, org["tech17"], data)
        assert set(error.field_errors) == fields, error.field_errors


@pytest.mark.parametrize("data", [["a", "list"], "text", 42], ids=["list", "string", "number"])
def test_data_that_is_not_an_object_is_refused(guarded, org, data):
    error = refused(guarded, engine.InvalidData, engine.complete, ready(guarded, "check").id, org["tech17"], data)
    assert list(error.field_errors) == ["data"]


# --- completed twice, or before its turn --------------------------------------------------------------------------

def test_a_task_completed_twice_is_refused_and_its_post_script_does_not_run_again(guarded, org):
    check = ready(guarded, "check")
    engine.complete(check.id, org["tech17"], {"note": "first"})
    assert engine.detail(guarded)["data"]["rounds"] == 1
    error = refused(guarded, engine.TaskNotReady, engine.complete, check.id, org["tech17"], {"note": "second"})
    assert "Check the PPE" in error.message
    data = engine.detail(guarded)["data"]
    assert data["rounds"] == 1 and data["note"] == "first"
    assert audit(guarded, "complete") == [("complete", "tech17", "check")]
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=guarded)] == ["review"]
    # An administrator cannot complete it again either.
    refused(guarded, engine.TaskNotReady, engine.complete, check.id, org["admin"], {})


def test_a_task_that_is_not_ready_yet_cannot_be_completed(guarded, org):
    rows = {t.bpmn_id: t for t in engine.list_tasks(instance_id=guarded, all_states=True)}
    assert rows["check"].state == "READY" and rows["review"].state == "WAITING"
    # The library would run it out of order and leave two tokens (notes §8.2); the engine refuses.
    refused(guarded, engine.TaskNotReady, engine.complete, rows["review"].id, org["iao"], {"measures": "early!"})
    refused(guarded, engine.TaskNotReady, engine.complete, rows["review"].id, org["admin"], {"measures": "early!"})
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=guarded)] == ["check"]


def test_unknown_task_ids_are_not_found(guarded, org):
    for task_id in (str(uuid.uuid4()), "not-a-uuid", ""):
        refused(guarded, engine.NotFound, engine.complete, task_id, org["tech17"], {})


# --- completed by someone else ------------------------------------------------------------------------------------

@pytest.mark.parametrize("login", ["tech12", "head17", "iao", "guo_head", "designer"])
def test_a_task_offered_to_another_role_or_unit_is_refused_and_audited(guarded, org, login):
    check = ready(guarded, "check")
    assert (check.role, check.unit_code) == ("ppe_tech", "ppe-17")
    error = refused(guarded, engine.PermissionDenied, engine.complete, check.id, org[login], {"note": "mine"})
    assert error.message
    assert audit(guarded, "denied") == [("denied", login, "check")]
    assert "note" not in engine.detail(guarded)["data"]
    result = engine.complete(check.id, org["tech17"], {"note": "real"})
    assert [t.bpmn_id for t in result.next_tasks] == ["review"]


def test_a_task_claimed_by_a_colleague_cannot_be_taken_over(guarded, org):
    colleague = engine.ensure_user("tech17b", "ppe_tech", "ppe-17")
    check = ready(guarded, "check")
    engine.claim(check.id, org["tech17"])

    refused(guarded, engine.PermissionDenied, engine.complete, check.id, colleague, {"note": "colleague"})
    refused(guarded, engine.ConflictError, engine.claim, check.id, colleague)
    refused(guarded, engine.PermissionDenied, engine.unclaim, check.id, colleague)
    assert [a[1] for a in audit(guarded, "denied")] == ["tech17b", "tech17b"]  # the completion and the release
    assert db.session.get(HumanTask, check.id).assignee_id == org["tech17"].id

    engine.unclaim(check.id, org["tech17"])
    engine.complete(check.id, colleague, {"note": "colleague"})
    assert db.session.get(HumanTask, check.id).completed_by == "tech17b"


def test_a_deactivated_user_cannot_complete(guarded, org):
    user = db.session.get(User, org["tech17"].id)
    user.active = False
    db.session.commit()
    refused(guarded, engine.PermissionDenied, engine.complete, ready(guarded, "check").id, user, {})
    refused(guarded, engine.PermissionDenied, engine.claim, ready(guarded, "check").id, user)


# --- instances that cannot move -----------------------------------------------------------------------------------

def test_tasks_of_a_suspended_instance_wait_for_resume(guarded, org):
    engine.suspend(guarded, "iao")
    check = ready(guarded, "check")
    refused(guarded, engine.InvalidState, engine.complete, check.id, org["tech17"], {})
    engine.resume(guarded, "iao")
    assert engine.complete(check.id, org["tech17"], {}).status == "running"


def test_tasks_of_a_cancelled_instance_are_closed(guarded, org):
    check = ready(guarded, "check")
    engine.cancel(guarded, "iao")
    assert engine.list_tasks(instance_id=guarded) == []
    refused(guarded, engine.TaskNotReady, engine.complete, check.id, org["tech17"], {})
    refused(guarded, engine.InvalidState, engine.cancel, guarded, "iao")


def test_tasks_of_an_instance_in_error_wait_for_the_retry(org):
    engine.deploy([("split.bpmn", process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:parallelGateway id="fork"/>\n<bpmn:userTask id="left"/>\n'
        '<bpmn:userTask id="right"/>\n<bpmn:scriptTask id="calc"><bpmn:script>total = amount * 2</bpmn:script>'
        '</bpmn:scriptTask>\n<bpmn:parallelGateway id="join"/>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="left"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="right"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="left" targetRef="calc"/>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="calc" targetRef="join"/>\n'
        '<bpmn:sequenceFlow id="f5" sourceRef="right" targetRef="join"/>\n'
        '<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>', "split"))], actor="admin")
    instance_id = engine.start("split", {}, actor="admin").instance_id
    left, right = ready(instance_id, "left"), ready(instance_id, "right")
    with pytest.raises(engine.ProcessError) as info:
        engine.complete(left.id, org["admin"], {"note": "no amount"})
    assert "элемент «calc»" in info.value.message and "amount" in info.value.message
    before = snapshot(instance_id)
    assert before["status"] == "error" and before["error"] == info.value.message
    assert {t.bpmn_id for t in engine.list_tasks(instance_id=instance_id)} == {"left", "right"}  # last good state

    refused(instance_id, engine.InvalidState, engine.complete, right.id, org["admin"], {})
    refused(instance_id, engine.InvalidState, engine.suspend, instance_id, "admin")
    engine.retry(instance_id, "admin", corrections={"amount": 21})
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=instance_id)] == ["right"]
    assert engine.complete(right.id, org["admin"], {}).status == "completed"
    assert engine.detail(instance_id)["data"]["total"] == 42
