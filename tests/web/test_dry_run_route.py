"""The dry run's route (issue 14 §3): POST /designer/<id>/dry-run with the diagram as JSON {xml} answers the report
for designers (Russian summary and findings, reached elements with their counts); nothing is stored; a school head
gets 403, audited like every designer route."""
import json

from sqlalchemy import func, select

from engine.db import db
from engine.models import AuditEvent, ProcessInstance
from tests.web.conftest import csrf
from tests.web.test_designer_pages import _page_data


def _dry_run(client, token, body, bpmn_id="plan_school_report"):
    return client.post(f"/designer/{bpmn_id}/dry-run", data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token} if token else {})


def test_a_designer_gets_the_report_and_nothing_is_stored(site):
    designer = site("designer")
    data = _page_data(designer.get("/designer/plan_school_report"))
    answer = _dry_run(designer, data["csrf_token"], {"xml": data["xml"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.json
    assert report["message"].startswith("Пробный прогон: прогонов ") and report["unreached"] == []
    runs = len(report["runs"])
    assert report["reached"]["report_task"] == runs and 0 < report["reached"]["report_escalate"] < runs
    assert report["issues"] == [] and report["kinds"]["unreached"] == "Недостижимые элементы"
    assert report["start_source"] == "items" and report["start_data"]["lead_role"] == "school_head"
    assert report["assumed"].startswith("Прогоны начались с данных, которые план даёт этому шаблону")
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    broken = data["xml"].replace("<bpmn:script>", "<bpmn:script>x = (\n", 1)
    refused = _dry_run(designer, data["csrf_token"], {"xml": broken})
    assert refused.status_code == 422 and refused.json["problems"] and not refused.json["runs"]
    assert _dry_run(designer, data["csrf_token"], {"xml": ""}).status_code == 422
    assert _dry_run(designer, None, {"xml": data["xml"]}).status_code == 400  # no CSRF token


def test_a_school_head_may_not_dry_run(site):
    designer, head = site("designer"), site("head17")
    xml = _page_data(designer.get("/designer/plan_school_report"))["xml"]
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert _dry_run(head, csrf(head.get("/")), {"xml": xml}).status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1  # the refusal, audited
