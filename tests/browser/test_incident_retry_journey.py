"""An operator's journey through an incident (issue 13, "Browser journeys"): three instances stopped in error at the
script that reads the exam calendar form one group on the incidents page; once the cause is fixed (the calendar
gets its date), «Повторить все в группе» → the preview → a reason and the confirmation → the job's report: each
instance is running again and the incidents page is empty."""
import pytest
from playwright.sync_api import expect

from engine.db import db
from tests.browser.test_a1_journey import sign_in
from tests.engine import batch_kit as kit

pytestmark = pytest.mark.browser


def test_an_operator_retries_an_incident_group_once_its_cause_is_fixed(live, page):
    base, app = live
    app.config["GIA_BATCH_RUN"] = "inline"
    with app.app_context():
        kit.prepare()
        broken = kit.failing(3)
        db.session.remove()
    sign_in(page, base, "operator")
    page.goto(f"{base}/incidents")
    group = page.locator("tr", has_text="Срок по календарю")
    expect(group).to_contain_text("3")
    with app.app_context():  # the cause: the exam calendar had no date for the day the script reads; now it has
        kit.set_day("2021-03-20")
        db.session.remove()
    group.get_by_role("button", name="Повторить все в группе").click()
    expect(page.locator("#batch-total")).to_have_text("3")
    page.fill("textarea[name=reason]", "дата внесена в календарь")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Подтвердить и выполнить").click()
    expect(page.locator("#batch-state")).to_contain_text("Пакет выполнен", timeout=20_000)
    expect(page.locator("#count-done")).to_have_text("3")
    with app.app_context():
        assert kit.statuses(broken) == {i: "running" for i in broken}
        db.session.remove()
    page.goto(f"{base}/incidents")
    expect(page.get_by_text("Инцидентов нет")).to_be_visible()
