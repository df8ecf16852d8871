"""The designer's pages (issue 14 §1, §7): a designer (or an administrator) lists the deployed processes with
their drafts and saves drafts as JSON with the CSRF header; a stale revision answers 409 with who saved
meanwhile; a school head and the ИАО specialist get 403 on every /designer route, and no navigation link."""
import json

from tests.web.conftest import csrf


def _post(client, token, bpmn_id, body):
    return client.post(f"/designer/{bpmn_id}/draft", data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token})


def _page_data(response) -> dict:
    text = response.get_data(as_text=True)
    start = text.index('id="designer-data">') + len('id="designer-data">')
    return json.loads(text[start:text.index("</script>", start)])


def test_designer_lists_opens_and_saves_with_revisions(site):
    designer, admin = site("designer"), site("admin")
    listing = designer.get("/designer")
    assert listing.status_code == 200
    body = listing.get_data(as_text=True)
    assert 'href="/designer/plan_school_report"' in body and "Моделирование" in body
    assert "черновика нет" in body
    page = designer.get("/designer/plan_school_report")
    data = _page_data(page)
    assert data["revision"] == 0 and 'id="plan_school_report"' in data["xml"]
    changed = data["xml"].replace('name="', 'name="Новое: ', 1)
    saved = _post(designer, data["csrf_token"], "plan_school_report", {"xml": changed, "revision": 0})
    assert saved.status_code == 200 and saved.json["revision"] == 1
    assert "черновик от" in designer.get("/designer").get_data(as_text=True)
    again = _page_data(admin.get("/designer/plan_school_report"))
    assert again["revision"] == 1 and again["xml"] == changed
    stale = _post(designer, data["csrf_token"], "plan_school_report", {"xml": data["xml"], "revision": 0})
    assert stale.status_code == 409 and "тем временем сохранил(а)" in stale.json["message"]
    assert _page_data(designer.get("/designer/plan_school_report"))["xml"] == changed
    broken = _post(designer, data["csrf_token"], "plan_school_report", {"xml": "<oops", "revision": 1})
    assert broken.status_code == 422
    assert _post(designer, "", "plan_school_report", {"xml": changed, "revision": 1}).status_code in (400, 403)
    assert designer.get("/designer/no_such_process").status_code == 404


def test_only_designers_and_admins_see_the_area(site):
    for login in ("head17", "iao", "operator"):
        client = site(login)
        token = csrf(client.get("/"))
        assert "/designer" not in client.get("/").get_data(as_text=True)
        assert client.get("/designer").status_code == 403
        assert client.get("/designer/plan_school_report").status_code == 403
        assert _post(client, token, "plan_school_report", {"xml": "<x/>", "revision": 0}).status_code == 403
    assert 'href="/designer"' in site("designer").get("/").get_data(as_text=True)


def test_designer_checks_and_deploys_from_the_page_and_others_may_not(site):
    designer, iao = site("designer"), site("iao")
    data = _page_data(designer.get("/designer/plan_school_report"))

    def post(client, action, body, token=data["csrf_token"]):
        return client.post(f"/designer/plan_school_report/{action}", data=json.dumps(body),
                           content_type="application/json", headers={"X-CSRFToken": token} if token else {})

    broken = data["xml"].replace("<bpmn:script>", "<bpmn:script>x = (\n", 1)  # a script that does not compile
    checked = post(designer, "check", {"xml": broken})
    assert checked.status_code == 200 and checked.json["valid"] is False and checked.json["problems"]
    assert "нельзя развернуть" in checked.json["message"]
    refused = post(designer, "deploy", {"xml": broken, "comment": "сломано"})
    assert refused.status_code == 422 and refused.json["problems"] == checked.json["problems"]
    renamed = data["xml"].replace('name="', 'name="Изменено: ', 1)
    assert post(designer, "check", {"xml": renamed}).json == {
        "valid": True, "problems": [], "message": "Ошибок нет: схему можно развернуть."}
    deployed = post(designer, "deploy", {"xml": renamed, "comment": "новое название"})
    assert deployed.status_code == 201 and deployed.json["message"] == f"Развёрнута как версия {deployed.json['version']}."
    page = designer.get(deployed.json["versions_url"].split("#")[0]).get_data(as_text=True)
    assert "новое название" in page
    assert post(designer, "deploy", {"xml": renamed}).status_code == 200  # the same content: that version
    assert post(designer, "deploy", {"xml": renamed}, token=None).status_code == 400  # no CSRF token
    token = csrf(iao.get("/"))  # her own session's token: she is refused for who she is, not for a bad token
    for action in ("check", "deploy"):
        assert post(iao, action, {"xml": renamed}, token=token).status_code == 403
