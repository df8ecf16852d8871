"""What the modeller offers a designer to choose (issue 14 §1) and the form preview its form field links to: the
page's data lists every form of forms/ and every role of roles.json by title; /designer/forms/<key> renders the
form through the inbox's own path and checks a filled-in form by the task's rules, storing nothing; only
designers and administrators reach it."""
import forms
from engine import roles
from tests.web.conftest import csrf
from tests.web.test_designer_pages import _page_data


def test_the_modeller_offers_the_forms_and_roles_by_title(site):
    data = _page_data(site("designer").get("/designer/plan_school_report"))
    catalogue = data["catalogue"]
    assert [f["key"] for f in catalogue["forms"]] == forms.registry_keys()
    assert {r["code"]: r["title"] for r in catalogue["roles"]} == {
        code: role.title for code, role in roles.catalogue().items()}
    assert {"key": "plan_report", "title": "Отчёт по пункту плана", "own": False} in catalogue["forms"]
    assert catalogue["form_url"] == "/designer/forms/__KEY__"
    assert catalogue["now"].startswith("20")


def test_a_form_previews_as_the_task_shows_it_and_checks_what_is_filled_in(site):
    designer = site("designer")
    page = designer.get("/designer/forms/plan_report")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Отчёт по пункту плана" in body
    assert 'name="summary"' in body and "Что сделано" in body and 'type="file"' in body
    token = csrf(page)
    refused = designer.post("/designer/forms/plan_report", data={"csrf_token": token, "count_done": "-4"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Исправьте" in text
    assert text.count('<p class="field-error">') == 2  # the summary is required, the count may not be below 0
    accepted = designer.post("/designer/forms/plan_report", data={"csrf_token": token, "summary": "Проведено",
                                                                  "count_done": "3", "count_total": "5"})
    assert "Форма заполнена верно" in accepted.get_data(as_text=True)
    assert designer.get("/designer/forms/no_such_form").status_code == 404
    assert designer.get("/designer/forms/..%2Fconfig").status_code == 404


def test_only_designers_preview_forms(site):
    for login in ("head17", "iao", "operator"):
        assert site(login).get("/designer/forms/plan_report").status_code == 403
    assert site("admin").get("/designer/forms/plan_report").status_code == 200
