"""What a hostile client sends the API is refused in our error shape, never a 500: NUL characters in the query
string or path, ids beyond the database's integer, JSON nested 100,000 levels deep, and text the database cannot
keep in a task's data (refused by the same form rule as the task page)."""
import engine
from engine.db import db
from engine.models import HumanTask
from tests.engine.a1 import checklist, only, start_check

DEEP = ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, '{"action": ' + "[" * 40 + "]" * 40
        + "}")


def _error(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def _fix_task(api):
    instance_id = start_check()
    api.post(f"/tasks/{only(instance_id, 'checklist').id}/complete", "tech17", json=checklist(faulty=["jammer"]))
    return only(instance_id, "fix_task")


def test_json_nested_too_deep_is_400_with_a_clear_message(api):
    fix = _fix_task(api)
    for body in DEEP:
        response = api.post(f"/tasks/{fix.id}/complete", "head17", data=body, content_type="application/json")
        assert response.status_code == 400, body[:20]
        error = _error(response)
        assert error["code"] == "too_deep"
        assert error["message"] == "Тело JSON вложено слишком глубоко: допускается не больше 32 уровней."
    assert db.session.get(HumanTask, fix.id).state == "READY"
    done = api.post(f"/tasks/{fix.id}/complete", "head17", json={"action": "Подавитель заменён",
                                                                 "fixed_on": "2021-03-24"})
    assert done.status_code == 200, done.get_json()  # a form's few levels pass


def test_nul_in_the_query_is_400_in_the_path_404_and_huge_ids_404(api):
    api.get("/tasks", "tech17")
    for path in ("/tasks?text=%00", "/instances?unit=%00", "/tasks?page=1&text=a%00b"):
        response = api.get(path, "tech17")
        assert response.status_code == 400, path
        error = _error(response)
        assert error["code"] == "bad_request" and "символ NUL" in error["message"]
    for path in ("/tasks/%00", "/tasks/%00/claim", "/instances/99999999999999999999",
                 "/files/999999999999999999999", f"/instances/{2**31}/audit"):
        response = api.post(path, "tech17") if path.endswith("claim") else api.get(path, "tech17")
        assert response.status_code == 404 and _error(response)["code"] == "not_found", path


def test_the_api_refuses_unstorable_text_with_the_task_page_s_message(api):
    fix = _fix_task(api)
    for text in ("Заменён\x00 подавитель", "Заменён \ud800"):
        response = api.post(f"/tasks/{fix.id}/complete", "head17", json={"action": text, "fixed_on": "2021-03-24"})
        assert response.status_code == 422
        assert _error(response)["fields"] == {
            "action": ["Текст не должен содержать символы NUL и недопустимые символы Юникода."]}
    assert engine.list_tasks(instance_id=fix.instance_id)[0].state == "READY"


def test_the_openapi_document_gives_the_id_range(api):
    spec = api.client.get("/api/v1/openapi.json").get_json()
    parameters = spec["paths"]["/api/v1/instances/{instance_id}"]["parameters"]
    assert parameters[0]["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
