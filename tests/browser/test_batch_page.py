"""An operator in Chromium: from the instance list filtered on errors, «Действие над найденными» → the preview
with its counts → a reason and the confirmation → the job's page, whose progress bar and counts follow the job
as a worker runs it (batch.js polls the JSON) up to its report; nothing refused by the CSP, and axe-core finds
no WCAG 2.1 A/AA violation on the pages."""
import threading

import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in
from tests.engine import batch_kit as kit

pytestmark = pytest.mark.browser


def test_an_operator_retries_what_the_filter_found_and_follows_the_job(page, live):
    base, app = live
    app.config["GIA_BATCH_RUN"] = "none"  # the test plays the worker, once the page is waiting
    with app.app_context():
        from engine.db import db
        kit.prepare()
        broken = kit.failing(4)
        kit.set_day("2021-03-20")
        db.session.remove()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, base, "operator")
    page.goto(f"{base}/instances?status=error&process={kit.PROCESS_ID}")
    start = page.locator("form#batch-start")
    start.locator("select[name=action]").select_option("retry")
    start.get_by_role("button", name="Предпросмотр").click()

    expect(page.locator("#batch-total")).to_have_text("4")
    expect(page.locator("#batch-expected")).to_have_text("4")
    expect(page.locator("table#batch-sample tbody tr")).to_have_count(4)
    assert_accessible(page, "the batch preview")
    page.fill("textarea[name=reason]", "дата внесена в календарь")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Подтвердить и выполнить").click()

    expect(page.locator("#count-pending")).to_have_text("4")
    expect(page.locator("#batch-state")).to_contain_text("выполняется")
    assert_accessible(page, "a running batch")
    job_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    def worker():
        with app.app_context():
            import engine
            from engine.db import db
            engine.run_batch(job_id)
            db.session.remove()
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    expect(page.locator("#batch-state")).to_contain_text("Пакет выполнен", timeout=15_000)
    expect(page.locator("#count-done")).to_have_text("4")
    expect(page.locator("#batch-bar")).to_have_attribute("value", "4")
    expect(page.locator("#no-refusals")).to_be_visible()
    assert_accessible(page, "a finished batch")
    page.goto(f"{base}/batches")
    expect(page.locator("table#batches tbody tr")).to_have_count(1)
    assert_accessible(page, "the batch list")
    assert refused == []
