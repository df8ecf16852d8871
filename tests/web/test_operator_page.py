"""The instance page for operators (issue 13 §6, §7): an operator sees the variables, the pending timers and what
was handed in, and suspends, edits, resumes, skips, goes back, with a reason kept in the trail; department staff
(iao) may move a task's deadline but not repair (403, audited), a PPE technician neither; another school's head
gets 404 (audited)."""
import html

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.engine.a1 import checklist, only, start_check
from tests.engine.test_repair import FLOW
from tests.web.conftest import csrf, posted

REASON = "по просьбе ППЭ"


@pytest.fixture
def check(site):
    """PPE №17's check, its checklist open (due 19.03.2031)."""
    instance_id = start_check("ppe-17", due="2031-03-19")
    return instance_id, only(instance_id, "checklist")


def status(instance_id) -> str:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id).status


def audited(instance_id, action) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                            AuditEvent.action == action)))


def post(client, url, page, **data):
    return client.post(url, data={"csrf_token": csrf(client.get(page)), **data}, follow_redirects=True)


def test_an_operator_sees_the_inside_and_repairs_with_a_reason(site, check):
    instance_id, checklist_task = check
    page_url = f"/instances/{instance_id}"
    operator = site("operator")
    page = html.unescape(operator.get(page_url).get_data(as_text=True))
    assert '"check_due": "2031-03-19"' in page  # the variables as JSON
    assert "Напоминание" in page and "19.03.2031" in page  # the reminder timer, the due date
    assert f"/instances/{instance_id}/suspend" in page and f"/tasks/{checklist_task.id}/skip" in page
    assert f"/instances/{instance_id}/data" not in page  # edited only while suspended

    refused = post(operator, f"{page_url}/suspend", page_url, reason="")
    assert status(instance_id) == "running" and "3" in refused.get_data(as_text=True)
    post(operator, f"{page_url}/suspend", page_url, reason=REASON)
    assert status(instance_id) == "suspended"
    page = operator.get(page_url).get_data(as_text=True)
    assert f"/instances/{instance_id}/data" in page and f"/instances/{instance_id}/resume" in page
    post(operator, f"{page_url}/data", page_url, values='{"fix_days": 9}', reason=REASON)
    assert engine.detail(instance_id)["data"]["fix_days"] == 9 and status(instance_id) == "suspended"
    assert audited(instance_id, "edit_data")[0].summary["before"] == {"fix_days": 7}
    post(operator, f"{page_url}/resume", page_url, reason=REASON)
    assert status(instance_id) == "running"

    tech = site("tech17")
    form = {"csrf_token": csrf(tech.get(f"/tasks/{checklist_task.id}")), **posted(checklist())}
    assert tech.post(f"/tasks/{checklist_task.id}", data=form).status_code == 302
    page = html.unescape(operator.get(page_url).get_data(as_text=True))
    assert '"checked_on": "2021-03-15"' in page  # what was handed in, with its data


def test_an_operator_skips_a_task_and_goes_back_to_one_the_process_still_keeps(site):
    engine.deploy([("repair_flow.bpmn", FLOW)], actor="admin")
    instance_id = engine.start("p", {"due": "2031-03-25", "until": "2031-04-01T09:00:00+03:00"}, unit="school-17",
                               actor="admin").instance_id
    fill = only(instance_id, "fill")
    page_url = f"/instances/{instance_id}"
    operator = site("operator")
    done = post(operator, f"{page_url}/tasks/{fill.id}/skip", page_url, reason="не требуется в этом году")
    assert "не требуется в этом году" in done.get_data(as_text=True)  # the trail shows the reason
    db.session.expire_all()
    assert (db.session.get(HumanTask, fill.id).completed_by, status(instance_id)) == ("operator", "running")
    assert only(instance_id, "check").state == "READY"

    page = operator.get(page_url).get_data(as_text=True)
    assert f"/tasks/{fill.id}/back" in page and "Вернуться можно только" in page
    post(operator, f"{page_url}/tasks/{fill.id}/back", page_url, reason=REASON)
    db.session.expire_all()
    assert db.session.get(HumanTask, fill.id).state == "READY" and status(instance_id) == "running"
    assert [e.summary["reason"] for e in audited(instance_id, "go_back")] == [REASON]


def test_department_staff_move_a_deadline_but_may_not_repair(site, check):
    instance_id, checklist_task = check
    page_url = f"/instances/{instance_id}"
    iao = site("iao")
    page = iao.get(page_url).get_data(as_text=True)
    assert f"/tasks/{checklist_task.id}/due" in page and f"/tasks/{checklist_task.id}/skip" not in page
    post(iao, f"{page_url}/tasks/{checklist_task.id}/due", page_url, due="2031-03-26", reason=REASON)
    db.session.expire_all()
    assert db.session.get(HumanTask, checklist_task.id).due_at.date().isoformat() == "2031-03-26"
    assert engine.detail(instance_id)["data"]["check_due"] == "2031-03-26"
    assert audited(instance_id, "move_due")[0].actor == "iao"

    token = csrf(iao.get(page_url))
    for url in (f"{page_url}/tasks/{checklist_task.id}/skip", f"{page_url}/suspend", f"{page_url}/data"):
        denials = len(audited(instance_id, "denied"))
        assert iao.post(url, data={"csrf_token": token, "reason": REASON}).status_code == 403, url
        assert len(audited(instance_id, "denied")) == denials + 1
    assert status(instance_id) == "running" and audited(instance_id, "skip") == []


def test_a_ppe_technician_may_not_move_a_deadline_and_another_schools_head_sees_nothing(site, check):
    instance_id, checklist_task = check
    tech17, head12 = site("tech17"), site("head12")
    page_url = f"/instances/{instance_id}"
    assert f"/tasks/{checklist_task.id}/due" not in tech17.get(page_url).get_data(as_text=True)
    token = csrf(tech17.get(page_url))
    refused = tech17.post(f"{page_url}/tasks/{checklist_task.id}/due",
                          data={"csrf_token": token, "due": "2031-03-26", "reason": REASON})
    assert refused.status_code == 403
    token = csrf(head12.get("/"))
    for url in (f"{page_url}/tasks/{checklist_task.id}/skip", f"{page_url}/tasks/{checklist_task.id}/due",
                f"{page_url}/cancel"):
        assert head12.post(url, data={"csrf_token": token, "reason": REASON, "due": "2031-03-26"}).status_code == 404
    assert [e.actor for e in audited(instance_id, "denied")].count("head12") == 3
    assert status(instance_id) == "running"
