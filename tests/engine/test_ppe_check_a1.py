"""Scenario A1 through the service layer: a technical check finds a faulty jammer, the head fixes it, the
re-check passes and ИАО accepts; and the variant where nobody acts and the task escalates twice."""
from datetime import datetime

import pytest

import engine
from engine.models import AuditEvent, HumanTask, Notification, ProcessInstance
from engine.db import db
from tests.engine.a1 import checklist, only, ready, start_check


def test_faulty_jammer_is_fixed_rechecked_and_accepted(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    check = only(instance_id, "checklist")
    assert check.role == "ppe_tech" and check.unit_code == "ppe-17"
    assert check.due_at == datetime.fromisoformat("2021-03-19T23:59:59+03:00")

    result = engine.complete(check.id, org["tech17"], checklist(faulty=["jammer"]))
    [fix] = result.next_tasks
    assert (fix.bpmn_id, fix.role, fix.unit_code) == ("fix_task", "school_head", "school-17")
    assert "Подавитель сигналов" in fix.name
    assert fix.due_at.date().isoformat() == "2021-03-22"  # 15 Mar + 7 days, end of day Moscow time
    notes = db.session.query(Notification).filter_by(role="iao_specialist").all()
    assert len(notes) == 1 and "Подавитель сигналов сотовой связи" in notes[0].text

    clock_at("2021-03-24T12:00:00+03:00")
    result = engine.complete(fix.id, org["head17"], {"action": "Подавитель заменён", "fixed_on": "2021-03-24"})
    [recheck] = result.next_tasks
    assert recheck.bpmn_id == "checklist" and "повторная" in recheck.name

    result = engine.complete(recheck.id, org["tech17"], checklist(checked_on="2021-03-24"))
    [accept] = result.next_tasks
    assert accept.bpmn_id == "accept" and accept.role == "iao_specialist"
    result = engine.complete(accept.id, org["iao"], {"decision": "accept"})
    assert result.status == "completed"

    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.status_text == "готов"
    detail = engine.detail(instance_id)
    assert [c["faults"] for c in detail["data"]["checks"]] == [["Подавитель сигналов сотовой связи"], []]
    done = [(h["bpmn_id"], h["completed_by"]) for h in detail["history"] if h["completed_by"]]
    assert done == [("checklist", "tech17"), ("fix_task", "head17"), ("checklist", "tech17"), ("accept", "iao")]
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(instance_id=instance_id)]
    assert actions.count("complete") == 4 and "start" in actions


