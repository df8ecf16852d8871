"""Scenario A11 in a real browser (plan 1.3): on 1 Dec 2020 the ИАО drafts «Об определении ППЭ и руководителей
ППЭ» with the PPE list attached; the deputy head returns it (a return without comments refused), the ИАО sees the
comment and sends it again, the deputy approves, the Начальник ГУО signs, and the ИАО registers its number and
date (a date after today refused). The head of school №12 acknowledges it by 5 Dec (refused until she ticks the
box); the head of school №17 cannot open school №12's task."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import add_people, at, shoot

pytestmark = pytest.mark.browser

ORDER_TITLE = "Об определении ППЭ и руководителей ППЭ"
PLAN_1_3 = {"number": "1.3", "title": "Подготовка приказов ГУО по организации ГИА", "section": 1}
SCHOOLS = [{"code": "school-12", "name": "МБОУ «СОШ №12»"}, {"code": "school-17", "name": "МБОУ «СОШ №17»"}]


@pytest.fixture
def order(live):
    """The order of plan item 1.3 started by the plan on 1 Dec 2020, due 4 Dec, for schools №12 and №17."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import set_manual_clock
        set_manual_clock("2020-12-01T10:00:00+03:00")
        add_people(("deputy", "guo_deputy", "guo", "Исмаилов М.А."))
        data = {"plan_item": PLAN_1_3, "starts": "2020-12-01", "due": "2020-12-04", "lead_role": "iao_specialist",
                "escalate_to": "iao_head", "params": {"orders": [ORDER_TITLE], "schools": SCHOOLS}}
        instance_id = engine.start("plan_order", data, unit="guo", actor="plan").instance_id
        db.session.remove()
    return instance_id


def sign_in_deputy(page, base):
    """The deputy head lands on the plan at a glance, like the Начальник ГУО (sign_in expects the inbox)."""
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "deputy")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1, name="Программа одним взглядом")).to_be_visible()
    page.get_by_role("link", name="Мои задачи").first.click()


def decide(page, decision, button="Отправить"):
    page.check(f'input[name="decision"][value="{decision}"]')
    page.get_by_role("button", name=button).click()


def done(page):
    expect(page.locator(".flash.success")).to_be_visible()


def test_a11_order_returned_approved_signed_registered_and_acknowledged(live, page, order, tmp_path):
    base, app = live
    ppe = tmp_path / "ppe.pdf"
    ppe.write_bytes(b"%PDF-1.4 PPE list")

    sign_in(page, base, "iao")
    expect(page.locator("table.list tr", has_text="Проект приказа: 1.3")).to_contain_text("04.12.2020")
    open_task(page, "Проект приказа: 1.3")
    expect(page.locator('input[name="title"]')).to_have_value(ORDER_TITLE)
    page.fill('textarea[name="text"]', "Определить ППЭ и назначить руководителей ППЭ согласно приложению.")
    page.set_input_files('input[name="attachment"]', str(ppe))
    page.get_by_role("button", name="Отправить на согласование").click()
    done(page)
    sign_out(page)

    # The deputy returns it: not without saying why.
    sign_in_deputy(page, base)
    open_task(page, "Согласование приказа: " + ORDER_TITLE)
    decide(page, "return")
    expect(page.locator(".field-error")).to_have_text("Обязательное поле.")
    shoot(page, "a11_return_refused")
    page.fill('textarea[name="comment"]', "Добавьте адреса ППЭ.")
    decide(page, "return")
    done(page)
    sign_out(page)

    sign_in(page, base, "iao")
    page.locator("table.list tr", has_text="Возвратов: 1").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("(доработка)")
    expect(page.locator(".instructions")).to_contain_text("Добавьте адреса ППЭ.")
    page.fill('textarea[name="text"]', "Определить ППЭ (с адресами) и назначить руководителей ППЭ.")
    page.get_by_role("button", name="Отправить на согласование").click()
    done(page)
    sign_out(page)

    sign_in_deputy(page, base)
    open_task(page, "Согласование приказа: " + ORDER_TITLE)
    decide(page, "approve")
    done(page)
    sign_out(page)

    sign_in(page, base, "guo_head")
    page.get_by_role("link", name="Мои задачи").first.click()  # she lands on the plan at a glance
    open_task(page, "Подписание приказа: " + ORDER_TITLE)
    decide(page, "sign")
    done(page)
    sign_out(page)

    # 3 Dec: the number and date are registered; a date after today is refused.
    at(app, "2020-12-03T10:00:00+03:00")
    sign_in(page, base, "iao")
    open_task(page, "Регистрация приказа: " + ORDER_TITLE)
    page.fill('input[name="number"]', "2206-05/20")
    page.fill('input[name="signed_on"]', "2020-12-04")
    page.get_by_role("button", name="Зарегистрировать и разослать в ОУ").click()
    expect(page.locator(".field-error")).to_contain_text("Дата приказа не может быть позже сегодняшнего дня.")
    expect(page.locator('input[name="number"]')).to_have_value("2206-05/20")
    page.fill('input[name="signed_on"]', "2020-12-03")
    page.get_by_role("button", name="Зарегистрировать и разослать в ОУ").click()
    done(page)
    sign_out(page)

    # The schools acknowledge within 2 days.
    at(app, "2020-12-03T15:00:00+03:00")
    sign_in(page, base, "head12")
    ack = "Ознакомиться с приказом № 2206-05/20"
    row = page.locator("table.list tr", has_text=ack)
    expect(row).to_contain_text("Приказ: № 2206-05/20 от 03.12.2020")
    expect(row).to_contain_text("05.12.2020")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{ack} «{ORDER_TITLE}»")
    ack_url = page.url
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator(".field-error")).to_contain_text("Подтвердите ознакомление с приказом.")
    page.check('input[name="acknowledged"]')
    page.get_by_role("button", name="Подтвердить").click()
    done(page)
    sign_out(page)

    sign_in(page, base, "head17")
    assert page.goto(ack_url).status == 404
    page.goto(f"{base}/")
    expect(page.locator("table.list tr", has_text=ack)).to_have_count(1)  # her own school's, not school №12's
    assert page.goto(f"{base}/instances/{order}").status == 404  # nor the department's order
