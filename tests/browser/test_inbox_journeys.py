"""Inbox journeys in a real browser: claim and release, hand over to a colleague, snooze, and a comment with a
file; and the head of another school who sees none of it."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import png, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def check_for_ppe17(live):
    """A PPE check of PPE №17 due 19 Mar 2021, and a second technician at PPE №17."""
    base, app = live
    with app.app_context():
        import engine
        engine.ensure_user("tech17b", "ppe_tech", "ppe-17", password="demo", full_name="Иванов И.И.")
        instance_id = engine.start("ppe_tech_check", {"check_due": "2021-03-19", "fix_days": 7, "recheck_days": 3},
                                   unit="ppe-17", actor="iao").instance_id
        task_id = engine.list_tasks(instance_id=instance_id)[0].id
        from engine.db import db
        db.session.remove()
    return base, task_id


def open_check(page):
    page.get_by_role("link", name=re.compile("Чек-лист технической готовности")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Чек-лист")


def test_claim_release_and_hand_over_to_a_colleague(page, check_for_ppe17):
    base, task_id = check_for_ppe17
    sign_in(page, base, "tech17")
    page.get_by_role("link", name=re.compile("Моей группы")).click()
    open_check(page)
    page.get_by_role("button", name="Взять задачу").click()
    expect(page.locator(".flash.success")).to_contain_text("Задача теперь ваша")
    page.get_by_role("link", name="Мои задачи").first.click()
    page.locator("nav.tabs a", has_text="Мои").first.click()
    expect(page.locator("table.inbox")).to_contain_text("Чек-лист")
    open_check(page)
    page.get_by_role("button", name="Вернуть группе").click()
    expect(page.locator(".flash.success")).to_contain_text("возвращена группе")

    page.get_by_text("Передать коллеге").click()
    page.get_by_label("Коллега").select_option("tech17b")
    page.get_by_label("Причина").fill("Ухожу в отпуск")
    page.get_by_role("button", name="Передать", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("Задача передана")
    sign_out(page)

    sign_in(page, base, "tech17b")
    page.locator("nav.tabs a", has_text="Мои").first.click()
    expect(page.locator("table.inbox")).to_contain_text("Чек-лист")
    open_check(page)
    expect(page.get_by_role("button", name="Вернуть группе")).to_be_visible()
    page.get_by_role("link", name=re.compile("3.32")).click()
    expect(page.locator("ol.trail")).to_contain_text("Ухожу в отпуск")


def test_snooze_hides_the_task_until_its_date(page, check_for_ppe17):
    base, task_id = check_for_ppe17
    sign_in(page, base, "tech17")
    open_check(page)
    page.get_by_text("Отложить до даты").click()
    page.fill("input[name=until]", "2021-03-17")
    page.get_by_role("button", name="Отложить", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("скрыта до 17.03.2021")
    expect(page.locator("table.inbox")).to_have_count(0)
    page.get_by_label("отложенные").check()
    page.get_by_role("button", name="Применить").click()
    expect(page.locator("table.inbox")).to_contain_text("отложена до 17.03.2021")


def test_comment_with_a_photo_is_seen_by_the_department_not_by_another_school(page, check_for_ppe17, tmp_path):
    base, task_id = check_for_ppe17
    sign_in(page, base, "tech17")
    open_check(page)
    page.get_by_label("Новый комментарий").fill("Генератор на ремонте до пятницы")
    page.set_input_files("#comment-file", str(png(tmp_path / "generator.png")))
    page.get_by_role("button", name="Добавить комментарий").click()
    expect(page.locator(".flash.success")).to_contain_text("Комментарий добавлен")
    expect(page.locator("ul.comments")).to_contain_text("Генератор на ремонте")
    file_link = page.get_by_role("link", name="прикреплённый файл")
    expect(file_link).to_be_visible()
    file_url = file_link.get_attribute("href")
    sign_out(page)

    sign_in(page, base, "iao")
    page.goto(f"{base}/tasks/{task_id}")
    expect(page.locator("ul.comments")).to_contain_text("Генератор на ремонте")
    sign_out(page)

    sign_in(page, base, "head12")
    expect(page.locator("main")).not_to_contain_text("Чек-лист")
    assert page.goto(f"{base}/tasks/{task_id}").status == 404
    assert page.goto(f"{base}{file_url}").status == 404


def test_deputy_receives_the_tasks_of_an_absent_colleague(page, check_for_ppe17):
    base, task_id = check_for_ppe17
    sign_in(page, base, "head17")
    expect(page.locator("table.inbox")).to_have_count(0)  # the check is the PPE technicians' task
    sign_out(page)

    sign_in(page, base, "tech17")
    page.get_by_role("link", name="Профиль").click()
    deputy = page.locator("select[name=deputy] option", has_text="Омарова").get_attribute("value")
    page.select_option("select[name=deputy]", deputy)
    page.fill("input[name=starts_on]", "2021-03-15")
    page.fill("input[name=ends_on]", "2021-03-20")
    page.get_by_role("button", name="Записать отсутствие").click()
    expect(page.locator("table.absences")).to_contain_text("Омарова")
    sign_out(page)

    sign_in(page, base, "head17")
    expect(page.locator("table.inbox")).to_contain_text("Чек-лист технической готовности")
    open_check(page)
    expect(page.locator("form.task-form").first).to_be_visible()
