"""The form editor of the process designer (issue 14 §6): a designer opens a form of a process, sees it previewed
by the task page's own rendering as it changes, saves it as a draft of the process (a stale revision is refused,
409, never overwritten) and can go back to what is deployed; a definition that is no form is refused with the
reason in Russian; only designers and administrators reach it."""
import json
import re

from tests.web.conftest import csrf

EDIT = "/designer/plan_school_report/forms/plan_report/edit"
PREVIEW = "/designer/plan_school_report/forms/plan_report/preview"


def _editor_data(response) -> dict:
    text = response.get_data(as_text=True)
    start = text.index('id="form-editor-data">') + len('id="form-editor-data">')
    return json.loads(text[start:text.index("</script>", start)])


def _discard_hidden(response) -> bool:
    """Whether «Вернуть как было» is hidden: there is a draft to discard only once the form was saved."""
    form = re.search(r'<form[^>]*class="form-editor-discard"[^>]*>', response.get_data(as_text=True)).group(0)
    return " hidden" in form


def _post(client, url, token, body):
    return client.post(url, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})


def _with_comment(definition: dict) -> dict:
    return {**definition, "fields": [*definition["fields"],
                                     {"name": "comment", "type": "text", "label": "Комментарий руководителя"}]}


def test_a_designer_opens_the_form_of_a_process_with_its_fields_and_their_types_in_russian(site):
    page = site("designer").get(EDIT)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    data = _editor_data(page)
    assert data["definition"]["title"] == "Отчёт по пункту плана" and data["revision"] == 0
    assert [f["name"] for f in data["definition"]["fields"]] == ["summary", "count_done", "count_total", "document"]
    assert {t["value"]: t["label"] for t in data["types"]}["multichoice"] == "Выбор нескольких"
    assert len(data["types"]) == 13
    assert 'href="/designer/plan_school_report"' in body and "Добавить поле" in body and "Предпросмотр" in body
    assert "<h1>Форма «Отчёт по пункту плана»</h1>" in body
    assert 'id="form-editor-back">План ГИА: отчёт ОУ по пункту плана</a>' in body  # the process by its name
    assert _discard_hidden(page)  # nothing to discard before a draft is saved
    assert site("admin").get(EDIT).status_code == 200
    assert site("designer").get("/designer/no_such_process/forms/plan_report/edit").status_code == 404
    assert site("designer").get("/designer/plan_school_report/forms/not-a-key/edit").status_code == 404


def test_a_school_head_and_the_iao_specialist_may_not_edit_forms(site):
    for login in ("head17", "iao"):
        client = site(login)
        token = csrf(client.get("/"))
        assert client.get(EDIT).status_code == 403
        assert _post(client, PREVIEW, token, {"definition": {"fields": []}}).status_code == 403
        assert _post(client, EDIT, token, {"definition": {"fields": []}, "revision": 0}).status_code == 403


def test_the_preview_is_the_task_pages_form_with_the_new_field(site):
    designer = site("designer")
    data = _editor_data(designer.get(EDIT))
    shown = _post(designer, PREVIEW, data["csrf_token"], {"definition": _with_comment(data["definition"])})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.mimetype == "text/html"
    assert "Комментарий руководителя" in html and '<textarea' in html and 'name="comment"' in html
    assert 'name="summary"' in html and 'type="file"' in html and "<html" not in html


def test_a_field_of_an_unknown_type_is_refused_in_russian(site):
    designer = site("designer")
    data = _editor_data(designer.get(EDIT))
    broken = {**data["definition"], "fields": [{"name": "mood", "type": "banana", "label": "Настроение"}]}
    refused = _post(designer, PREVIEW, data["csrf_token"], {"definition": broken})
    assert refused.status_code == 422
    errors = refused.json["errors"]
    assert errors and all(re.search("[а-яё]", text, re.IGNORECASE) for text in errors), errors
    assert any("mood" in text or "banana" in text for text in errors), errors
    not_saved = _post(designer, EDIT, data["csrf_token"], {"definition": broken, "revision": 0})
    assert not_saved.status_code == 422 and not_saved.json["errors"]
    assert _editor_data(designer.get(EDIT))["revision"] == 0


