"""engine.access: who a task is offered to and who may act on it (role and unit, a claim by someone else, the
administrator, a deputy during an absence), who may see an instance, and that every refusal is recorded in the
audit trail, in its own transaction, whatever the caller does next."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
from engine import access
from engine.db import db
from engine.models import AuditEvent, HumanTask, ProcessInstance, User
from tests.conftest import linear
from tests.engine import test_task_guards as guards

# The fixtures of the task guards' tests: the demo's A1 users, and an instance whose first task is ppe-17's check.
org, guarded, ready = guards.org, guards.guarded, guards.ready


def user(login: str) -> User:
    return engine.user_by_login(login)


def denials() -> list[tuple]:
    db.session.rollback()  # what is left after the caller's transaction is gone: only what was committed
    return [(e.actor, e.message, e.instance_id, e.task_id) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "denied").order_by(AuditEvent.id))]


# --- tasks --------------------------------------------------------------------------------------------------------

def test_a_task_is_offered_to_its_role_in_its_unit(guarded, org):
    check = ready(guarded, "check")
    instance = db.session.get(ProcessInstance, guarded)
    assert (check.role, check.unit_code) == ("ppe_tech", "ppe-17")
    offered = {login for login in org if access.offered_to(user(login), check)}
    assert offered == {"tech17"}
    acting = {login for login in org if access.may_act(user(login), check)}
    assert acting == {"tech17", "admin"}  # the administrator may act on anything, unoffered
    seeing = {login for login in org if access.can_view_task(user(login), check, instance)}
    # the city's staff see every task; another PPE's technician and the school's head (no task of theirs) do not
    assert seeing == {"tech17", "admin", "designer", "operator", "guo_head", "iao_head", "iao"}
    assert [t.id for t in engine.list_tasks(user=user("tech17"))] == [check.id]
    assert engine.list_tasks(user=user("tech12")) == []


def test_a_city_wide_role_is_offered_its_tasks_in_every_unit(guarded, org):
    engine.complete(ready(guarded, "check").id, org["tech17"], {})
    review = ready(guarded, "review")
    assert (review.role, review.unit_code) == ("iao_specialist", "ppe-17")
    assert access.offered_to(user("iao"), review) and not access.offered_to(user("iao_head"), review)


def test_a_task_claimed_by_someone_is_theirs_to_act_on(guarded, org):
    colleague = engine.ensure_user("tech17b", "ppe_tech", "ppe-17")
    check = ready(guarded, "check")
    engine.claim(check.id, org["tech17"])
    db.session.rollback()
    check = db.session.get(HumanTask, check.id)
    assert access.offered_to(colleague, check)  # still offered to the role...
    assert not access.may_act(colleague, check)  # ...but the claim holds it
    assert access.may_act(user("tech17"), check) and access.may_act(user("admin"), check)


def test_a_deactivated_user_is_offered_nothing_and_sees_nothing(guarded, org):
    check = ready(guarded, "check")
    tech = user("tech17")
    tech.active = False
    db.session.commit()
    instance = db.session.get(ProcessInstance, guarded)
    assert not access.offered_to(tech, check) and not access.may_act(tech, check)
    assert not access.can_view_task(tech, check, instance) and not access.can_view_instance(tech, instance)
    assert access.visible_instances(tech).items == []


def test_a_deputy_holds_the_absent_users_offers_only_while_the_absence_lasts(guarded, org, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    check = ready(guarded, "check")
    engine.set_absence(org["tech17"], "tech12", date(2021, 3, 15), date(2021, 3, 19))
    engine.set_absence(org["admin"], "tech12", date(2021, 3, 15), date(2021, 3, 19))
    deputy = user("tech12")
    assert access.offered_to(deputy, check) and access.may_act(deputy, check)
    assert ("ppe_tech", "ppe-17", org["tech17"].id) in access.memberships(deputy)
    assert not access.is_admin(deputy)  # the administrator's rights are not handed over
    assert [t.id for t in engine.list_tasks(user=deputy)] == [check.id]

    clock_at("2021-03-20T09:00:00+03:00")
    assert not access.offered_to(user("tech12"), check)
    assert engine.list_tasks(user=user("tech12")) == []


# --- instances ----------------------------------------------------------------------------------------------------

def test_an_instance_is_seen_by_its_unit_and_the_city(guarded, org):
    instance = db.session.get(ProcessInstance, guarded)
    seeing = {login for login in org if access.can_view_instance(user(login), instance)}
    assert seeing == {"tech17", "admin", "designer", "operator", "guo_head", "iao_head", "iao"}
    for login in org:
        listed = [i.id for i in access.visible_instances(user(login)).items]
        assert listed == ([guarded] if login in seeing else []), login


def test_a_host_school_sees_its_ppes_instance_where_a_task_is_offered_to_it(org):
    # A PPE's instance where the host school has a task (the fix of a fault), as in the PPE check.
    engine.deploy([("host.bpmn", linear(
        '<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="role" value="school_head"/>'
        '<spiffworkflow:property name="unit" value="gia_unit[\'host\']"/>'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>', process_id="host"))], actor="admin")
    hosted = engine.start("host", {}, unit="ppe-17", actor="iao").instance_id
    instance = db.session.get(ProcessInstance, hosted)
    assert access.can_view_instance(user("head17"), instance)
    assert not access.can_view_instance(user("head12"), instance)
    assert [i.id for i in access.visible_instances(user("head17")).items] == [hosted]


# --- refusals are recorded ----------------------------------------------------------------------------------------

def test_reading_a_task_or_instance_one_may_not_see_is_not_found_and_recorded(guarded, org):
    check = ready(guarded, "check")
    assert access.readable_task(check.id, user("tech17")).id == check.id
    assert access.readable_instance(guarded, user("tech17")).id == guarded
    assert denials() == []

    with pytest.raises(engine.NotFound):
        access.readable_task(check.id, user("tech12"))
    with pytest.raises(engine.NotFound):
        access.readable_instance(guarded, user("head17"))
    assert denials() == [("tech12", "view task", guarded, check.id), ("head17", "view instance", guarded, None)]

    # An id that names nothing is not found either, and there is no attempt on anything to record.
    for missing in ("00000000-0000-0000-0000-000000000000", "x" * 80):
        with pytest.raises(engine.NotFound):
            access.readable_task(missing, user("tech12"))
    with pytest.raises(engine.NotFound):
        access.readable_instance(access.MAX_ID + 1, user("tech12"))
    assert len(denials()) == 2


def test_refuse_conceal_and_record_denied_write_the_audit_row_in_their_own_transaction(guarded, org):
    check = ready(guarded, "check")
    with pytest.raises(engine.PermissionDenied):
        access.refuse(user("tech12"), "complete", instance_id=guarded, task=check)
    hidden = engine.NotFound("Instance %(id)s not found.", id=guarded)
    with pytest.raises(engine.NotFound) as info:
        access.conceal(user("head12"), "view instance", hidden, instance_id=guarded)
    assert info.value is hidden
    access.record_denied(user("head17"), "download file", instance_id=guarded)
    assert denials() == [("tech12", "complete", guarded, check.id), ("head12", "view instance", guarded, None),
                         ("head17", "download file", guarded, None)]
