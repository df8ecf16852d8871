"""POST /api/v1/processes/{bpmn_id}/instances: the activity page's launch over the API. The same rule says who
may start which process for which unit (engine.access.launch_form, launch_units), the same start form checks
the data; a refusal changes nothing and answers in the API's error shape."""
import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, ProcessInstance
from tests.web.conftest import csrf

CHECK = {"check_due": "2021-03-19", "fix_days": 7, "recheck_days": 3}
APPEAL = {"pupil": "Закиров З.З.", "exam": "ЕГЭ", "subject": "Математика", "results_on": "2021-06-21",
          "appeal_on": "2021-06-22"}


def _start(api, login, process="ppe_tech_check", **body):
    return api.post(f"/processes/{process}/instances", login, json=body)


def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def _count(process="ppe_tech_check") -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(ProcessInstance.process_id == process))


def test_a_start_answers_201_with_the_instance_as_get_shows_it(api, set_clock):
    set_clock("2021-03-15T09:00:00+03:00")
    response = _start(api, "iao", unit="ppe-17", data=CHECK)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/instances/{created['id']}")
    assert created == api.get(location.split("/api/v1", 1)[1], "iao").get_json()
    assert (created["process_id"], created["unit"], created["started_by"]) == ("ppe_tech_check", "ppe-17", "iao")
    assert created["data"]["check_due"] == "2021-03-19" and "units" not in created["data"]
    assert "checklist" in [t["bpmn_id"] for t in created["tasks"]]


def test_invalid_data_is_422_with_the_start_form_s_messages_and_nothing_started(api):
    response = _start(api, "iao", unit="ppe-17", data={"fix_days": 0, "recheck_days": 3})
    fields = _error(response, 422)["fields"]
    assert set(fields) == {"check_due", "fix_days"}, fields
    assert fields["fix_days"] == ["Введите число от 1 до 30."]
    assert _error(_start(api, "iao", data=CHECK), 422)["fields"] == {"unit": ["Обязательное поле."]}
    assert _count() == 0


def test_a_unit_the_form_does_not_start_for_is_422(api):
    for unit in ("school-17", "nowhere"):
        error = _error(_start(api, "iao", unit=unit, data=CHECK), 422)
        assert error["fields"] == {"unit": [f"Процесс не запускается для {unit}."]}
    assert _count() == 0


def test_a_role_that_may_not_start_the_process_is_403_and_recorded(api):
    for login in ("tech17", "head17"):
        error = _error(_start(api, login, unit="ppe-17", data=CHECK), 403)
        assert error == {"code": "forbidden", "message": "Вы не можете запустить этот процесс."}
    assert _count() == 0
    db.session.rollback()
    denied = db.session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "denied")).all()
    assert sorted(denied) == ["head17", "tech17"]


def test_a_process_started_by_the_plan_only_is_403_even_for_the_administrator(api):
    _error(_start(api, "admin", "plan_school_report", data={}), 403)
    assert _count("plan_school_report") == 0


def test_another_school_s_unit_is_403_and_her_own_201(api):
    engine.ensure_user("coord12", "school_coordinator", "school-12", password="demo")
    db.session.commit()
    error = _error(_start(api, "coord12", "score_appeal", unit="school-17", data=APPEAL), 403)
    assert error["code"] == "forbidden"
    assert _count("score_appeal") == 0
    own = _start(api, "coord12", "score_appeal", unit="school-12", data=APPEAL)
    assert own.status_code == 201 and own.get_json()["unit"] == "school-12"


def test_an_unknown_process_is_404(api):
    assert _error(_start(api, "iao", "no_such_process", unit="ppe-17", data=CHECK), 404)["code"] == "not_found"


@pytest.mark.parametrize("body", ['{"unit": "ppe-17", "data": ', "[1, 2]", '{"data": [1]}', '{"data": {}, "x": 1}',
                                  '{"unit": 17, "data": {}}'])
def test_malformed_or_misshapen_json_is_refused_and_nothing_started(api, body):
    response = api.post("/processes/ppe_tech_check/instances", "iao", data=body, content_type="application/json")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert _error(response, response.status_code)["code"] in ("bad_request", "invalid")
    assert _count() == 0


def _signed_in(app, login):
    client = app.test_client()
    token = csrf(client.get("/login"))
    response = client.post("/login", data={"login": login, "password": "demo", "csrf_token": token})
    assert response.status_code == 302
    return client


def test_the_api_refuses_whom_the_launch_page_does_not_offer_its_form(api):
    """For demo logins of each kind and each process with a start form: the page shows the launch form exactly
    when the API does not answer 403 (empty data: 422, nothing started)."""
    seen = set()
    for login in ("admin", "guo_head", "iao", "tech17", "head17"):
        client = _signed_in(api.app, login)
        for process in ("ppe_tech_check", "score_appeal", "ege_late_application"):
            page = client.get(f"/activities/{process}").get_data(as_text=True)
            offered = 'class="card launch"' in page
            status = _start(api, login, process, data={}).status_code
            assert (status != 403) == offered and status in (403, 422), (login, process, status)
            seen.add(offered)
    assert seen == {True, False}
    assert _count() == 0 and _count("score_appeal") == 0


def test_the_openapi_document_describes_the_start(api):
    spec = api.client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/processes/{bpmn_id}/instances"]["post"]
    assert {"201", "403", "404", "422"} <= set(operation["responses"])
    assert "Location" in operation["responses"]["201"]["headers"]
    assert operation["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InstanceDetail"}