def test_a_saved_form_opens_as_the_draft_and_a_stale_revision_is_refused(site):
    designer, admin = site("designer"), site("admin")
    data = _editor_data(designer.get(EDIT))
    changed = _with_comment(data["definition"])
    saved = _post(designer, EDIT, data["csrf_token"], {"definition": changed, "revision": 0})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.json["revision"] >= 1 and re.match(r"Сохранено .* в \d\d:\d\d", saved.json["saved"])
    assert saved.json["problems"] == []
    reopened = admin.get(EDIT)
    again = _editor_data(reopened)
    assert again["revision"] == saved.json["revision"]
    assert again["definition"]["fields"][-1]["label"] == "Комментарий руководителя"
    assert not _discard_hidden(reopened)
    stale = _post(designer, EDIT, data["csrf_token"], {"definition": data["definition"], "revision": 0})
    assert stale.status_code == 409 and re.search("[а-яё]", stale.json["error"], re.IGNORECASE)
    assert _editor_data(designer.get(EDIT))["definition"]["fields"][-1]["name"] == "comment"
    assert _post(designer, EDIT, "", {"definition": changed, "revision": 1}).status_code in (400, 403)


def test_discarding_the_draft_brings_back_the_deployed_form(site):
    designer = site("designer")
    page = designer.get(EDIT)
    data = _editor_data(page)
    assert _post(designer, EDIT, data["csrf_token"],
                 {"definition": _with_comment(data["definition"]), "revision": 0}).status_code == 200
    back = designer.post("/designer/plan_school_report/forms/plan_report/discard", data={"csrf_token": csrf(page)})
    assert back.status_code == 302 and back.headers["Location"].endswith(EDIT)
    reopened = designer.get(EDIT)
    assert "Изменения формы отменены" in reopened.get_data(as_text=True)
    assert [f["name"] for f in _editor_data(reopened)["definition"]["fields"]] == [
        "summary", "count_done", "count_total", "document"]


def test_a_new_form_key_opens_an_empty_form_and_its_preview_says_so(site):
    designer = site("designer")
    page = designer.get("/designer/plan_school_report/forms/school_visit/edit")
    data = _editor_data(page)
    assert page.status_code == 200 and data["revision"] == 0 and not data["definition"].get("fields")
    shown = _post(designer, "/designer/plan_school_report/forms/school_visit/preview", data["csrf_token"],
                  {"definition": {"title": "Посещение школы", "fields": []}})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "В форме пока нет полей." in html and "Посещение школы" in html


def test_the_modeller_links_a_task_to_the_form_editor(site):
    text = site("designer").get("/designer/plan_school_report").get_data(as_text=True)
    start = text.index('id="designer-data">') + len('id="designer-data">')
    catalogue = json.loads(text[start:text.index("</script>", start)])["catalogue"]
    assert catalogue["form_edit_url"] == "/designer/plan_school_report/forms/__KEY__/edit"


def test_removing_a_field_the_process_reads_is_saved_with_the_reason_it_cannot_be_deployed(site):
    designer = site("designer")
    data = _editor_data(designer.get(EDIT))
    without = {**data["definition"], "fields": [f for f in data["definition"]["fields"] if f["name"] != "count_done"]}
    saved = _post(designer, EDIT, data["csrf_token"], {"definition": without, "revision": 0})
    assert saved.status_code == 200 and saved.json["problems"], saved.json
    assert any("count_done" in text for text in saved.json["problems"]), saved.json["problems"]
    shown = re.search(r'<div id="form-editor-problems"([^>]*)>(.*?)</div>', designer.get(EDIT).get_data(as_text=True),
                      re.DOTALL)
    assert "hidden" not in shown.group(1)
    assert "Развернуть так нельзя:" in shown.group(2) and "count_done" in shown.group(2)
