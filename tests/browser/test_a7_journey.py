"""Scenario A7 in a real browser (plan 3.11, 3.13, 3.15): the head of school №8 prepares the oral interview of
10 Feb 2021 (order by 25 Jan, applications by 27 Jan, examiners by 29 Jan; an order dated tomorrow and a list
without an expert refused), reports 98 «зачёт», 2 «незачёт» and 1 absence (refused until the medical certificate is
attached), registers the three for the retake of 10 Mar (applications by 24 Feb), and the one who fails again rolls
over to 17 May. The head of school №12 cannot open school №8's task."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import add_people, at, shoot
from tests.browser.test_a6_journey import fire_timers

pytestmark = pytest.mark.browser

PUPILS = ("Иванов Иван", "Петров Пётр", "Сидорова Сабина")


@pytest.fixture
def interview(live):
    """The 2020/21 plan open (the interview on 10 Feb, retakes 10 Mar and 17 May) and school №8's interview
    started on 15 Jan 2021 (plan 3.13)."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from engine.plan import catalogue
        from engine.plan import running as plans
        from tests.conftest import set_manual_clock
        set_manual_clock("2021-01-15T10:00:00+03:00")
        plans.open_plan(catalogue.load_default(), actor="iao")
        add_people(("head8", "school_head", "school-8", "Гаджиев Р.М."))
        instance_id = engine.start("oral_interview", {}, unit="school-8", actor="plan").instance_id
        db.session.remove()
    return instance_id


def send(page):
    page.get_by_role("button", name="Отправить").click()


def done(page):
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")


def interview_day(app, moment):
    """The wait for the day ends and the results are asked for: the sweep runs twice, as the beat would (the
    engine tests of A7 do the same)."""
    for _ in range(2):
        fire_timers(app, moment)


def test_a7_interview_prepared_reported_and_the_retakes_roll_over(live, page, interview, tmp_path):
    base, app = live
    scan = tmp_path / "prikaz.pdf"
    scan.write_bytes(b"%PDF-1.4 school order 15-od")
    certificate = tmp_path / "spravka.pdf"
    certificate.write_bytes(b"%PDF-1.4 medical certificate")

    # 15 Jan: three preparatory tasks with the calendar's deadlines.
    sign_in(page, base, "head8")
    for title, due in (("Приказ о проведении итогового собеседования", "25.01.2021"),
                       ("Заявления на итоговое собеседование", "27.01.2021"),
                       ("Экзаменаторы и эксперты итогового собеседования", "29.01.2021")):
        expect(page.locator("table.list tr", has_text=title)).to_contain_text(due)

    open_task(page, "Приказ о проведении итогового собеседования")
    page.fill('input[name="number"]', "15-од")
    page.fill('input[name="signed_on"]', "2021-01-16")
    page.set_input_files('input[name="scan"]', str(scan))
    send(page)
    expect(page.locator(".field-error")).to_contain_text("позже сегодняшнего дня")
    page.fill('input[name="signed_on"]', "2021-01-14")
    send(page)
    done(page)

    open_task(page, "Заявления на итоговое собеседование")
    page.fill('input[name="count"]', "101")
    send(page)
    done(page)

    open_task(page, "Экзаменаторы и эксперты")
    page.fill('input[name="people-0-full_name"]', "Алиева Патимат Магомедовна")
    page.fill('input[name="people-0-position"]', "учитель русского языка")
    page.check('input[name="people-0-duty"][value="examiner"]')
    send(page)
    expect(page.locator(".field-error")).to_contain_text("хотя бы один эксперт")
    page.get_by_role("button", name="Добавить строку").click()
    page.fill('input[name="people-1-full_name"]', "Гаджиева Зарема Ахмедовна")
    page.fill('input[name="people-1-position"]', "учитель русского языка")
    page.check('input[name="people-1-duty"][value="expert"]')
    send(page)
    done(page)

    # 10 Feb: 98 «зачёт», 2 «незачёт», 1 absence; the absence needs its certificate.
    interview_day(app, "2021-02-10T09:30:00+03:00")
    at(app, "2021-02-10T16:00:00+03:00")
    page.goto(f"{base}/")
    open_task(page, "Результаты итогового собеседования")
    expect(page.locator('input[name="not_passed-0-pupil"]')).to_have_value("")
    for name, value in (("passed", 98), ("failed", 2), ("absent_excused", 1), ("absent_unexcused", 0)):
        page.fill(f'input[name="{name}"]', str(value))
    for row, (name, result) in enumerate(zip(PUPILS, ("fail", "fail", "absent_excused"))):
        if row:
            page.get_by_role("button", name="Добавить строку").click()
        page.fill(f'input[name="not_passed-{row}-pupil"]', name)
        page.check(f'input[name="not_passed-{row}-result"][value="{result}"]')
    send(page)
    expect(page.locator(".field-error")).to_contain_text("приложите медицинскую справку")
    expect(page.locator('input[name="not_passed-2-pupil"]')).to_have_value("Сидорова Сабина")
    files = page.locator("details.files")
    expect(files).to_contain_text("Гаджиев Р.М.")  # who uploaded the order, by name, not by login
    expect(files).not_to_contain_text("head8")
    shoot(page, "a7_results_refused")
    page.set_input_files('input[name="not_passed-2-document"]', str(certificate))
    send(page)
    done(page)

    # The three apply for 10 Mar by 24 Feb.
    row = page.locator("table.list tr", has_text="Заявления на итоговое собеседование 10.03.2021")
    expect(row).to_contain_text("24.02.2021")
    open_task(page, "Заявления на итоговое собеседование 10.03.2021")
    retake_applications = page.url
    for row in range(3):
        expect(page.locator(f'input[name="pupils-{row}-pupil"]')).to_have_value(PUPILS[row])
        page.check(f'input[name="pupils-{row}-applied"]')
    send(page)
    done(page)

    # 10 Mar: Петров fails again and rolls over to 17 May.
    interview_day(app, "2021-03-10T09:30:00+03:00")
    at(app, "2021-03-11T10:00:00+03:00")
    page.goto(f"{base}/")
    open_task(page, "Результаты итогового собеседования 10.03.2021")
    for row, result in enumerate(("pass", "fail", "pass")):
        page.check(f'input[name="pupils-{row}-result"][value="{result}"]')
    send(page)
    done(page)
    row = page.locator("table.list tr", has_text="Заявления на итоговое собеседование 17.05.2021")
    expect(row).to_contain_text("03.05.2021")
    open_task(page, "Заявления на итоговое собеседование 17.05.2021")
    rolled_over = page.url
    expect(page.locator('input[name="pupils-0-pupil"]')).to_have_value("Петров Пётр")
    expect(page.locator('input[name="pupils-1-pupil"]')).to_have_count(0)
    shoot(page, "a7_rolled_over")
    sign_out(page)

    # Another school's head opens neither the open task nor a closed one.
    sign_in(page, base, "head12")
    for url in (rolled_over, retake_applications):
        response = page.goto(url)
        assert response.status == 404
        expect(page.locator("main")).not_to_contain_text("Петров Пётр")
