"""The supervisors' cockpit as its users meet it (issue 13, "Browser journeys"), on the plan lived to 4 December
2020: a supervisor finds the overdue cells of item 3.34 (the schools' programmes of psychological support; the
schools nobody answers for have not handed in) on the matrix, opens one and sees the instance's position on its
diagram; a school head sees only her units' columns. Counts are read from the page (the matrix's cells, the
overlays), checked against the rows. (The operator's journey through an incident group is
test_incident_retry_journey.py: its fresh database would replace this module's lived one on PostgreSQL.)"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine import clock
from engine.db import db
from engine.models import HumanTask, PlanItem, ProcessInstance
from tests.browser.test_a1_journey import sign_in

pytestmark = pytest.mark.browser

MARKED = "m => Array.from(document.querySelectorAll('.djs-element.' + m)).map(e => e.dataset.elementId)"


def _overdue_of_334(app) -> dict[str, int]:
    """{unit code: instance id} of item 3.34's instances whose open task is past its deadline, from the rows."""
    with app.app_context():
        item = db.session.scalar(select(PlanItem).where(PlanItem.number == "3.34"))
        rows = db.session.execute(
            select(ProcessInstance.unit_code, ProcessInstance.id).join(HumanTask, HumanTask.instance_id ==
                                                                       ProcessInstance.id)
            .where(ProcessInstance.plan_item_id == item.id, HumanTask.state == "READY",
                   HumanTask.due_at < clock.now())).all()
        db.session.remove()
    return dict(rows)


def test_a_supervisor_finds_the_overdue_cells_of_334_and_sees_the_instance_on_its_diagram(lived_live, page):
    base, app = lived_live
    overdue = _overdue_of_334(app)
    assert overdue, "the lived plan has no overdue school for 3.34 on 4 December: the journey has nothing to find"
    sign_in(page, base, "iao")
    page.goto(f"{base}/plan/matrix?problems=1")
    row = page.locator("tbody tr", has=page.locator("th.m-item", has_text="3.34"))
    cells = row.locator("td.m-overdue a")
    expect(cells).to_have_count(len(overdue))
    cells.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("СОШ")
    instance_id = int(page.url.split("/instances/")[1].split("/")[0].split("?")[0])
    assert instance_id in overdue.values()
    page.get_by_role("link", name="Показать на схеме").click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    with app.app_context():
        waiting = set(db.session.scalars(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance_id,
                                                                         HumanTask.state == "READY")))
        db.session.remove()
    # The school's report task and its escalations lie in the collapsed sub-process «report_work»: the main
    # plane marks it, and its own plane (one click down) marks the tasks themselves.
    assert waiting and waiting <= {"report_task", "report_escalate", "report_escalate_guo"}
    assert page.evaluate(MARKED, "path-current") == ["report_work"]
    page.locator(".bjs-drilldown").first.click()
    expect(page.locator(".djs-element.path-current[data-element-id=report_task]")).to_be_visible()
    assert waiting <= set(page.evaluate(MARKED, "path-current"))
    page.screenshot(path="test-results/cockpit-334-instance.png", full_page=True)


def test_a_school_head_sees_only_her_units_columns(lived_live, page):
    base, _app = lived_live
    sign_in(page, base, "head17")
    page.goto(f"{base}/plan/matrix")
    titles = page.eval_on_selector_all("th.m-unit abbr", "els => els.map(e => e.title)")
    assert titles and all("17" in title for title in titles), titles
