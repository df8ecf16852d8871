"""Two versions of a process side by side (issue 14 §4) in a real browser: version 2 of «отчёт ОУ» renames an
escalation, adds a script task at the start, removes the reminder (its timer, script task, end event and flows)
and gives the report task another form. The diff page marks the removed elements on the left, the added on the
right, the changed on both (the sub-process holding changes on its main plane, the elements themselves once the
designer opens it), leaves the untouched alone, and lists each change with the old value beside the new one (the
form included: an extension property bpmn-js-differ does not name). The versions list and the modeller
link to it; identical versions and a missing draft say so; an unknown version is 404. axe finds no WCAG 2.1 A/AA
violation on the page."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in

pytestmark = pytest.mark.browser

PROCESS = "plan_school_report"
REMOVED = ("report_reminder", "f_report_reminder", "report_remind", "f_report_reminded", "report_reminded")
WELCOME = ('<bpmn:scriptTask id="welcome" name="Приветствие"><bpmn:script>greeted = True</bpmn:script>'
           '</bpmn:scriptTask>\n    <bpmn:sequenceFlow id="f_welcome" sourceRef="welcome" targetRef="prepare"/>\n')


def second_version(xml: str) -> str:
    """The changes the page must show, made to the deployed file's text."""
    changed = xml.replace('name="Эскалация: просрочен отчёт"', 'name="Эскалация: отчёт просрочен"')
    changed = changed.replace('<spiffworkflow:property name="form" value="plan_report"/>',
                              '<spiffworkflow:property name="form" value="plan_evidence"/>')
    changed = re.sub(r'\s*<bpmn:boundaryEvent id="report_reminder".*?<bpmn:endEvent id="report_reminded"/>', "",
                     changed, flags=re.S)
    changed = changed.replace('<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="prepare"/>',
                              '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="welcome"/>\n    ' + WELCOME)
    assert changed.count("plan_evidence") == 1 and "report_remind" not in changed and 'id="welcome"' in changed
    return changed


def deploy_second_version(app) -> tuple[int, int]:
    """(the first version, the second) of the process, the second deployed as the modeller deploys."""
    with app.app_context():
        import engine
        from engine.db import db
        first = engine.process_versions(PROCESS)[0]["version"]
        second = engine.deploy_design(PROCESS, second_version(engine.open_design(PROCESS).xml), "designer",
                                      "Для сравнения").version
        db.session.remove()
    return first, second


def marks(page, side: str, element: str) -> str:
    shape = page.locator(f'#diff-{side} .djs-element[data-element-id="{element}"]')
    return shape.first.get_attribute("class") if shape.count() else None


def wait_for_diff(page):
    """Until the page has drawn both sides and listed the changes (or failed, which fails the test with why)."""
    expect(page.locator("#diff[data-ready]")).to_be_attached(timeout=60000)
    assert page.locator("#diff").get_attribute("data-ready") == "true", page.locator("#diff-problem").text_content()


def change_row(page, element, change, prop=None):
    selector = f'#diff-changes tr[data-element="{element}"][data-change="{change}"]'
    return page.locator(selector + (f'[data-property="{prop}"]' if prop else ""))


