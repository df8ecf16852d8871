"""The REST API /api/v1 over HTTP: personal tokens (made, used, revoked, expired), every endpoint along scenario
A1, refused input in Russian with nothing changed, and privacy: another school's head gets 404 and the attempt
is in the audit trail."""
import hashlib

import engine
from engine.db import db
from engine.models import ApiToken, AuditEvent
from tests.engine.a1 import checklist, only, start_check


def _denials(login):
    return db.session.query(AuditEvent).filter_by(action="denied", actor=login).all()


def _error(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


# Tokens ------------------------------------------------------------------------------------------------------

def test_a_token_is_stored_hashed_and_works_until_revoked(api):
    token = api.token("tech17", name="отчёты")
    row = db.session.query(ApiToken).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token.startswith(row.prefix)
    assert token not in (row.token_hash, row.prefix, row.name) and row.last_used_at is None

    response = api.get("/tasks", token=token)
    assert response.status_code == 200 and response.get_json()["items"] == []
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at is not None

    engine.revoke_token(row.id, engine.user_by_login("tech17"))
    refused = api.get("/tasks", token=token)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    error = _error(refused)
    assert error["code"] == "unauthorized" and "«отчёты» отозван" in error["message"]
    assert any("revoked" in (e.message or "") for e in _denials("tech17"))


def test_an_expired_token_is_refused(api, set_clock):
    set_clock("2021-03-15T09:00:00+03:00")
    token = api.token("tech17", days=3, name="на три дня")
    assert api.get("/tasks", token=token).status_code == 200
    set_clock("2021-03-18T09:00:00+03:00")
    refused = api.get("/tasks", token=token)
    assert refused.status_code == 401 and "истёк" in _error(refused)["message"]


def test_last_use_is_written_at_most_once_a_minute(api, set_clock):
    set_clock("2021-03-15T09:00:00+03:00")
    token = api.token("tech17")
    api.get("/tasks", token=token)
    first = db.session.query(ApiToken).one().last_used_at
    set_clock("2021-03-15T09:00:30+03:00")
    api.get("/tasks", token=token)
    db.session.expire_all()
    assert db.session.query(ApiToken).one().last_used_at == first
    set_clock("2021-03-15T09:02:00+03:00")
    api.get("/tasks", token=token)
    db.session.expire_all()
    assert db.session.query(ApiToken).one().last_used_at > first


def test_a_switched_off_user_s_token_is_refused(api):
    token = api.token("tech17")
    engine.deactivate("tech17", actor="admin")
    refused = api.get("/tasks", token=token)
    assert refused.status_code == 401 and "отключена" in _error(refused)["message"]


def test_missing_malformed_and_unknown_tokens_are_refused_in_russian(api):
    token = api.token("tech17")
    cases = {None: "Передайте токен API", f"Basic {token}": "Bearer <токен>", "Bearer": "Bearer <токен>",
             f"Bearer {token}x": "недействителен", "Bearer gia_": "недействителен", "Bearer nonsense": "недействителен"}
    for header, expected in cases.items():
        response = api.client.get("/api/v1/tasks", headers={"Authorization": header} if header else {})
        assert response.status_code == 401, header
        assert expected in _error(response)["message"], (header, response.get_json())
    assert api.get("/tasks", token=token).status_code == 200


def test_the_signed_in_browser_session_is_not_a_token(api):
    from tests.web.conftest import csrf
    browser = api.app.test_client()
    token = csrf(browser.get("/login"))
    assert browser.post("/login", data={"login": "tech17", "password": "demo", "csrf_token": token}).status_code == 302
    assert browser.get("/api/v1/tasks").status_code == 401


def test_english_on_request_or_by_the_owner_s_choice(api):
    response = api.client.get("/api/v1/tasks", headers={"Accept-Language": "en"})
    assert "Send your API token" in _error(response)["message"]
    nobody = "/tasks/00000000-0000-0000-0000-000000000000"
    assert _error(api.get(nobody, "tech17"))["message"].startswith("Задача")
    engine.set_preferences(engine.user_by_login("tech17"), locale="en")
    assert _error(api.get(nobody, "tech17"))["message"].startswith("Task")
    assert _error(api.get(nobody, "tech17", headers={"Accept-Language": "ru"}))["message"].startswith("Задача")


# Endpoints along A1 ------------------------------------------------------------------------------------------

def test_a1_through_the_api(api):
    instance_id = start_check()
    task = only(instance_id, "checklist")

    listed = api.get("/tasks", "tech17").get_json()
    assert [t["id"] for t in listed["items"]] == [task.id]
    assert listed["total"] == 1 and listed["page"] == 1 and not listed["has_next"]
    assert listed["items"][0]["unit"] == "ppe-17" and listed["items"][0]["assignee"] is None

    detail = api.get(f"/tasks/{task.id}", "tech17").get_json()
    assert detail["may_act"] and detail["task"]["name"] == task.name and detail["instance"]["id"] == instance_id
    form = detail["form"]
    assert form["key"] == "ppe_checklist" and form["title"] == "Чек-лист технической готовности ППЭ"
    fields = {f["name"]: f for f in form["fields"]}
    assert fields["printing"]["type"] == "rows" and fields["printing"]["rows"] == 2
    jammer = {f["name"]: f for f in fields["jammer"]["fields"]}
    assert jammer["status"]["choices"] == [{"value": "ok", "label": "Исправно"},
                                           {"value": "faulty", "label": "Неисправно"}]
    assert jammer["comment"]["required_if"] == {"field": "status", "equals": "faulty"}
    assert jammer["photo"]["accept"] == ["jpg", "jpeg", "png", "pdf"]
    assert fields["checked_on"] == {"name": "checked_on", "type": "date", "label": "Дата проверки", "required": True}
    assert detail["initial"]["printing"] == [{"room": "Аудитория 1"}, {"room": "Аудитория 2"}]
    assert detail["data"]["gia_unit"]["code"] == "ppe-17"

    claimed = api.post(f"/tasks/{task.id}/claim", "tech17")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "tech17"
    assert [t["id"] for t in api.get("/tasks?tab=mine", "tech17").get_json()["items"]] == [task.id]
    released = api.post(f"/tasks/{task.id}/unclaim", "tech17")
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert api.get("/tasks?tab=mine", "tech17").get_json()["items"] == []

    done = api.post(f"/tasks/{task.id}/complete", "tech17", json=checklist(faulty=["jammer"]))
    assert done.status_code == 200, done.get_json()
    answer = done.get_json()
    assert answer["instance_id"] == instance_id and answer["status"] == "running"
    [fix] = answer["next_tasks"]
    assert fix["bpmn_id"] == "fix_task" and fix["unit"] == "school-17"

    fixed = api.post(f"/tasks/{fix['id']}/complete", "head17", json={"action": "Подавитель заменён",
                                                                       "fixed_on": "2021-03-24"})
    assert fixed.status_code == 200 and fixed.get_json()["next_tasks"][0]["bpmn_id"] == "checklist"

    instances = api.get("/instances", "head17").get_json()
    assert [i["id"] for i in instances["items"]] == [instance_id] and instances["total"] == 1
    shown = api.get(f"/instances/{instance_id}", "head17").get_json()
    assert shown["unit"] == "ppe-17" and shown["status"] == "running" and shown["process_id"] == "ppe_tech_check"
    assert [(h["bpmn_id"], h["completed_by"]) for h in shown["history"] if h["completed_by"]] == [
        ("checklist", "tech17"), ("fix_task", "head17")]
    assert shown["data"]["checklist"]["jammer"]["status"] == "faulty"
    assert {t["bpmn_id"] for t in shown["tasks"]} >= {"checklist", "fix_task"}
    trail = api.get(f"/instances/{instance_id}/audit", "tech17").get_json()
    actions = [(e["actor"], e["action"]) for e in trail["items"]]
    assert actions[0] == ("iao", "start")
    assert [a for a in actions if a[0] in ("tech17", "head17")] == [("tech17", "claim"), ("tech17", "unclaim"),
                                                      ("tech17", "complete"), ("head17", "complete")]
    assert trail["total"] == len(actions)
    paged = api.get(f"/instances/{instance_id}/audit?per_page=2&page=2", "tech17").get_json()
    assert [e["id"] for e in paged["items"]] == [e["id"] for e in trail["items"][2:4]] and paged["has_next"]


def test_invalid_data_gets_russian_messages_per_field_and_changes_nothing(api):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    api.get("/tasks", "tech17")  # the token is made (and audited) before counting
    before = db.session.query(AuditEvent).count()
    data = checklist(faulty=["jammer"])
    data["jammer"] = {"status": "faulty"}
    data["checked_on"] = "18.03.2021"
    data["colour"] = "red"
    data["printing"][1]["status"] = "broken"
    response = api.post(f"/tasks/{task.id}/complete", "tech17", json=data)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid" and "не прошли проверку" in error["message"]
    assert error["fields"]["jammer-comment"] == ["Обязательное поле."]
    assert error["fields"]["checked_on"] == ["Неверное значение даты."]
    assert error["fields"]["colour"] == ["Неизвестное поле."]
    assert error["fields"]["printing-1-status"] == ["Неверный вариант."]
    assert only(instance_id, "checklist").state == "READY"
    assert db.session.query(AuditEvent).count() == before

    for body in ([1, 2], "text"):
        refused = api.post(f"/tasks/{task.id}/complete", "tech17", json=body)
        assert refused.status_code == 422 and "Ожидается объект JSON." in str(_error(refused)["fields"])
    garbled = api.post(f"/tasks/{task.id}/complete", "tech17", data="{not json", content_type="application/json")
    assert garbled.status_code == 400 and _error(garbled)["code"] == "bad_request"
    nul = api.post(f"/tasks/{task.id}/complete", "tech17", json={**checklist(), "checked_on": "2021\x00"})
    assert nul.status_code == 422 and "checked_on" in _error(nul)["fields"]
    assert only(instance_id, "checklist").state == "READY"


def test_file_references_that_name_nothing_are_refused_not_a_server_error(api):
    instance_id = start_check()
    api.post(f"/tasks/{only(instance_id, 'checklist').id}/complete", "tech17", json=checklist(faulty=["jammer"]))
    fix = only(instance_id, "fix_task")
    for ref in (10**20, "99999999999999999999", {"attachment_id": 10**12}, {"attachment_id": "x"}, "²", 12345):
        response = api.post(f"/tasks/{fix.id}/complete", "head17",
                            json={"action": "Подавитель заменён", "fixed_on": "2021-03-24", "document": ref})
        assert response.status_code == 422, (ref, response.get_json())
        fields = _error(response)["fields"]
        assert set(fields) in ({"document"}, {"attachment"}), fields
    assert only(instance_id, "fix_task").state == "READY"


def test_completing_twice_is_a_conflict_with_a_clear_message(api):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    assert api.post(f"/tasks/{task.id}/complete", "tech17", json=checklist()).status_code == 200
    again = api.post(f"/tasks/{task.id}/complete", "tech17", json=checklist())
    assert again.status_code == 409
    error = _error(again)
    assert error["code"] == "not_ready"
    assert error["message"] == f"Задача «{task.name}» уже выполнена, выполнить её нельзя."
    assert api.post(f"/tasks/{task.id}/claim", "tech17").status_code == 409
    assert api.post(f"/tasks/{task.id}/unclaim", "tech17").status_code == 409
    assert db.session.query(AuditEvent).filter_by(action="complete", task_id=task.id).count() == 1


# Privacy -----------------------------------------------------------------------------------------------------

def test_another_school_s_head_gets_404_everywhere_and_each_attempt_is_recorded(api):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    api.post(f"/tasks/{task.id}/complete", "tech17", json=checklist(faulty=["jammer"]))
    fix = only(instance_id, "fix_task")
    attempts = [("GET", f"/tasks/{fix.id}"), ("POST", f"/tasks/{fix.id}/claim"),
                ("POST", f"/tasks/{fix.id}/unclaim"), ("POST", f"/tasks/{fix.id}/complete"),
                ("GET", f"/instances/{instance_id}"), ("GET", f"/instances/{instance_id}/audit")]
    for method, path in attempts:
        response = api.call(method, path, "head12", json={"action": "чужое", "fixed_on": "2021-03-24"})
        assert response.status_code == 404, (method, path, response.get_json())
        assert _error(response)["code"] == "not_found"
    nobody = "00000000-0000-0000-0000-000000000000"
    missing = api.get(f"/tasks/{nobody}", "head12")
    foreign = api.get(f"/tasks/{fix.id}", "head12")
    attempts.append(("GET", f"/tasks/{fix.id}"))
    assert missing.status_code == foreign.status_code == 404  # a foreign task looks exactly like a missing one
    assert _error(foreign)["message"].replace(fix.id, "?") == _error(missing)["message"].replace(nobody, "?")
    assert api.get("/tasks", "head12").get_json()["items"] == []
    assert api.get("/instances", "head12").get_json()["items"] == []
    denied = _denials("head12")
    assert len(denied) == len(attempts) and {e.instance_id for e in denied} == {instance_id}
    assert only(instance_id, "fix_task").state == "READY" and only(instance_id, "fix_task").assignee_id is None
    assert api.get(f"/tasks/{fix.id}", "head17").status_code == 200


def test_department_staff_see_the_task_but_may_not_complete_it(api):
    instance_id = start_check()
    task = only(instance_id, "checklist")
    assert api.get(f"/tasks/{task.id}", "iao").get_json()["may_act"] is False
    refused = api.post(f"/tasks/{task.id}/complete", "iao", json=checklist())
    assert refused.status_code == 403 and "не можете" in _error(refused)["message"]
    assert api.post(f"/tasks/{task.id}/claim", "iao").status_code == 403
    assert len(_denials("iao")) == 2
    assert only(instance_id, "checklist").state == "READY"


def test_files_are_served_only_to_who_may_see_the_instance(api):
    from engine import attachments, store
    import io
    instance_id = start_check()
    with store.transaction():
        photo = attachments.store(io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "jammer.png", "jammer-photo",
                                  instance_id=instance_id, task_id=None, actor="tech17")
        photo_id = photo.id
    task = only(instance_id, "checklist")
    assert api.get(f"/tasks/{task.id}", "tech17").get_json()["files"][0]["filename"] == "jammer.png"
    assert api.get(f"/files/{photo_id}", "tech17").data.startswith(b"\x89PNG")
    assert api.get(f"/files/{photo_id}", "head12").status_code == 404
    assert any(e.message == f"download file {photo_id}" for e in _denials("head12"))


# Inbox filters -----------------------------------------------------------------------------------------------

def test_inbox_filters_through_the_api(api, set_clock):
    set_clock("2021-03-15T09:00:00+03:00")
    first = start_check("ppe-17", due="2021-03-19")
    second = start_check("ppe-17", due="2021-03-26")
    early, late = only(first, "checklist"), only(second, "checklist")

    def ids(query):
        response = api.get(f"/tasks{query}", "tech17")
        assert response.status_code == 200, response.get_json()
        return [t["id"] for t in response.get_json()["items"]]
    assert ids("") == [early.id, late.id]
    assert ids("?sort=-due") == [late.id, early.id]
    assert ids("?due_from=2021-03-20") == [late.id]
    assert ids("?due_to=2021-03-19") == [early.id]
    assert ids("?unit=ppe-17&process_id=ppe_tech_check") == [early.id, late.id]
    assert ids("?unit=ppe-12") == []
    assert ids("?text=" + early.name[:10]) == [early.id, late.id]
    assert ids("?text=нет такой") == []
    assert ids("?per_page=1&page=2") == [late.id]
    assert ids("?tab=group") == [early.id, late.id]
    api.post(f"/tasks/{early.id}/claim", "tech17")
    assert ids("?tab=mine") == [early.id] and ids("?tab=group") == [late.id]
    assert ids("?overdue=true") == []
    set_clock("2021-03-22T09:00:00+03:00")
    assert ids("?overdue=true") == [early.id]

    refused = api.get("/tasks?tab=all&page=0&due_from=18.03.2021&overdue=maybe", "tech17")
    assert refused.status_code == 422
    fields = _error(refused)["fields"]
    assert fields["tab"] == ["Выберите одно из значений: mine, group, available."]
    assert fields["page"] == ["Введите значение от 1 до 100000."]
    assert fields["due_from"] == ["Ожидается дата в формате ГГГГ-ММ-ДД."]
    assert fields["overdue"] == ["Ожидается true или false."]
    english = api.get("/tasks?page=x", "tech17", headers={"Accept-Language": "en"})
    assert _error(english)["fields"]["page"] == ["Expected a whole number."]


def test_instances_are_filtered_and_paged(api):
    first, second = start_check("ppe-17"), start_check("ppe-12")

    def ids(query, login="iao"):
        return [i["id"] for i in api.get(f"/instances{query}", login).get_json()["items"]]
    assert ids("") == [second, first]
    assert ids("?unit=ppe-12") == [second] and ids("?status=completed") == []
    assert ids("?process_id=ppe_tech_check&status=running&per_page=1&page=2") == [first]
    assert ids("", "tech17") == [first] and ids("", "head12") == []
    assert api.get("/instances?status=done", "iao").status_code == 422


def test_openapi_document_is_served_and_describes_the_api(api):
    spec = api.client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/claim",
            "/api/v1/tasks/{task_id}/unclaim", "/api/v1/tasks/{task_id}/complete", "/api/v1/instances",
            "/api/v1/instances/{instance_id}", "/api/v1/instances/{instance_id}/audit"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    query = {p["name"]: p for p in spec["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert set(query) == {"tab", "process_id", "unit", "overdue", "due_from", "due_to", "text", "snoozed", "sort",
                          "page", "per_page"}
    assert query["per_page"]["schema"]["maximum"] == 200 and query["tab"]["schema"]["enum"] == ["mine", "group",
                                                                                                 "available"]


def test_unknown_api_paths_and_methods_answer_json(api):
    assert _error(api.get("/nothing-here", "tech17"))["code"] == "not_found"
    wrong = api.call("DELETE", "/tasks", "tech17")
    assert wrong.status_code == 405 and _error(wrong)["code"] == "method_not_allowed"
    assert api.client.get("/no-such-page").content_type.startswith("text/html")
