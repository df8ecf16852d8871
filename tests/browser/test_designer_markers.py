"""Problems on the diagram (issue 14 §2) in a real browser: the designer breaks an expression of a task of
`plan_school_report` through the modeller, saves the draft and, as the checks run on every save, the collapsed
sub-process holding the task is marked on the process's plane; the problem is listed under the bar as a button that
opens the sub-process and selects the task, which has a marker and a badge whose title holds the Russian message
and the line of the code; Deploy is disabled with the reason. Fixed and checked again, the markers are gone and
Deploy is back. A task added with no flow breaks a modelling rule (bpmnlint): it is marked the same way, the
rules' summary counts it, Deploy is disabled while the draft can still be saved; removed, all is well again. axe
finds no WCAG 2.1 A/AA violation with the markers and lists shown. The rules' levels let every process of
processes/ be deployed, and each rule reports in Russian."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in
from tests.browser.test_designer_roundtrip import open_designer
from tests.conftest import PROCESSES

pytestmark = pytest.mark.browser

TASK = "report_task"  # the school's report, a user task whose title is an expression
WORK = "report_work"  # the collapsed sub-process it is in (drawn on a plane of its own)
CYRILLIC = re.compile("[А-Яа-яЁё]{4,}")
SET_TITLE = """(value) => {
  const modeler = window.giaDesigner.modeler;
  const element = modeler.get("elementRegistry").get("%s");
  const property = element.businessObject.extensionElements.values
    .find((e) => e.$type === "spiffworkflow:Properties").properties.find((p) => p.name === "title");
  const before = property.value;
  modeler.get("modeling").updateModdleProperties(element, property, {value});
  return before;
}""" % TASK
ADD_LONELY_TASK = """() => {
  const modeler = window.giaDesigner.modeler;
  const canvas = modeler.get("canvas");
  const shape = modeler.get("elementFactory").createShape({type: "bpmn:Task"});
  const root = canvas.findRoot(modeler.get("elementRegistry").get("prepare"));  // the process's plane
  canvas.setRootElement(root);
  const lowest = Math.max(...modeler.get("elementRegistry").filter((e) => e.parent === root && !e.waypoints)
    .map((e) => e.y + e.height));
  modeler.get("modeling").createShape(shape, {x: 200, y: lowest + 150}, root);
  modeler.get("modeling").updateProperties(shape, {name: "Забытая задача"});
  return shape.id;
}"""


def marked(page, element_id, severity="error"):
    return page.locator(f'g.djs-element.gia-problem-{severity}[data-element-id="{element_id}"]')


def badge(page, element_id):
    return page.locator(f'.djs-overlays[data-container-id="{element_id}"] .gia-problem-badge')


def test_a_broken_expression_and_a_broken_rule_are_marked_on_the_diagram(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    deploy = page.get_by_role("button", name="Развернуть")
    rules = page.locator("#designer-rules")
    # The plan's pattern breaks no rule at "error" level (its unnamed start and boundary events are warnings).
    expect(page.locator("#designer-rules-summary")).to_contain_text("ошибок — 0")
    expect(deploy).to_be_enabled()
    assert not page.locator("g.djs-element.gia-problem-error").count()

    original = page.evaluate(SET_TITLE, "'Отчёт: ' + (plan_item['number']")
    page.get_by_role("button", name="Сохранить черновик").click()  # the checks run on the save by themselves
    expect(page.locator("#designer-status")).to_contain_text("Черновик сохранён")
    expect(marked(page, WORK)).to_be_visible()  # seen from the process's plane
    expect(badge(page, WORK)).to_have_text("1")
    expect(badge(page, WORK)).to_have_attribute("title", re.compile(TASK))
    expect(marked(page, TASK)).to_be_hidden()  # on the sub-process's plane, not shown yet
    listed = page.locator("#designer-problems").get_by_role("button", name=re.compile(TASK))
    expect(listed).to_contain_text("Отчёт по пункту плана")  # the task's name, its id, the message, the line
    expect(listed).to_contain_text("(строка 1 кода)")
    expect(deploy).to_be_disabled()
    expect(page.locator("#designer-deploy-reason")).to_contain_text("последняя проверка нашла ошибки")
    listed.click()
    expect(marked(page, TASK)).to_be_visible()
    expect(badge(page, TASK)).to_have_text("1")
    title = badge(page, TASK).get_attribute("title")
    assert CYRILLIC.search(title) and "Traceback" not in title and "title" in title, title
    expect(listed).to_contain_text(title)
    assert page.evaluate("() => window.giaDesigner.modeler.get('selection').get().map((e) => e.id)") == [TASK]
    assert_accessible(page, "/designer/plan_school_report with a problem marked")

    page.evaluate(SET_TITLE, original)
    page.get_by_role("button", name="Проверить").click()
    expect(page.locator("#designer-report")).to_contain_text("Ошибок нет")
    expect(marked(page, TASK)).to_have_count(0)
    expect(badge(page, TASK)).to_have_count(0)
    expect(marked(page, WORK)).to_have_count(0)
    expect(page.locator("#designer-problems li")).to_have_count(0)
    expect(deploy).to_be_enabled()
    expect(page.locator("#designer-deploy-reason")).to_be_hidden()

    lonely = page.evaluate(ADD_LONELY_TASK)
    expect(marked(page, lonely)).to_be_visible()
    expect(badge(page, lonely)).to_have_attribute("title", re.compile("ни с чем не соединён"))
    expect(page.locator("#designer-rules-summary")).to_contain_text("ошибок — 1")
    expect(rules).to_have_attribute("open", "")  # opened by itself for an error
    expect(rules.get_by_role("button", name=re.compile("Забытая задача"))).to_contain_text("ни с чем не соединён")
    expect(deploy).to_be_disabled()
    expect(page.locator("#designer-deploy-reason")).to_contain_text("нарушены правила моделирования")
    assert "No Issues" not in page.inner_text("body") and "Errors" not in page.inner_text("body")
    page.get_by_role("button", name="Сохранить черновик").click()  # a draft with errors is saved all the same
    expect(page.locator("#designer-status")).to_contain_text("Черновик сохранён")
    expect(page.locator("#designer-canvas")).to_have_attribute("data-revision", "2")
    assert_accessible(page, "/designer/plan_school_report with a modelling rule broken")

    page.evaluate("(id) => { const m = window.giaDesigner.modeler; "
                  "m.get('modeling').removeElements([m.get('elementRegistry').get(id)]); }", lonely)
    expect(marked(page, lonely)).to_have_count(0)
    expect(page.locator("#designer-rules-summary")).to_contain_text("ошибок — 0")
    expect(deploy).to_be_enabled()


LINT_FILE = """async (xml) => {
  const designer = window.giaDesigner;
  await designer.ready;
  await designer.modeler.importXML(await designer.withDrawing(xml));
  const results = await designer.modeler.get("linting").lint();
  return Object.entries(results).flatMap(([rule, reports]) => reports.map((r) => [rule, r.category, r.id, r.message]));
}"""


def test_the_plan_processes_break_no_modelling_rule_at_error_level_and_every_rule_speaks_russian(module_live, page):
    """The rules' levels (frontend/lint-config.js) let every process of processes/ be deployed: a rule that flags
    correct plan diagrams is a warning. And a diagram breaking each rule gets Russian text, never bpmnlint's."""
    base, _app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    files = sorted(PROCESSES.glob("*.bpmn"))
    assert len(files) >= 15
    warnings = 0
    for path in files:
        reports = page.evaluate(LINT_FILE, path.read_text("utf-8"))
        assert not [r for r in reports if r[1] != "warn"], (path.name, reports)
        warnings += len(reports)
        assert all(CYRILLIC.search(r[3]) for r in reports), reports
    assert warnings  # the rules ran (the plan patterns' unnamed start events are warned about)

    broken = (PROCESSES / "plan_dept_task.bpmn").read_text("utf-8").replace("</bpmn:process>", """
      <bpmn:complexGateway id="complex" name="Сложный"/>
      <bpmn:task id="half" name="Без входа"/>
      <bpmn:sequenceFlow id="f_half" sourceRef="half" targetRef="complex"/>
      <bpmn:sequenceFlow id="f_half_again" sourceRef="half" targetRef="complex"/>
      <bpmn:startEvent id="second_start" name="Ещё одно начало"/>
    </bpmn:process>""", 1)
    reports = page.evaluate(LINT_FILE, broken)
    rules = {r[0] for r in reports if r[1] == "error"}
    assert {"no-complex-gateway", "no-implicit-start", "no-implicit-end", "no-duplicate-sequence-flows",
            "no-implicit-split", "single-blank-start-event"} <= rules, reports
    assert all(CYRILLIC.search(r[3]) and "<bpmn:" not in r[3] for r in reports), reports
