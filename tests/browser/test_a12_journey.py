"""Scenario A12 in a real browser: results announced on 21 Jun 2021, pupil Z appeals at school №41 on 22 Jun. The
school's coordinator sees the forward due 23 Jun and the commission's limit of 4 working days (29 Jun), and
forwards it (a date before the appeal refused, the input kept). The ИАО records the outcome, upheld with the scores
changed (unchanged scores refused), and the instance shows it for the results analysis. The coordinator of school
№12 cannot open school №41's task."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import add_people, at, shoot

pytestmark = pytest.mark.browser

PUPIL = "Закиров Заур Магомедович"
APPEAL = {"pupil": PUPIL, "exam": "ЕГЭ", "subject": "Русский язык", "results_on": "2021-06-21",
          "appeal_on": "2021-06-22"}


@pytest.fixture
def appeal(live):
    """Pupil Z's appeal registered at school №41 on 22 Jun 2021."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import set_manual_clock
        set_manual_clock("2021-06-22T11:00:00+03:00")
        engine.ensure_unit("school-41", "МБОУ «СОШ №41»", "school", "guo")
        add_people(("coord41", "school_coordinator", "school-41", "Омарова С.К."),
                   ("coord12", "school_coordinator", "school-12", "Ибрагимов Т.А."))
        instance_id = engine.start("score_appeal", APPEAL, unit="school-41", actor="coord41").instance_id
        db.session.remove()
    return instance_id


def test_a12_appeal_forwarded_and_upheld_with_changed_scores(live, page, appeal, tmp_path):
    base, app = live
    scan = tmp_path / "appeal.pdf"
    scan.write_bytes(b"%PDF-1.4 appeal of 22.06.2021")

    sign_in(page, base, "coord41")
    row = page.locator("table.list tr", has_text="Передать апелляцию в КК")
    expect(row).to_contain_text("23.06.2021")
    expect(row).to_contain_text("Решение КК до: 29.06.2021")
    open_task(page, "Передать апелляцию в КК")
    forward = page.url
    instructions = page.locator(".instructions")
    expect(instructions).to_contain_text("в течение 4 рабочих дней")
    expect(instructions).to_contain_text("не позднее 29.06.2021")

    at(app, "2021-06-23T10:00:00+03:00")
    page.reload()
    page.fill('input[name="forwarded_on"]', "2021-06-21")
    page.set_input_files('input[name="appeal_scan"]', str(scan))
    page.get_by_role("button", name="Апелляция передана в КК").click()
    expect(page.locator(".field-error")).to_contain_text("раньше, чем она подана (22.06.2021)")
    expect(page.locator('input[name="forwarded_on"]')).to_have_value("2021-06-21")
    shoot(page, "a12_forward_refused")
    page.fill('input[name="forwarded_on"]', "2021-06-23")
    page.get_by_role("button", name="Апелляция передана в КК").click()
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    sign_in(page, base, "coord12")
    assert page.goto(forward).status == 404
    expect(page.locator("main")).not_to_contain_text(PUPIL)
    sign_out(page)

    # 28 Jun: the ИАО records the commission's decision.
    at(app, "2021-06-28T15:00:00+03:00")
    sign_in(page, base, "iao")
    expect(page.locator("table.list tr", has_text="Решение КК по апелляции")).to_contain_text("29.06.2021")
    open_task(page, "Решение КК по апелляции")
    page.check('input[name="decision"][value="upheld"]')
    page.fill('input[name="old_score"]', "54")
    page.fill('input[name="new_score"]', "54")
    page.fill('input[name="decided_on"]', "2021-06-28")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".field-error")).to_contain_text("должны отличаться от прежних (54)")
    page.fill('input[name="new_score"]', "61")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_be_visible()
    page.goto(f"{base}/instances/{appeal}")
    expect(page.locator("main")).to_contain_text("апелляция удовлетворена: баллы 54 → 61")
