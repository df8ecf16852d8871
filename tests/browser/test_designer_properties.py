"""The properties panel's groups for what our engine reads (issue 14 §1), in a real browser: a user task of
plan_school_report shows its form chosen from forms/ (with a link to its preview) and its role from roles.json;
changing the due expression, choosing another role and writing instructions end in the saved XML as the
spiffworkflow elements the engine reads, and undo takes a change back; a timer says when it fires in Russian; a
flow out of a gateway shows its condition."""
import re
import time

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.browser.test_a1_journey import sign_in
from tests.browser.test_designer_roundtrip import open_designer

pytestmark = pytest.mark.browser

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
# The element's plane first: a subprocess's tasks are drawn on their own (a designer drills down into it).
SELECT = """(id) => { const m = window.giaDesigner.modeler, canvas = m.get('canvas');
  const element = m.get('elementRegistry').get(id);
  canvas.setRootElement(canvas.findRoot(element));
  m.get('selection').select(element); }"""
SAVED = "async () => (await window.giaDesigner.modeler.saveXML({format: true})).xml"


def _properties(xml: str, task_id: str) -> dict:
    task = etree.fromstring(xml.encode()).xpath("//*[@id=$id]", id=task_id)[0]
    found = {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property")}
    found["instructions"] = "".join(t.text or "" for t in task.iter(f"{SPIFF}instructionsForEndUser"))
    return found


def saved_with(page, text: str, seconds: float = 5) -> str:
    """The modeller's XML once it holds `text`: the panel writes a typed value after a short debounce."""
    deadline = time.monotonic() + seconds
    while True:
        xml = page.evaluate(SAVED)
        if text in xml or time.monotonic() > deadline:
            return xml
        page.wait_for_timeout(100)


def test_a_designer_edits_what_the_engine_reads_in_the_panel(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    page.evaluate(SELECT, "report_escalate_guo")
    panel = page.locator("#designer-properties")
    expect(panel.get_by_text("Задача исполнителя")).to_be_visible()
    form = panel.get_by_label("Форма")
    expect(form).to_have_value("escalation")
    link = panel.locator("[data-entry-id=gia-form] a")
    expect(link).to_have_text("Открыть форму")
    expect(link).to_have_attribute("href", "/designer/forms/escalation")
    role = panel.get_by_label("Роль исполнителя")
    expect(role).to_have_value("guo_head")
    assert "Начальник ГУО" in role.locator("option:checked").inner_text()

    role.select_option("iao_head")
    due = panel.get_by_label("Срок — выражение")
    due.fill("add_days(due, 5)")
    saved_with(page, "add_days(due, 5)")
    panel.get_by_label("Указания исполнителю").fill("Позвоните руководителю ОУ.")
    page.keyboard.press("Tab")
    saved = _properties(saved_with(page, "Позвоните руководителю ОУ."), "report_escalate_guo")
    assert saved["role"] == "iao_head" and saved["due"] == "add_days(due, 5)" and saved["form"] == "escalation"
    assert saved["instructions"] == "Позвоните руководителю ОУ."

    page.evaluate("() => window.giaDesigner.modeler.get('commandStack').undo()")
    assert _properties(page.evaluate(SAVED), "report_escalate_guo")["instructions"] != "Позвоните руководителю ОУ."

    page.evaluate(SELECT, "report_overdue")
    expect(panel.locator(".gia-timer-words")).to_be_visible()
    expect(panel.locator(".gia-timer-words")).to_contain_text(
        "Выражение: срок вычисляется, когда процесс дойдёт до таймера")
    page.evaluate("""() => { const m = window.giaDesigner.modeler; const timer = m.get('elementRegistry')
        .get('report_overdue').businessObject.eventDefinitions[0];
      m.get('modeling').updateModdleProperties(m.get('elementRegistry').get('report_overdue'), timer.timeDate,
                                               { body: "'2021-02-01T09:00:00+03:00'" }); }""")
    page.evaluate(SELECT, "report_task")
    page.evaluate(SELECT, "report_overdue")
    expect(panel.locator(".gia-timer-words")).to_contain_text("Сработает 1 февраля 2021 г. в 09:00 (МСК)")
    page.evaluate(SELECT, "report_work")  # the panel's header names the element's type in Russian too
    expect(panel.locator(".bio-properties-panel-header-type")).to_have_text(re.compile("свёрнутый подпроцесс", re.I))


def test_the_form_link_opens_the_form_as_the_task_shows_it(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    page.goto(f"{base}/designer/forms/plan_report")
    expect(page.get_by_role("heading", name="Отчёт по пункту плана")).to_be_visible()
    page.get_by_role("button", name="Проверить заполнение").click()
    expect(page.locator(".field-error").first).to_be_visible()
