"""A school head on a phone (390×844): every page she uses fits the screen without sideways scrolling (the
navigation wraps, the inbox turns into cards, the task page and its form fit), «Выйти» and «Профиль» stay in
reach, and a form's file inputs let her take a photo with the camera."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_a1_journey import sign_in
from tests.engine.a1 import checklist, only
from tests.web.lived import live_plan

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def head17_pages(live):
    """A lived plan, an A1 check of PPE №17 at the host school's fix step and another at its checklist; the pages
    head17 opens, an open report of hers, and the open checklist."""
    base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from engine.models import HumanTask, ProcessInstance
        live_plan()
        check = engine.start("ppe_tech_check", {"check_due": "2020-12-08", "fix_days": 7, "recheck_days": 3},
                             unit="ppe-17", actor="iao").instance_id
        engine.complete(only(check, "checklist").id, engine.user_by_login("tech17"),
                        checklist(faulty=["jammer"], checked_on="2020-12-04"))
        mine = db.session.scalars(select(HumanTask).where(
            HumanTask.unit_code == "school-17", HumanTask.role == "school_head")).all()
        report = next(t for t in mine if t.state == "READY" and t.form_key == "plan_report")
        done = max((t for t in mine if t.state == "COMPLETED" and t.form_key),  # a table of rows if she has one
                   key=lambda t: (t.form_key in ("ege_choices", "essay_applications"), t.id))
        instance = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.unit_code == "school-17",
                                                                      ProcessInstance.process_id == "plan_school_report"))
        open_check = engine.start("ppe_tech_check", {"check_due": "2020-12-10", "fix_days": 7, "recheck_days": 3},
                                  unit="ppe-17", actor="iao").instance_id
        checklist_id = only(open_check, "checklist").id
        pages = ["/", "/?tab=mine", "/?tab=group", f"/tasks/{report.id}", f"/tasks/{only(check, 'fix_task').id}",
                 f"/tasks/{done.id}", "/profile", "/activities", "/activities/plan_school_report",
                 "/activities/ppe_tech_check", f"/instances/{instance}", f"/instances/{check}"]
        db.session.remove()
    return base, pages, report.id, checklist_id


def test_a_school_head_works_from_a_phone(page, head17_pages):
    """Every page fits 390 px; the inbox is cards; file inputs take a photo or a scan (the camera for a fault)."""
    base, pages, report_id, checklist_id = head17_pages
    page.set_viewport_size(PHONE)
    sign_in(page, base, "head17")
    for path in pages:
        page.goto(base + path)
        expect(page.locator("main h1").first).to_be_visible()
        assert page.evaluate(WIDTH) <= 390, (path, page.evaluate(WIDTH))
        for name in ("Профиль", "Мои задачи", "Мероприятия плана"):
            box = page.get_by_role("link", name=name, exact=True).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (path, name, box)
        box = page.get_by_role("button", name="Выйти").bounding_box()
        assert box and box["x"] + box["width"] <= 390, (path, box)

    # the inbox is a column of cards, each naming its unit
    page.goto(base + "/")
    cards = page.locator("table.inbox tbody tr")
    expect(cards.first).to_be_visible()
    assert cards.first.evaluate("row => getComputedStyle(row).display") == "block"
    assert cards.first.locator("td.unit").inner_text().endswith("МБОУ «СОШ №17»")
    page.goto(f"{base}/tasks/{report_id}")
    document = page.locator("input[type=file][name=document]")
    expect(document).to_have_attribute("accept", "image/*,application/pdf")
    assert page.evaluate(WIDTH) <= 390

    page.get_by_role("button", name="Выйти").click()
    sign_in(page, base, "tech17")
    page.goto(f"{base}/tasks/{checklist_id}")
    photos = page.locator("input[type=file][name$='-photo']")
    assert photos.count() >= 7  # every item of the checklist and every auditorium's printing station
    for i in range(photos.count()):
        expect(photos.nth(i)).to_have_attribute("capture", "environment")  # the back camera, for the fault
        expect(photos.nth(i)).to_have_attribute("accept", "image/*,application/pdf")
    assert page.evaluate(WIDTH) <= 390
