"""A process's diagram in the browser (issue 13 §3): bpmn-js, served by the app, draws the deployed version, and
each element carries the counts of its instances' tasks (waiting now, done), read here from the overlays as a
supervisor sees them and checked against the task rows; the heatmap colours the elements; nothing breaks the
Content-Security-Policy; a school head's diagram counts her own unit's instances only. The errors overlay counts
the instances stopped at each element (checked against the instance rows), an incident's element is marked; one
instance's diagram marks where it stands, the elements and flows it passed, and where it failed."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import HumanTask, ProcessInstance
from tests.browser.test_a1_journey import sign_in
from tests.engine.a1 import checklist, only, start_check
from tests.engine.incident_cases import PROCESS, make_incidents

pytestmark = pytest.mark.browser

OVERLAY_COUNTS = """() => Array.from(document.querySelectorAll('.djs-overlays')).flatMap(o =>
    Array.from(o.querySelectorAll('[data-count]')).map(b =>
        [o.getAttribute('data-container-id'), b.getAttribute('data-count'), Number(b.textContent)]))"""


@pytest.fixture
def checks(live):
    """Three PPE checks: №17's and №12's checklists done (№17's with a fault, so its fix task waits), and a
    second one of №12's still open."""
    base, app = live
    with app.app_context():
        ids = {ppe: start_check(ppe) for ppe in ("ppe-17", "ppe-12")}
        start_check("ppe-12", due="2021-04-20")
        engine.complete(only(ids["ppe-17"], "checklist").id, engine.user_by_login("tech17"),
                        checklist(faulty=["jammer"]))
        engine.complete(only(ids["ppe-12"], "checklist").id, engine.user_by_login("tech12"), checklist())
        db.session.commit()
        expected = {"city": _counts(), "ppe-17": _counts(HumanTask.instance_id == ids["ppe-17"])}
        db.session.remove()
    return base, expected


def _counts(*where) -> dict:
    rows = db.session.execute(select(HumanTask.bpmn_id, HumanTask.state, func.count())
                              .where(HumanTask.state.in_(("READY", "COMPLETED")), *where)
                              .group_by(HumanTask.bpmn_id, HumanTask.state))
    return {(bpmn_id, "waiting" if state == "READY" else "done"): count for bpmn_id, state, count in rows}


def test_a_supervisor_reads_each_elements_counts_on_the_diagram(checks, page):
    base, expected = checks
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, base, "iao")
    page.goto(f"{base}/activities/ppe_tech_check")
    page.get_by_role("link", name="Схема процесса с экземплярами").click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    expect(page.locator("#diagram svg[data-element-id=ppe_tech_check]")).to_be_visible()
    assert page.get_by_role("button", name="Открыть Проверка оборудования ППЭ").count() == 1  # bpmn-js in Russian
    overlays = page.evaluate(OVERLAY_COUNTS)
    shown = {(element, kind): count for element, kind, count in overlays if not kind.endswith("-inside")}
    assert shown == expected["city"]
    assert ("checklist", "done") in shown and ("checklist", "waiting") in shown
    # the collapsed sub-process «Проверка оборудования ППЭ» on the main plane sums what waits and was done inside it
    inside = {(element, kind): count for element, kind, count in overlays if kind.endswith("-inside")}
    assert inside == {("check", "waiting-inside"): shown[("checklist", "waiting")],
                      ("check", "done-inside"): shown[("checklist", "done")],
                      ("fix_faults", "waiting-inside"): shown[("fix_task", "waiting")]}
    page.get_by_role("button", name="Тепловая карта: медиана времени задачи").click()
    expect(page.locator("#heatmap")).to_have_attribute("aria-pressed", "true")
    assert page.locator(".djs-element[class*=heat-]").count() >= 1
    assert not refused, refused
    page.screenshot(path="test-results/diagram.png", full_page=True)


def test_a_school_heads_diagram_counts_her_units_instances_only(checks, page):
    base, expected = checks
    sign_in(page, base, "tech17")
    page.goto(f"{base}/activities/ppe_tech_check/diagram")
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    shown = {(element, kind): count for element, kind, count in page.evaluate(OVERLAY_COUNTS)
             if not kind.endswith("-inside")}
    assert shown == expected["ppe-17"] and shown[("checklist", "done")] == 1


@pytest.fixture
def incidents(live):
    """The incident cases (tests/engine/incident_cases.py): instances in error at two script tasks, stalled at a
    join, and running; with the brute force of what the errors overlay must show."""
    base, app = live
    with app.app_context():
        ids = make_incidents()
        expected = {}
        for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == PROCESS)):
            if instance.status in ("error", "stalled"):
                expected[(instance.error_element, "errors")] = expected.get((instance.error_element, "errors"), 0) + 1
        db.session.remove()
    return base, ids, expected


def test_the_errors_overlay_counts_the_instances_stopped_at_each_element_and_an_incident_is_marked(incidents, page):
    base, _ids, expected = incidents
    sign_in(page, base, "iao")
    page.goto(f"{base}/incidents")
    row = page.locator("tr.incident", has_text="Подсчитать итог")
    row.get_by_role("link", name="Сверка сведений").click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    errors = {(element, kind): count for element, kind, count in page.evaluate(OVERLAY_COUNTS) if kind == "errors"}
    assert errors == expected == {("calc", "errors"): 4, ("tally", "errors"): 2, ("join", "errors"): 2}
    expect(page.locator(".djs-element.highlight[data-element-id=tally]")).to_have_count(1)
    assert page.locator(".djs-element.highlight").count() == 1
    assert page.get_by_role("img", name="с ошибкой или без движения: 4").count() == 1  # the badge's words
    page.screenshot(path="test-results/diagram-errors.png", full_page=True)


def test_one_instances_diagram_marks_where_it_stands_and_the_path_it_took(incidents, page):
    base, ids, _expected = incidents
    running, failed = ids[-1], ids[0]
    sign_in(page, base, "head12")
    page.goto(f"{base}/instances/{running}")
    page.get_by_role("link", name="Показать на схеме").click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()

    def marked(marker):
        return set(page.eval_on_selector_all(f".djs-element.{marker}", "els => els.map(e => e.dataset.elementId)"))
    assert marked("path-current") == {"after"}
    assert marked("path-passed") == {"start", "fill", "split", "calc"}
    assert {"f0", "f1", "f_calc"} <= marked("path-flow") and "f_tally" not in marked("path-flow")
    passes = {(element, kind): count for element, kind, count in page.evaluate(OVERLAY_COUNTS)}
    assert passes[("fill", "passes")] == 1 and passes[("calc", "passes")] == 1
    expect(page.locator("#instance-tasks tr[data-element=after]")).to_contain_text("Проверить итог")
    page.goto(f"{base}/instances/{failed}/diagram")
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    assert marked("path-stopped") == {"calc"} and marked("path-current") == {"fill"}
    page.screenshot(path="test-results/instance-diagram.png", full_page=True)