def test_unattended_fix_escalates_to_head_of_iao_then_to_head_of_guo(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    clock_at("2021-03-19T10:00:00+03:00")
    result = engine.complete(only(instance_id, "checklist").id, org["tech17"], checklist(faulty=["jammer"]))
    fix = result.next_tasks[0]
    assert fix.due_at.date().isoformat() == "2021-03-26"

    tick = engine.advance_timers(datetime.fromisoformat("2021-03-25T10:00:00+03:00"))
    assert [f["timers"] for f in tick.fired] == [["Напоминание"]]
    assert not ready(instance_id, "fix_escalate_iao")

    engine.advance_timers(datetime.fromisoformat("2021-03-27T10:00:00+03:00"))
    escalated = only(instance_id, "fix_escalate_iao")
    assert escalated.role == "iao_head"
    assert only(instance_id, "fix_task").id == fix.id  # the head keeps the task

    engine.advance_timers(datetime.fromisoformat("2021-03-30T10:00:00+03:00"))
    assert only(instance_id, "fix_escalate_guo").role == "guo_head"
    kinds = [(n.kind, n.role) for n in db.session.query(Notification).order_by(Notification.id)]
    assert ("escalation", "iao_head") in kinds and ("escalation", "guo_head") in kinds

    # The late fix closes both escalations.
    engine.complete(fix.id, org["head17"], {"action": "Заменён с опозданием", "fixed_on": "2021-03-30"})
    assert not ready(instance_id, "fix_escalate_iao") and not ready(instance_id, "fix_escalate_guo")
    assert [t.bpmn_id for t in ready(instance_id)] == ["checklist"]
    states = {t.bpmn_id: t.state for t in db.session.query(HumanTask).filter_by(instance_id=instance_id)}
    assert states["fix_escalate_iao"] == "CANCELLED" and states["fix_escalate_guo"] == "CANCELLED"


def test_each_faulty_item_gets_its_own_fix_task(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    result = engine.complete(only(instance_id, "checklist").id, org["tech17"],
                             checklist(faulty=["jammer", "generator"]))
    assert sorted(t.name.split(" — ")[0] for t in result.next_tasks) == [
        "Устранить: Подавитель сигналов сотовой связи", "Устранить: Электрогенератор"]
    first, second = result.next_tasks
    engine.complete(first.id, org["head17"], {"action": "Исправлено", "fixed_on": "2021-03-16"})
    assert [t.bpmn_id for t in ready(instance_id)] == ["fix_task"]  # the re-check waits for both fixes
    result = engine.complete(second.id, org["head17"], {"action": "Исправлено", "fixed_on": "2021-03-16"})
    assert [t.bpmn_id for t in result.next_tasks] == ["checklist"]


def test_iao_can_return_the_check_for_another_round(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    result = engine.complete(only(instance_id, "checklist").id, org["tech17"], checklist())
    with pytest.raises(engine.InvalidData) as refused:
        engine.complete(result.next_tasks[0].id, org["iao"], {"decision": "recheck"})
    assert "comment" in refused.value.field_errors
    result = engine.complete(result.next_tasks[0].id, org["iao"], {"decision": "recheck", "comment": "Фото нечёткие"})
    assert [t.bpmn_id for t in result.next_tasks] == ["checklist"]
    assert db.session.get(ProcessInstance, instance_id).status_text == "возвращено ИАО на повторную проверку"


def test_a_recheck_that_finds_faults_again_gets_fix_tasks_again(org, clock_at):
    # found by the simulated year: the second round's fixes must not meet the first round's in the MI output
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    check = only(instance_id, "checklist")
    [fix] = engine.complete(check.id, org["tech17"], checklist(faulty=["jammer"])).next_tasks
    [recheck] = engine.complete(fix.id, org["head17"], {"action": "Заменён", "fixed_on": "2021-03-16"}).next_tasks
    [fix_again] = engine.complete(recheck.id, org["tech17"], checklist(faulty=["generator"])).next_tasks
    assert fix_again.bpmn_id == "fix_task" and "Электрогенератор" in fix_again.name
    [last] = engine.complete(fix_again.id, org["head17"], {"action": "Починен", "fixed_on": "2021-03-17"}).next_tasks
    assert last.bpmn_id == "checklist"
    assert db.session.get(ProcessInstance, instance_id).status == "running"


def test_the_recheck_is_due_after_the_fix_it_checks(org, clock_at):
    # issue 10 §11: the head recorded the fix for 22.03 (the day the technician comes); the re-check was due
    # 19.03, before the fix it checks. It is due recheck_days after the fix, or after today if that is later.
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    [fix] = engine.complete(only(instance_id, "checklist").id, org["tech17"],
                            checklist(faulty=["jammer"], checked_on="2021-03-15")).next_tasks
    assert fix.due_at.date().isoformat() == "2021-03-22"
    clock_at("2021-03-16T10:00:00+03:00")
    [recheck] = engine.complete(fix.id, org["head17"], {"action": "Мастер заменит подавитель",
                                                        "fixed_on": "2021-03-22"}).next_tasks
    assert recheck.due_at.date().isoformat() == "2021-03-25"


def test_a_fix_recorded_today_is_rechecked_within_recheck_days_of_today(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    first, second = engine.complete(only(instance_id, "checklist").id, org["tech17"],
                                    checklist(faulty=["jammer", "generator"], checked_on="2021-03-15")).next_tasks
    engine.complete(first.id, org["head17"], {"action": "Заменён", "fixed_on": "2021-03-17"})
    clock_at("2021-03-18T10:00:00+03:00")
    [recheck] = engine.complete(second.id, org["head17"], {"action": "Починен", "fixed_on": "2021-03-14"}).next_tasks
    assert recheck.due_at.date().isoformat() == "2021-03-21"  # the later of today (18.03) and the fixes, + 3


def test_a_check_date_in_the_future_is_refused(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    check = only(instance_id, "checklist")
    with pytest.raises(engine.InvalidData) as refused:
        engine.complete(check.id, org["tech17"], checklist(checked_on="2021-03-16"))
    assert refused.value.field_errors == {"checked_on": ["Дата проверки не может быть позже сегодняшнего дня."]}
    assert engine.complete(check.id, org["tech17"], checklist(checked_on="2021-03-15")).next_tasks


def test_the_recheck_shows_what_the_head_did_and_drops_the_old_fault_comment(org, clock_at):
    from engine.service.views import task_page
    from webui.instructions import render
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    [fix] = engine.complete(only(instance_id, "checklist").id, org["tech17"],
                            checklist(faulty=["jammer"], checked_on="2021-03-15")).next_tasks
    [recheck] = engine.complete(fix.id, org["head17"], {"action": "Подавитель заменён на новый",
                                                        "fixed_on": "2021-03-15"}).next_tasks
    page = task_page(recheck.id, org["tech17"])
    shown = str(render(page.instructions, page.data))
    assert "Подавитель сигналов сотовой связи: Подавитель заменён на новый (15.03.2021)" in shown

    # The form comes back with round 1's answers: the jammer faulty with its comment. Switched to «Исправно»,
    # the comment typed for the fault is not kept.
    assert page.data["checklist"]["jammer"]["comment"] == "jammer: не работает"
    data = checklist(checked_on="2021-03-15")
    data["jammer"] = {"status": "ok", "comment": "jammer: не работает"}
    engine.complete(recheck.id, org["tech17"], data)
    assert engine.detail(instance_id)["data"]["checklist"]["jammer"] == {"status": "ok", "comment": None,
                                                                        "photo": None}
