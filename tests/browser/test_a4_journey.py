"""Scenario A4 in a real browser (plan 3.19, 3.20): the ИАО enters organiser Y's test result; a score over 100% and
a test day in the future are refused with Russian messages; 60% with a ФЦТ certificate fails against the pass mark
of 80% and a retake is due 14 Apr; 85% on 9 Apr makes Y eligible. Variant: organiser W failed twice and was
removed; the head of school №17 must name a replacement (an empty name is refused), and the head of school №12
cannot open that task."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import at, shoot

pytestmark = pytest.mark.browser

Y = {"fio": "Юсупов Ярослав Магомедович", "position": "организатор в аудитории", "email": "y@school17.example"}
W = {"fio": "Вагабов Вадим Шамилевич", "position": "организатор вне аудитории", "email": "w@school17.example"}


@pytest.fixture
def certification(live):
    """The test opened on 2 Mar 2021 for Y and for W of school №17, due 31 Mar; W has failed twice already (60% on
    20 Mar, 70% on 9 Apr) and is removed. Returns (Y's instance id, W's replacement task id)."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import set_manual_clock
        set_manual_clock("2021-03-02T10:00:00+03:00")
        y, w = (engine.start("staff_certification", {"staff": person, "test_due": "2021-03-31"}, unit="school-17",
                             actor="iao").instance_id for person in (Y, W))
        iao = engine.user_by_login("iao")
        for moment, score in (("2021-03-20", 60), ("2021-04-09", 70)):
            set_manual_clock(f"{moment}T09:00:00+03:00")
            [task] = engine.list_tasks(instance_id=w)
            engine.complete(task.id, iao, {"tested_on": moment, "score": score, "fct_certificate": True})
        [replace] = engine.list_tasks(instance_id=w)
        replace_id = replace.id
        db.session.remove()
    return y, replace_id


def score(page, tested_on, value):
    page.fill('input[name="tested_on"]', tested_on)
    page.fill('input[name="score"]', value)
    page.get_by_role("button", name="Внести результат").click()


def test_a4_organiser_fails_retakes_and_passes_and_a_removed_one_is_replaced(live, page, certification):
    base, app = live
    y, replace_id = certification

    # 20 Mar: the ИАО enters Y's first result; impossible input is refused and kept.
    at(app, "2021-03-20T12:00:00+03:00")
    sign_in(page, base, "iao")
    row = page.locator("table.list tr", has_text=f"Аттестация: {Y['fio']}")
    expect(row).to_contain_text("31.03.2021")
    open_task(page, f"Аттестация: {Y['fio']}")
    page.check('input[name="fct_certificate"]')
    score(page, "2021-03-20", "101")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator('input[name="score"] ~ .field-error, .field.invalid .field-error')).to_contain_text("100")
    expect(page.locator('input[name="score"]')).to_have_value("101")
    expect(page.locator('input[name="fct_certificate"]')).to_be_checked()
    score(page, "2021-03-21", "60")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(".field-error")).to_contain_text("позже сегодняшнего дня")
    shoot(page, "a4_score_refused")
    score(page, "2021-03-20", "60")
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    # The retake is due 14 Apr; the instance says why.
    retake = page.locator("table.list tr", has_text=f"Аттестация: {Y['fio']}")
    expect(retake).to_contain_text("Попытка: 2")  # the title, cut short in the inbox, ends «, пересдача»
    expect(retake).to_contain_text("14.04.2021")
    page.goto(f"{base}/instances/{y}")
    expect(page.locator("main")).to_contain_text("не аттестован (60% при проходном 80%), пересдача до 14.04.2021")

    # 9 Apr: 85% on the retake; Y is eligible for the staff list.
    at(app, "2021-04-09T12:00:00+03:00")
    page.goto(f"{base}/")
    open_task(page, f"Аттестация: {Y['fio']}")
    expect(page.locator(".instructions")).to_contain_text("Попытка 1 (20.03.2021): 60% — не аттестован")
    page.check('input[name="fct_certificate"]')
    score(page, "2021-04-09", "85")
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    page.goto(f"{base}/instances/{y}")
    expect(page.locator("main")).to_contain_text("аттестован")
    expect(page.locator("main")).not_to_contain_text("не аттестован (")
    sign_out(page)

    # W was removed: the head of school №17 names a replacement; the school does not see its staff's scores.
    sign_in(page, base, "head17")
    expect(page.locator("main")).not_to_contain_text(f"Аттестация: {Y['fio']}")
    open_task(page, f"Назначить замену: {W['fio']}")
    expect(page.locator(".instructions")).to_contain_text("не прошёл(ла) аттестацию работников ППЭ 2 раза")
    page.fill('input[name="position"]', "учитель истории")
    page.fill('input[name="email"]', "z@school17.example")
    page.get_by_role("button", name="Назначить замену").click()
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(".field-error")).to_contain_text("Обязательное поле")
    expect(page.locator('input[name="position"]')).to_have_value("учитель истории")
    shoot(page, "a4_replacement_refused")
    page.fill('input[name="fio"]', "Закирова Зарема Руслановна")
    page.get_by_role("button", name="Назначить замену").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    sign_out(page)

    # Another school's head cannot open the task.
    sign_in(page, base, "head12")
    response = page.goto(f"{base}/tasks/{replace_id}")
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text(W["fio"])
