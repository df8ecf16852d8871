"""Scenario A2 in a real browser: on 9 Feb 2021 ИАО starts the registration of a past-year graduate's ЕГЭ
application from the activities page; without the scan the form refuses (after the 1 Feb deadline) and keeps what
was typed; with a PDF scan it is accepted; ИАО submits it to the ГЭК, records the ГЭК's decision № 12 of
15.02.2021, and the instance page shows «включён в РИС по решению ГЭК № 12 от 15.02.2021»."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in
from tests.conftest import set_manual_clock

pytestmark = pytest.mark.browser

REASON = "Болезнь: стационар с 25.01.2021 по 05.02.2021"


@pytest.fixture
def plan_in_force(live):
    """The 2020/21 plan opened (its exam calendar gives the dates), the clock on 9 Feb 2021."""
    _base, app = live
    with app.app_context():
        from engine.db import db
        from engine.plan import catalogue
        from engine.plan import running as plans
        set_manual_clock("2021-02-09T10:00:00+03:00")
        plans.open_plan(catalogue.load_default(), actor="admin")
        db.session.remove()
    return live


def move_clock(app, moment):
    with app.app_context():
        from engine.db import db
        set_manual_clock(moment)
        db.session.remove()


def submit(page, label="Отправить"):
    page.get_by_role("button", name=label).click()


def test_late_application_of_a_past_year_graduate_in_the_browser(plan_in_force, page, tmp_path):
    base, app = plan_in_force

    # ИАО starts the registration from the activities page.
    sign_in(page, base, "iao")
    page.get_by_role("link", name="Мероприятия плана").click()
    page.get_by_role("link", name=re.compile("Заявление на участие в ЕГЭ после срока")).click()
    page.get_by_text("Зарегистрировать заявление на участие в ЕГЭ").click()
    expect(page.get_by_label(re.compile("Управление образования"))).to_be_checked()
    page.get_by_role("button", name="Начать регистрацию").click()
    expect(page.locator(".flash.success")).to_contain_text("Запущено: 1")

    # The application of 9 Feb (biology, history), first without the scan: refused, the input kept.
    page.get_by_role("link", name="Мои задачи").click()
    open_task(page, "Регистрация заявления на участие в ЕГЭ")
    expect(page.locator(".instructions")).to_contain_text("Срок подачи заявлений — 01.02.2021")
    page.fill('input[name="full_name"]', "Магомедов Артур Русланович")
    page.select_option('select[name="category"]', "vpl")
    page.fill('input[name="graduation_year"]', "2019")
    page.fill('input[name="document_series"]', "8212")
    page.fill('input[name="document_number"]', "345678")
    page.get_by_label("Биология", exact=True).check()
    page.get_by_label("История", exact=True).check()
    page.fill('input[name="received_on"]', "2021-02-09")
    page.fill('textarea[name="late_reason"]', REASON)
    submit(page, "Зарегистрировать заявление")
    error = page.locator(".field-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Заявление подано после срока подачи заявлений (01.02.2021): приложите скан")
    expect(page.locator('input[name="full_name"]')).to_have_value("Магомедов Артур Русланович")
    expect(page.locator('select[name="category"]')).to_have_value("vpl")
    expect(page.locator('input[name="document_number"]')).to_have_value("345678")
    expect(page.get_by_label("Биология", exact=True)).to_be_checked()
    expect(page.get_by_label("История", exact=True)).to_be_checked()
    expect(page.get_by_label("Физика", exact=True)).not_to_be_checked()
    expect(page.locator('input[name="received_on"]')).to_have_value("2021-02-09")
    expect(page.locator('textarea[name="late_reason"]')).to_have_value(REASON)

    # With the hospital discharge attached it is registered; the ГЭК task shows the earliest exam from the calendar.
    pdf = tmp_path / "vypiska.pdf"
    pdf.write_bytes(b"%PDF-1.4 hospital discharge 25.01-05.02.2021")
    page.set_input_files('input[name="reason_document"]', str(pdf))
    submit(page, "Зарегистрировать заявление")
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    page.get_by_role("link", name="Мои задачи").click()
    row = page.locator("table.list tr", has_text="Передать заявление в ГЭК")
    expect(row).to_contain_text("Магомедов Артур Русланович")
    open_task(page, "Передать заявление в ГЭК")
    instructions = page.locator(".instructions")
    expect(instructions).to_contain_text("Ближайший — «История», 11.06.2021")
    expect(instructions).to_contain_text(REASON)
    move_clock(app, "2021-02-10T11:00:00+03:00")
    page.fill('input[name="submitted_on"]', "2021-02-10")
    page.fill('input[name="outgoing_number"]', "ИАО-45/21")
    submit(page, "Заявление передано в ГЭК")
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    # The ГЭК decides on 15 Feb; ИАО records it on 16 Feb.
    move_clock(app, "2021-02-16T12:00:00+03:00")
    page.get_by_role("link", name="Мои задачи").click()
    open_task(page, "Решение ГЭК")
    expect(page.locator(".instructions")).to_contain_text("исх. № ИАО-45/21")
    page.check('input[name="outcome"][value="accepted"]')
    page.fill('input[name="protocol_number"]', "12")
    page.fill('input[name="protocol_date"]', "2021-02-15")
    submit(page, "Записать решение ГЭК")
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    # The activity page and the instance page show the outcome.
    page.get_by_role("link", name="Мероприятия плана").click()
    page.get_by_role("link", name=re.compile("Заявление на участие в ЕГЭ после срока")).click()
    expect(page.locator("table.status-table")).to_contain_text("включён в РИС по решению ГЭК № 12 от 15.02.2021")
    page.locator("table.status-table").get_by_role("link", name="Подробнее").first.click()
    expect(page.locator("main")).to_contain_text("включён в РИС по решению ГЭК № 12 от 15.02.2021")
    trail = page.locator("ol.trail")
    for step in ("Регистрация заявления на участие в ЕГЭ", "Передать заявление в ГЭК: Магомедов Артур Русланович",
                 "Решение ГЭК: Магомедов Артур Русланович"):
        expect(trail.locator("li", has_text=step)).to_have_count(1)
