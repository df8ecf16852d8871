"""The designer's list offers a new process from a plan pattern (issue 14 §9): the form posts, the new process's
draft opens in the modeller and shows on the list as not deployed yet; what to correct comes back in place with
what was typed kept; only designers and administrators may create."""
from tests.web.conftest import csrf
from tests.web.test_designer_pages import _page_data


def test_a_designer_creates_a_process_from_a_pattern(site):
    designer = site("designer")
    listing = designer.get("/designer")
    body = listing.get_data(as_text=True)
    assert "Новый процесс" in body and "Отчёт школ" in body and "Приказ с согласованием" in body
    token = csrf(listing)
    wrong = designer.post("/designer/new", data={"csrf_token": token, "bpmn_id": "1опрос", "name": "Опрос ОУ",
                                                 "pattern": "plan_dept_task"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "Процесс не создан" in text and "латинских букв" in text
    assert 'value="Опрос ОУ"' in text and 'value="1опрос"' in text
    made = designer.post("/designer/new", data={"csrf_token": token, "bpmn_id": "school_survey",
                                                "name": "Опрос ОУ", "pattern": "plan_dept_task"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/designer/school_survey")
    opened = designer.get("/designer/school_survey")
    data = _page_data(opened)
    assert data["revision"] == 1 and 'id="school_survey"' in data["xml"]
    page = opened.get_data(as_text=True)
    assert "<h1>Опрос ОУ: моделирование</h1>" in page and 'id="designer-diff"' not in page  # nothing to compare
    listed = designer.get("/designer").get_data(as_text=True)
    assert 'href="/designer/school_survey"' in listed and "ещё не развёрнут" in listed
    again = designer.post("/designer/new", data={"csrf_token": token, "bpmn_id": "school_survey",
                                                 "name": "Ещё раз", "pattern": "plan_dept_task"})
    assert again.status_code == 422 and "уже есть" in again.get_data(as_text=True)


def test_only_designers_create_processes(site):
    for login in ("head17", "iao", "operator"):
        client = site(login)
        refused = client.post("/designer/new", data={"csrf_token": csrf(client.get("/")), "bpmn_id": "mine_now",
                                                     "name": "Моё", "pattern": "plan_dept_task"})
        assert refused.status_code == 403
    assert "mine_now" not in site("designer").get("/designer").get_data(as_text=True)
