"""The comparison of two versions (issue 14 §4) over HTTP: a designer or an administrator gets the page with both
files as deployed in its data; a school head, an ИАО specialist and an operator get 403 (audited, as every
designer route); an unknown version is 404 and the same version twice says that nothing changed."""
import json
import re

import engine
from engine.db import db
from engine.models import AuditEvent
from tests.browser.test_version_diff import PROCESS, second_version


def _data(response) -> dict:
    found = re.search(r'<script type="application/json" id="diff-data">(.*?)</script>', response.get_data(as_text=True),
                      re.S)
    return json.loads(found.group(1))


def test_a_designer_gets_both_versions_and_others_are_refused(site):
    first = engine.process_versions(PROCESS)[0]["version"]
    second = engine.deploy_design(PROCESS, second_version(engine.open_design(PROCESS).xml), "designer").version
    page = site("designer").get(f"/designer/{PROCESS}/diff")
    assert page.status_code == 200
    data = _data(page)
    assert "plan_report" in data["old"]["xml"] and "plan_evidence" in data["new"]["xml"]
    assert data["words"]["properties"]["spiffworkflow:form"] == "Форма"
    assert site("admin").get(f"/designer/{PROCESS}/diff?from={second}&to={first}").status_code == 200
    for login in ("head17", "iao", "operator"):
        before = db.session.query(AuditEvent).count()
        refused = site(login).get(f"/designer/{PROCESS}/diff?from={first}&to={second}")
        assert refused.status_code == 403, login
        assert "plan_evidence" not in refused.get_data(as_text=True)
        db.session.rollback()
        assert db.session.query(AuditEvent).count() == before + 1, login  # the refusal is audited


def test_unknown_versions_are_not_found_and_the_same_one_twice_is_said_to_be_unchanged(site):
    designer = site("designer")
    latest = engine.process_versions(PROCESS)[0]["version"]
    for query in (f"from={latest + 1}", "to=0", "from=x", "to=draft&from=drafts"):
        assert designer.get(f"/designer/{PROCESS}/diff?{query}").status_code == 404, query
    assert designer.get("/designer/nothing/diff").status_code == 404
    same = designer.get(f"/designer/{PROCESS}/diff?from={latest}&to={latest}").get_data(as_text=True)
    assert 'id="diff-same-files"' in same and "diff-data" not in same


def test_the_versions_list_shows_the_process_file_and_keeps_the_others_behind_a_toggle(site):
    version = engine.process_versions(PROCESS)[0]
    assert len(version["files"]) > 10  # the whole bundle of processes/ is one version
    for login in ("iao", "designer"):
        body = site(login).get(f"/activities/{PROCESS}").get_data(as_text=True)
        section = body[body.index('id="versions"'):]
        shown, hidden = section.split('<details class="version-files">', 1)
        assert f"<code>{PROCESS}.bpmn</code>" in shown and "<code>ppe_tech_check.bpmn</code>" not in shown
        assert "<code>ppe_tech_check.bpmn</code>" in hidden.split("</details>")[0]
        assert f"Другие файлы версии: {len(version['files']) - 1}" in section
    second = engine.deploy_design(PROCESS, second_version(engine.open_design(PROCESS).xml), "designer").version
    for login, compare in (("iao", False), ("designer", True)):
        body = site(login).get(f"/activities/{PROCESS}").get_data(as_text=True)
        link = f'href="/designer/{PROCESS}/diff?to={second}&amp;from={version["version"]}"'
        assert (link in body) == compare, login  # only those who may open it are offered the comparison


def test_without_from_a_version_is_compared_with_the_one_before_it(site):
    first = engine.process_versions(PROCESS)[0]["version"]
    second = engine.deploy_design(PROCESS, second_version(engine.open_design(PROCESS).xml), "designer").version
    third = engine.deploy_design(PROCESS, second_version(engine.open_design(PROCESS).xml).replace(
        "Приветствие", "Начало"), "designer").version
    designer = site("designer")
    assert "Начало" in _data(designer.get(f"/designer/{PROCESS}/diff"))["new"]["xml"]  # latest against second
    assert "Приветствие" in _data(designer.get(f"/designer/{PROCESS}/diff"))["old"]["xml"]
    older = _data(designer.get(f"/designer/{PROCESS}/diff?to={second}"))
    assert "plan_evidence" in older["new"]["xml"] and "plan_evidence" not in older["old"]["xml"]
    oldest = designer.get(f"/designer/{PROCESS}/diff?to={first}").get_data(as_text=True)
    assert 'id="diff-same-files"' in oldest and third > second


def test_the_forms_deployed_with_a_version_are_compared_under_the_diagrams(site):
    """A form drafted for the process shows against the latest version (the draft side), then between the two
    versions once deployed: the field added, with the form's title; the diagram itself unchanged."""
    import copy

    import forms
    latest = engine.process_versions(PROCESS)[0]["version"]
    definition = copy.deepcopy(forms.load_raw("plan_report"))
    definition["fields"].append({"name": "comment", "type": "text", "label": "Комментарий"})
    definition["fields"][0]["required"] = False
    engine.save_form_design(PROCESS, "plan_report", definition, "designer", 0)
    drafted = site("designer").get(f"/designer/{PROCESS}/diff?from={latest}&to=draft").get_data(as_text=True)
    rows = re.findall(r'<tr class="diff-(\w+)"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>'
                      r'<td>(.*?)</td><td>(.*?)</td></tr>', drafted)
    assert rows == [("changed", "Отчёт по пункту плана", "Что сделано (summary)", "изменён", "Обязательное", "да",
                     "нет"),
                    ("added", "Отчёт по пункту плана", "Комментарий (comment)", "добавлен", "", "", "")]
    second = engine.deploy_design(PROCESS, engine.open_design(PROCESS).xml, "designer").version
    deployed = site("designer").get(f"/designer/{PROCESS}/diff?from={latest}&to={second}").get_data(as_text=True)
    assert 'id="diff-form-changes"' in deployed and "Комментарий (comment)" in deployed
    assert 'id="diff-same-files"' not in deployed  # the same diagram, another form: a change
