"""The operator on an instance's page in Chromium: the variables open as JSON, a deadline moved through the form
(with its confirmation and a reason) reaches the task row and the trail, and the page passes its CSP."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import sign_in
from tests.engine.test_repair import FLOW

pytestmark = pytest.mark.browser


def test_an_operator_moves_a_deadline_from_the_instance_page(page, live, tmp_path):
    base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        engine.deploy([("repair_flow.bpmn", FLOW)], actor="admin")
        instance_id = engine.start("p", {"due": "2021-03-25", "until": "2021-04-01T09:00:00+03:00"},
                                   unit="school-17", actor="admin").instance_id
        db.session.remove()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, base, "operator")
    page.goto(f"{base}/instances/{instance_id}")
    variables = page.locator("details#variables")
    variables.locator("summary").click()
    expect(variables.locator("pre")).to_contain_text('"due": "2021-03-25"')
    expect(page.locator("table.timers")).to_contain_text("Напоминание")

    row = page.locator("table.tasks tr", has_text="Заполнить")
    row.locator("details.task-actions summary").click()
    row.locator("input[type=date]").fill("2021-04-10")
    row.locator("form[action$='/due'] input[name=reason]").fill("перенос по письму школы")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Перенести срок").click()
    expect(page.locator("div.flash.success")).to_contain_text("Срок перенесён")
    expect(page.locator("table.tasks tr", has_text="Заполнить")).to_contain_text("10.04.2021")
    expect(page.locator("ol.trail")).to_contain_text("перенос по письму школы")
    page.screenshot(path="/tmp/d-helper/operator.png", full_page=True)
    assert refused == []
