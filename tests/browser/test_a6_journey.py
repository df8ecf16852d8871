"""Scenario A6 in a real browser: the final essay, planned for 2 Dec 2020, is moved by the ИАО on the exam calendar
page to 5 Apr and then to 15 Apr 2021. School №17 had not handed in: its open task follows (due 01.04.2021, its
title with the new date). School №12 had handed in on 10 Nov: its order names the old date, so it issues a new one
and confirms its counts (more изложение than ОВЗ pupils refused). After the essay it reports the results (a total
that is not the number of applicants refused) and registers the «незачёт» and the excused absence for 12 and
19 May (a wrong split refused). The head of school №12 cannot open school №17's task."""
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import at, shoot

pytestmark = pytest.mark.browser

ESSAY = "Итоговое сочинение (изложение)"


@pytest.fixture
def essay(live):
    """The 2020/21 plan open, the essay's instances of schools №12 and №17 started on 1 Nov 2020 (plan 3.12), and
    school №12's order and applications handed in on 10 Nov (50 essays, 2 изложение by ОВЗ pupils)."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from engine.plan import catalogue
        from engine.plan import running as plans
        from tests.conftest import set_manual_clock, stored_pdf
        set_manual_clock("2020-09-01T09:00:00+03:00")
        plans.open_plan(catalogue.load_default(), actor="iao")
        set_manual_clock("2020-11-01T09:00:00+03:00")
        item = {"plan_item": {"number": "3.12", "title": "Локальные приказы", "section": 3}}
        started = {unit: engine.start("final_essay", item, unit=unit, actor="plan").instance_id
                   for unit in ("school-12", "school-17")}
        set_manual_clock("2020-11-10T10:00:00+03:00")
        [task] = engine.list_tasks(instance_id=started["school-12"])
        engine.complete(task.id, engine.user_by_login("head12"), {
            "order_number": "112-о", "order_date": "2020-11-02", "order_scan": stored_pdf("prikaz.pdf", "head12"),
            "essay_count": 50, "statement_count": 2, "ovz_count": 2})
        db.session.remove()


def fire_timers(app, moment):
    """Move the clock to `moment` and fire what is due, as the worker's beat would."""
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import set_manual_clock
        set_manual_clock(moment)
        engine.advance_timers(datetime.fromisoformat(moment))
        db.session.remove()


def move_essay(page, base, day):
    page.goto(f"{base}/plan/calendar")
    row = page.locator("table.list tr").filter(has=page.get_by_role("cell", name=ESSAY, exact=True))
    row.locator('input[name="starts"]').fill(day)
    row.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".flash.success")).to_contain_text("Сроки пересчитаны там, где пункт уже идёт: 2.")


def fill_counts(page, **counts):
    for name, value in counts.items():
        page.fill(f'input[name="{name}"]', str(value))
    page.get_by_role("button", name="Отправить").click()


def test_a6_the_essay_moves_twice_and_the_schools_follow(live, page, essay, tmp_path):
    base, app = live
    order = tmp_path / "prikaz-77.pdf"
    order.write_bytes(b"%PDF-1.4 school order 77-o")

    # 24 Nov and 29 Mar: the ИАО moves the essay on the exam calendar; both schools' instances follow.
    at(app, "2020-11-24T10:00:00+03:00")
    sign_in(page, base, "iao")
    move_essay(page, base, "2021-04-05")
    at(app, "2021-03-29T10:00:00+03:00")
    move_essay(page, base, "2021-04-15")
    expect(page.locator("table.list tr").filter(has=page.get_by_role("cell", name=ESSAY, exact=True))
           ).to_contain_text("15.04.2021")
    shoot(page, "a6_calendar_moved", full_page=False)
    sign_out(page)

    # School №17 has not handed in: its task now names 15 Apr and is due 1 Apr.
    sign_in(page, base, "head17")
    row = page.locator("table.list tr", has_text="Итоговое сочинение 15.04.2021")
    expect(row).to_contain_text("01.04.2021")
    open_task(page, "Итоговое сочинение 15.04.2021")
    task17 = page.url
    sign_out(page)

    # School №12 issues a new order for 15 Apr and confirms its counts: 3 изложение for 2 ОВЗ pupils are refused.
    sign_in(page, base, "head12")
    row = page.locator("table.list tr", has_text="Итоговое сочинение перенесено на 15.04.2021")
    expect(row).to_contain_text("01.04.2021")
    open_task(page, "Итоговое сочинение перенесено на 15.04.2021")
    expect(page.locator(".instructions")).to_contain_text(
        "к которому издан приказ ОУ на 02.12.2020, перенесено на 15.04.2021. До 01.04.2021 включительно")
    expect(page.locator('input[name="essay_count"]')).to_have_value("50")  # what was handed in before
    page.fill('input[name="order_number"]', "77-о")
    page.fill('input[name="order_date"]', "2021-03-29")
    page.set_input_files('input[type="file"][name="order_scan"]', str(order))  # beside the old scan's
    fill_counts(page, statement_count=3, ovz_count=2)
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(".field-error")).to_contain_text("Изложение вправе выбрать только участники с ОВЗ")
    expect(page.locator('input[name="order_number"]')).to_have_value("77-о")
    shoot(page, "a6_new_order_refused")
    fill_counts(page, statement_count=2)
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    # The day after the essay school №12 reports: 51 is not the 52 who applied; then the retakes, all three.
    fire_timers(app, "2021-04-16T09:00:00+03:00")
    page.goto(f"{base}/")
    open_task(page, "Результаты итогового сочинения")
    fill_counts(page, passed=48, failed=2, absent_excused=1, absent=0)
    expect(page.locator(".field-error")).to_contain_text("должна равняться числу участников по заявлениям (52)")
    expect(page.locator('input[name="failed"]')).to_have_value("2")
    fill_counts(page, absent=1)
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    open_task(page, "12.05.2021")
    fill_counts(page, first=1, second=1)
    expect(page.locator(".field-error")).to_contain_text("3 чел.")
    fill_counts(page, first=2)
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    # Another school's task stays closed to school №12.
    response = page.goto(task17)
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text("Итоговое сочинение 15.04.2021")
