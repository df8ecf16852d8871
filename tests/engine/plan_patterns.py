"""Helpers for the plan patterns (plan_school_report, plan_dept_task, plan_order, plan_year_activity): deploy
them, start them with the starter's contract, move the manual clock and fire timers, and a few more users than
the A1 organisation has."""
import io
from datetime import datetime

import pytest
from sqlalchemy import select

import engine
from engine import attachments, store
from engine.db import db
from engine.models import AuditEvent, HumanTask, Notification, ProcessInstance
from tests.conftest import PROCESSES, deploy_files

PATTERNS = ("plan_school_report", "plan_dept_task", "plan_order", "plan_order_ack", "plan_year_activity")
PLAN_4_13 = {"number": "4.13", "title": "Проведение родительских собраний по вопросам ГИА", "section": 4}


def deploy_patterns():
    """The four patterns with the A1 process, deployed together as the demo does (ids must not collide)."""
    return deploy_files(*(PROCESSES / f"{name}.bpmn" for name in (*PATTERNS, "ppe_tech_check")))


def start_pattern(process_id, *, unit="guo", plan_item=PLAN_4_13, starts="2020-12-01", due="2020-12-07",
                  lead_role="iao_specialist", escalate_to="iao_head", params=None, actor="iao"):
    """Start a pattern with the start data contract of the plan's starter; returns the instance id."""
    data = {"plan_item": plan_item, "starts": starts, "due": due, "lead_role": lead_role,
            "escalate_to": escalate_to, "params": params or {}}
    return engine.start(process_id, data, unit=unit, actor=actor).instance_id


def add_users():
    """Users for the roles the A1 organisation lacks (its heads of schools 12 and 17 are there already)."""
    for login, role, unit in (("head33", "school_head", "school-33"), ("head8", "school_head", "school-8"),
                              ("mo", "mo_specialist", "mo"), ("deputy", "guo_deputy", "guo")):
        engine.ensure_user(login, role, unit)  # no password: hashing is slow
    return {login: engine.user_by_login(login) for login in ("head33", "head8", "mo", "deputy")}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def tick(clock_at, moment: str):
    """Move the manual clock to `moment` (Moscow time if no offset is given) and fire what is due."""
    text = moment if "+" in moment[10:] else moment + "+03:00"
    clock_at(text)
    return engine.advance_timers(at(text))


def ready(instance_id, bpmn_id=None, user=None):
    tasks = engine.list_tasks(instance_id=instance_id, user=user)
    return [t for t in tasks if bpmn_id is None or t.bpmn_id == bpmn_id]


def only(instance_id, bpmn_id):
    found = ready(instance_id, bpmn_id)
    assert len(found) == 1, [(t.bpmn_id, t.state) for t in ready(instance_id)]
    return found[0]


def attach(instance_id, name="protocol.pdf", field="document") -> dict:
    """An uploaded file of the instance, as a form's file field refers to it."""
    with store.transaction():
        saved = attachments.store(io.BytesIO(b"%PDF-1.4 test"), name, field, instance_id=instance_id, task_id=None,
                                  actor="test")
        ref = {"attachment_id": saved.id}
    return ref


def started_by_messages(process_id: str) -> dict[str, int]:
    """The instances of `process_id` (started by another instance's messages) by unit code."""
    db.session.rollback()
    return dict(db.session.execute(select(ProcessInstance.unit_code, ProcessInstance.id)
                                   .where(ProcessInstance.process_id == process_id)).tuples().all())


def instance(instance_id) -> ProcessInstance:
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id)


def snapshot(instance_id) -> dict:
    """What a refused submission must leave as it was: the state, status, status text, version and tasks."""
    row = instance(instance_id)
    tasks = [(t.id, t.bpmn_id, t.state, t.role, t.assignee_id, t.completed_at) for t in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.seq))]
    return {"state": row.state, "status": row.status, "status_text": row.status_text,
            "lock_version": row.lock_version, "tasks": tasks}


def refused(instance_id, call, *args) -> engine.InvalidData:
    """Run a call that must be refused with InvalidData and check that the instance did not change."""
    before = snapshot(instance_id)
    with pytest.raises(engine.InvalidData) as info:
        call(*args)
    assert snapshot(instance_id) == before
    return info.value


def messages(error) -> str:
    return " ".join(m for found in error.field_errors.values() for m in found)


def school_heads(org, heads: dict[str, str]) -> dict:
    """Every diagram deployed, as the demo does, and a head for each school in `heads` ({unit: login})."""
    deploy_files(*sorted(PROCESSES.glob("*.bpmn")))
    for code, login in heads.items():
        engine.ensure_user(login, "school_head", code)
    return {**org, **{login: engine.user_by_login(login) for login in heads.values()}}


def notes(kind=None) -> list[tuple[str, str, str | None]]:
    db.session.rollback()
    return [(n.kind, n.role, n.unit_code) for n in db.session.scalars(select(Notification).order_by(Notification.id))
            if kind in (None, n.kind)]


def rows(instance_id) -> dict[str, list[tuple[str, str]]]:
    """Every human task row of the instance: bpmn id -> [(state, role), ...]."""
    found = {}
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                  .order_by(HumanTask.created_at, HumanTask.seq)):
        found.setdefault(row.bpmn_id, []).append((row.state, row.role))
    return found


def unrouted(instance_id) -> list[str]:
    """The messages `instance_id` threw that reached nobody, as the audit trail records them."""
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.message).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "message_unrouted").order_by(AuditEvent.id)))
