"""The dry run and the token simulation on the modeller page (issue 14 §3), in a real browser: the designer opens
plan_school_report and clicks «Пробный прогон»; the elements the runs reached get the gia-reached marker (the
report task, its reminder timer, the end), none is marked unreached, and the report under the bar says so in
Russian with its counts; a diagram with a task no flow leads to gets it marked unreached and listed, and the
listed item selects it. «Симуляция токенов» switches the token simulation on and off. Nothing is refused by the
Content-Security-Policy meanwhile, and axe finds no WCAG 2.1 A/AA violation with the report shown."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in
from tests.browser.test_designer_roundtrip import open_designer

pytestmark = pytest.mark.browser

ORPHAN = """async () => {
  const modeler = window.giaDesigner.modeler;
  const factory = modeler.get("elementFactory"), modeling = modeler.get("modeling");
  const root = modeler.get("canvas").getRootElement();
  const shape = modeling.createShape(factory.createShape({ type: "bpmn:Task" }), { x: 200, y: 600 }, root);
  modeling.updateProperties(shape, { id: "orphan_task", name: "Забытая задача" });
  return shape.id;
}"""


def marked(page, marker: str) -> list:
    """The elements carrying `marker`, on every plane (a collapsed subprocess's elements are drawn on their own
    plane, out of the page until one opens it)."""
    return page.evaluate("""(marker) => {
        const modeler = window.giaDesigner.modeler, canvas = modeler.get("canvas");
        return modeler.get("elementRegistry").filter((element) => canvas.hasMarker(element, marker))
            .map((element) => element.id); }""", marker)


def test_the_dry_run_colours_the_diagram_and_lists_its_report(browser, live):
    base, _ = live
    page = browser.new_context().new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")

    page.get_by_role("button", name="Пробный прогон").click()
    report = page.locator("#dry-run-report")
    expect(report).to_contain_text("Пробный прогон: прогонов", timeout=30_000)
    expect(report).to_contain_text(re.compile(r"достигнуто элементов: (\d+) из \1;"))
    reached = marked(page, "gia-reached")
    assert {"report_task", "report_reminder", "report_overdue", "record", "end"} <= set(reached)
    expect(page.locator(".djs-element.gia-reached[data-element-id=record]")).to_have_count(1)  # drawn so
    assert marked(page, "gia-unreached") == []

    assert page.evaluate(ORPHAN) == "orphan_task"
    page.get_by_role("button", name="Пробный прогон").click()
    expect(report.locator("section[data-kind=unreached]")).to_contain_text("Недостижимые элементы: 1")
    assert marked(page, "gia-unreached") == ["orphan_task"]
    expect(report.locator("button[data-element=orphan_task] code")).to_have_text("orphan_task")  # an id as code
    report.locator("button[data-element=orphan_task]").click()
    assert page.evaluate("window.giaDesigner.modeler.get('selection').get().map((e) => e.id)") == ["orphan_task"]
    assert_accessible(page, "/designer/plan_school_report with the dry run's report")

    simulation = page.get_by_role("button", name="Симуляция токенов")
    simulation.click()
    expect(simulation).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".bjs-container.simulation, .simulation")).not_to_have_count(0)
    simulation.click()
    expect(simulation).to_have_attribute("aria-pressed", "false")
    assert refused == []
