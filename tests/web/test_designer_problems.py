"""The modeller's check and deploy answers (issue 14 §2): each problem comes with its place, for a marker on the
element: {text, message, file, element, element_type, line, code_line}, in Russian, the same in both answers."""
import json

from tests.web.test_designer_pages import _page_data


def _post(client, token, action, body):
    return client.post(f"/designer/plan_school_report/{action}", data=json.dumps(body),
                       content_type="application/json", headers={"X-CSRFToken": token})


def test_check_and_deploy_locate_each_problem_on_its_element(site):
    designer = site("designer")
    data = _page_data(designer.get("/designer/plan_school_report"))
    xml = data["xml"]
    script_at = xml.index("<bpmn:script>")
    task_start = xml.rindex("<bpmn:scriptTask", 0, script_at)
    task_id = xml[task_start:].split('id="', 1)[1].split('"', 1)[0]
    # a second line of the script that does not compile, and a form that does not exist
    broken = xml.replace("<bpmn:script>", "<bpmn:script>ok = 1\nx = (\n", 1)
    broken = broken.replace('name="form" value="', 'name="form" value="no_such_', 1)

    checked = _post(designer, data["csrf_token"], "check", {"xml": broken})
    assert checked.status_code == 200 and checked.json["valid"] is False
    problems = checked.json["problems"]
    assert all(set(p) == {"text", "message", "file", "element", "element_type", "line", "code_line"}
               for p in problems)
    script = next((p for p in problems if p["element"] == task_id), None)
    assert script, (task_id, problems)
    assert script["element_type"] == "scriptTask" and script["code_line"] == 2
    assert script["line"] == broken[:broken.index(f'id="{task_id}"')].count("\n") + 1
    assert script["message"].startswith("скрипт: синтаксическая ошибка в «x = (»")
    assert script["text"] == f"plan_school_report.bpmn, задача-скрипт «{task_id}», строка {script['line']}: " \
                             f"{script['message']} (строка 2 кода)"
    form = next(p for p in problems if "формы «no_such_" in p["message"])
    assert form["element_type"] == "userTask" and form["element"] and form["code_line"] is None

    refused = _post(designer, data["csrf_token"], "deploy", {"xml": broken, "comment": "сломано"})
    assert refused.status_code == 422 and refused.json["problems"] == problems


def test_a_refused_comment_answers_in_the_same_shape(site):
    designer = site("designer")
    data = _page_data(designer.get("/designer/plan_school_report"))
    refused = _post(designer, data["csrf_token"], "deploy", {"xml": data["xml"], "comment": "x" * 2001})
    assert refused.status_code == 422
    [problem] = refused.json["problems"]
    assert problem["element"] is None and problem["text"] == problem["message"] and "2000" in problem["text"]
