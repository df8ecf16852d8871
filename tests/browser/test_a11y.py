"""Accessibility of the supervisors' pages (issue 13): axe-core, from npm (package.json pins it; `make vendor` copies
it to webui/static/vendor/axe-core, and no page loads it), is loaded into each page as the browser shows it and
finds no WCAG 2.1 A/AA violation: the plan at a glance with its city summary, a process diagram with its overlays,
the inbox and an instance page for a supervisor (and the instance list, incidents, an instance on its diagram where
those routes answer); the instance page and batch jobs for the operator; a school head's own columns. The
summary's chart is drawn (the canvas is not blank, and nothing is refused by the Content-Security-Policy) and its
figures are in a table too."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "webui" / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return {passes: result.passes.length, violations: result.violations.map(v => ({id: v.id, impact: v.impact,
    help: v.help, more: Math.max(0, v.nodes.length - 5),
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — '
                                      + (n.failureSummary || '').replace(/\\s+/g, ' '))}))};
}"""
# Pages of the cockpit added beside these (instance list, incidents, batch jobs; an instance on its diagram below):
# checked when the route answers (404 where it is not there).
NEWER_PAGES = ("/instances", "/incidents", "/batches")


@pytest.fixture(scope="module")
def city(lived_live):
    """(base URL, an overdue instance's id, a process with instances) on the lived plan."""
    base, app = lived_live
    with app.app_context():
        from engine.db import db
        from engine.plan import plan_for, plan_matrix
        matrix = plan_matrix(plan_for())
        overdue = next(c.instance_id for c in matrix.cells.values() if c.state == "overdue")
        db.session.remove()
    return base, overdue


def violations(page) -> list[dict]:
    """axe's findings on the page as shown. axe is loaded from the app's own /static (no page links it): an inline
    copy would be refused by the Content-Security-Policy, which stays on, as people meet it."""
    assert AXE.exists(), "axe-core is not in webui/static/vendor: run `make vendor`"
    origin = "/".join(page.url.split("/")[:3])
    page.add_script_tag(url=f"{origin}/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(RUN_AXE, WCAG_21_AA)
    assert result["passes"] >= 10, result  # axe ran its rules on the page (a blank result proves nothing)
    return result["violations"]


def readable(found: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
                     + (f"\n    … and {v['more']} more" if v["more"] else "") for v in found)


def assert_accessible(page, what: str) -> None:
    found = violations(page)
    assert not found, f"{what}: WCAG 2.1 A/AA violations found by axe-core\n{readable(found)}"


def test_the_supervisors_pages_have_no_wcag_violations(city, page):
    base, overdue = city
    sign_in(page, base, "iao")
    assert_accessible(page, "inbox")
    page.goto(f"{base}/plan/")
    expect(page.locator("#summary-chart[data-ready=true]")).to_be_attached()
    assert_accessible(page, "/plan (the matrix and the city summary)")
    page.get_by_text("Недели в цифрах", exact=True).click()  # the chart's table, open
    assert_accessible(page, "/plan with the weeks' table open")
    page.goto(f"{base}/activities/plan_school_report/diagram")
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    assert page.locator(".djs-overlays [data-count]").count() > 0
    assert_accessible(page, "a process diagram with its overlays")
    page.goto(f"{base}/instances/{overdue}")
    assert_accessible(page, f"instance {overdue}")
    for path in (*NEWER_PAGES, f"/instances/{overdue}/diagram"):
        if page.goto(f"{base}{path}").status == 200:
            if page.locator("#diagram").count():
                expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
            assert_accessible(page, path)


def test_the_operators_pages_have_no_wcag_violations(city, page):
    """The operator (a personal right to repair) meets the instance page with its actions and the batch jobs."""
    base, overdue = city
    sign_in(page, base, "operator")
    for path in (f"/instances/{overdue}", "/batches", "/incidents", "/ops/"):
        if page.goto(f"{base}{path}").status == 200:
            assert_accessible(page, f"{path} as the operator")


def test_a_school_heads_columns_have_no_wcag_violations(city, page):
    base, _overdue = city
    sign_in(page, base, "head17")
    page.goto(f"{base}/plan/matrix")
    expect(page.locator("#summary-chart[data-ready=true]")).to_be_attached()
    assert_accessible(page, "head17's plan at a glance")


def test_the_summary_chart_is_drawn_and_its_figures_are_in_a_table(city, page):
    base, _overdue = city
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, base, "iao")
    page.goto(f"{base}/plan/")
    chart = page.locator("#summary-chart[data-ready=true]")
    expect(chart).to_be_visible()
    painted = page.evaluate("""() => {
      const canvas = document.getElementById('summary-chart');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
      return {painted, width: canvas.width, height: canvas.height};
    }""")
    assert painted["width"] > 100 and painted["height"] > 100 and painted["painted"] > 1000, painted
    data = page.evaluate("() => JSON.parse(document.getElementById('summary-data').textContent)")
    table = page.get_by_role("table", name="Выполнено и сроки по неделям")
    expect(table).to_be_hidden()  # inside the closed <details>: one click away
    page.get_by_text("Недели в цифрах", exact=True).click()
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(data["weeks"]))
    deadlines = [int(n) for n in rows.locator("td:nth-child(3)").all_inner_texts()]
    assert deadlines == data["deadlines"] and sum(deadlines) > 0
    assert not refused, refused  # Chart.js draws within the Content-Security-Policy
    page.screenshot(path="test-results/city-summary.png", full_page=True)