def test_a_designer_sees_what_changed_between_two_versions(live, page):
    base, app = live
    first, second = deploy_second_version(app)
    sign_in(page, base, "designer")
    page.goto(f"{base}/activities/{PROCESS}")
    page.get_by_role("link", name=f"Сравнить с версией {first}").click()
    wait_for_diff(page)
    assert f"from={first}" in page.url and f"to={second}" in page.url
    expect(page.locator("#diff-old-title")).to_have_text(f"Версия {first}")
    expect(page.locator("#diff-new-title")).to_have_text(f"Версия {second}")

    # the main plane: the new script task and its flow, the start flow redirected, the sub-process with changes
    assert "diff-added" in marks(page, "new", "welcome") and marks(page, "old", "welcome") is None
    assert "diff-added" in marks(page, "new", "f_welcome")
    assert "diff-changed" in marks(page, "old", "f_start") and "diff-changed" in marks(page, "new", "f_start")
    assert "diff-inside" in marks(page, "old", "report_work") and "diff-inside" in marks(page, "new", "report_work")
    for element in ("record", "prepare", "f_recorded"):
        assert not re.search(r"\bdiff-", marks(page, "old", element) + marks(page, "new", element)), element
    # inside the sub-process: opened on the left as a designer opens it, the right follows
    page.locator("#diff-old .bjs-drilldown").click()
    expect(page.locator("#diff-new .bjs-breadcrumbs")).to_contain_text("Отчёт по пункту плана")
    for element in REMOVED:
        assert "diff-removed" in marks(page, "old", element), element
        assert marks(page, "new", element) is None
    for element in ("report_escalate", "report_task"):
        assert "diff-changed" in marks(page, "old", element) and "diff-changed" in marks(page, "new", element)
    for element in ("report_escalate_guo", "report_overdue", "f_reported"):
        assert not re.search(r"\bdiff-", marks(page, "old", element) + marks(page, "new", element)), element

    form = change_row(page, "report_task", "changed", "spiffworkflow:form")
    expect(form.locator("td")).to_have_text([re.compile("Пользовательская задача.*report_task"), "изменён",
                                             "Форма", "plan_report", "plan_evidence"])
    renamed = change_row(page, "report_escalate", "changed", "name")
    expect(renamed.locator("td").nth(2)).to_have_text("Название")
    expect(renamed.locator("td").nth(3)).to_have_text("Эскалация: просрочен отчёт")
    expect(renamed.locator("td").nth(4)).to_have_text("Эскалация: отчёт просрочен")
    expect(change_row(page, "f_start", "changed", "targetRef").locator("td").nth(4)).to_have_text("welcome")
    expect(change_row(page, "welcome", "added").locator("td").nth(4)).to_contain_text("greeted = True")
    for element in REMOVED:
        expect(change_row(page, element, "removed")).to_have_count(1)
    expect(change_row(page, "report_remind", "removed").locator("td").nth(0)).to_contain_text("Напомнить о сроке")
    # nothing else: the renamed, the form, the new flow target, 2 added and 5 removed
    expect(page.locator("#diff-changes tbody tr")).to_have_count(3 + 2 + len(REMOVED))
    assert_accessible(page, "the comparison of two versions")


def test_the_same_version_twice_a_missing_draft_and_an_unknown_version(live, page):
    base, app = live
    _first, second = deploy_second_version(app)
    sign_in(page, base, "designer")
    page.goto(f"{base}/designer/{PROCESS}/diff?from={second}&to={second}")
    expect(page.locator("#diff-same-files")).to_contain_text("ничего не изменилось")
    page.goto(f"{base}/designer/{PROCESS}/diff?to=draft")
    expect(page.locator("#diff-no-draft")).to_be_visible()
    for query in ("from=99999", "to=99999", "from=abc", "to=-1"):
        assert page.goto(f"{base}/designer/{PROCESS}/diff?{query}").status == 404, query
    assert page.goto(f"{base}/designer/no_such_process/diff").status == 404


def test_the_modeller_compares_its_saved_draft_with_the_deployed_version(live, page):
    base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        latest = engine.process_versions(PROCESS)[0]["version"]
        xml = engine.open_design(PROCESS).xml
        engine.save_design(PROCESS, xml.replace('name="Зафиксировать сдачу"', 'name="Записать сдачу"'), "designer", 0)
        db.session.remove()
    sign_in(page, base, "designer")
    page.goto(f"{base}/designer/{PROCESS}")
    page.locator("#designer-diff").click()
    wait_for_diff(page)
    expect(page.locator("#diff-old-title")).to_have_text(f"Версия {latest}")
    expect(page.locator("#diff-new-title")).to_contain_text("Черновик")
    row = change_row(page, "record", "changed", "name")
    expect(row.locator("td").nth(3)).to_have_text("Зафиксировать сдачу")
    expect(row.locator("td").nth(4)).to_have_text("Записать сдачу")
    expect(page.locator("#diff-changes tbody tr")).to_have_count(1)
    assert "diff-changed" in marks(page, "new", "record") and "diff-changed" in marks(page, "old", "record")
