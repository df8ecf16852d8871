"""Scenario A1 in a real browser: ИАО launches the check for PPE №17, the technical specialist marks the jammer
faulty with a photo, the head of school №17 fixes it, the re-check passes, ИАО accepts, and the activity page
shows PPE №17 «готов» with both checks in the audit trail."""
import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

OK_ITEMS = ("scanning", "auth_main", "auth_backup", "video", "metal_detector", "generator")


def png(path):
    """A small real PNG (a photo stand-in) written to `path`."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * 8 for _ in range(8))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


# The page a persona sees first (roles.json `landing`): the department's heads the plan, operators the incidents.
LANDING = {"guo_head": "Программа одним взглядом", "iao_head": "Программа одним взглядом", "operator": "Инциденты"}


def sign_in(page, base, login):
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1, name=LANDING.get(login, "Мои задачи"))).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()


def open_task(page, name_part):
    page.get_by_role("link", name=re.compile(name_part)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name_part)


def fill_checklist(page, jammer):
    for row in range(page.locator("fieldset.rows .row").count()):
        page.check(f'input[name="printing-{row}-status"][value="ok"]')
    for item in OK_ITEMS:
        page.check(f'input[name="{item}-status"][value="ok"]')
    page.check(f'input[name="jammer-status"][value="{jammer}"]')


def test_ppe_check_with_faulty_jammer_in_the_browser(live, page, tmp_path):
    base, _app = live

    # ИАО launches the check for PPE №17 from the activity page.
    sign_in(page, base, "iao")
    page.get_by_role("link", name="Мероприятия плана").click()
    page.get_by_role("link", name=re.compile("3.32")).click()
    page.get_by_text("Запуск технической проверки ППЭ").click()
    page.get_by_label(re.compile("ППЭ №17")).check()
    page.fill("input[name=check_due]", "2021-03-19")
    page.get_by_role("button", name="Запустить проверку").click()
    expect(page.locator(".flash.success")).to_contain_text("Запущено: 1")
    expect(page.locator("table.status-table")).to_contain_text("ППЭ №17")
    sign_out(page)

    # The technical specialist marks the jammer faulty; without a comment the form refuses and keeps the input.
    sign_in(page, base, "tech17")
    expect(page.locator("table.list")).to_contain_text("19.03.2021")
    open_task(page, "Чек-лист технической готовности")
    fill_checklist(page, jammer="faulty")
    page.fill("input[name=checked_on]", "2021-03-15")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.error")).to_contain_text("Исправьте отмеченные поля")
    expect(page.locator("#jammer .field-error")).to_contain_text("Обязательное поле")
    expect(page.locator('input[name="jammer-status"][value="faulty"]')).to_be_checked()
    expect(page.locator('input[name="video-status"][value="ok"]')).to_be_checked()
    expect(page.locator("input[name=checked_on]")).to_have_value("2021-03-15")

    page.fill('textarea[name="jammer-comment"]', "Подавитель не глушит сигнал в аудитории 2")
    page.set_input_files('input[name="jammer-photo"]', str(png(tmp_path / "jammer.png")))
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    sign_out(page)

    # The head of the host school sees the fault and its photo, and records the fix.
    sign_in(page, base, "head17")
    open_task(page, "Устранить: Подавитель сигналов сотовой связи")
    expect(page.locator(".instructions")).to_contain_text("не глушит сигнал")
    expect(page.get_by_role("link", name="jammer.png")).to_be_visible()
    page.get_by_role("button", name="Отправить").click()  # empty: refused
    expect(page.locator(".field-error").first).to_contain_text("Обязательное поле")
    page.fill('textarea[name="action"]', "Подавитель заменён на исправный")
    page.fill("input[name=fixed_on]", "2021-03-15")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    sign_out(page)

    # The re-check: the form shows the previous answers and what the head did, due 3 days after the fix; the
    # jammer is now fine. A check date in the future is refused.
    sign_in(page, base, "tech17")
    open_task(page, "Чек-лист технической готовности")  # the inbox shows the title cut short
    expect(page.get_by_role("heading", level=1)).to_contain_text("повторная проверка")
    expect(page.locator(".instructions")).to_contain_text("до 18.03.2021")
    expect(page.locator(".instructions")).to_contain_text(
        "Подавитель сигналов сотовой связи: Подавитель заменён на исправный (15.03.2021)")
    expect(page.locator('input[name="jammer-status"][value="faulty"]')).to_be_checked()
    page.check('input[name="jammer-status"][value="ok"]')
    page.fill("input[name=checked_on]", "2021-03-16")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".field-error")).to_contain_text("Дата проверки не может быть позже сегодняшнего дня.")
    page.fill("input[name=checked_on]", "2021-03-15")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    sign_out(page)

    # ИАО accepts; the activity page shows PPE №17 ready, the instance page both checks in the trail.
    sign_in(page, base, "iao")
    open_task(page, "Приёмка технической проверки")
    expect(page.locator(".instructions")).to_contain_text("Раунд 1")
    page.check('input[name="decision"][value="accept"]')
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    page.get_by_role("link", name="Мероприятия плана").click()
    page.get_by_role("link", name=re.compile("3.32")).click()
    row = page.locator("table.status-table tr", has_text="ППЭ №17")
    expect(row).to_contain_text("готов")
    row.get_by_role("link", name="Подробнее").click()
    trail = page.locator("ol.trail")
    expect(trail.locator("li", has_text="Чек-лист технической готовности")).to_have_count(2)
    expect(trail).to_contain_text("Омарова З.К.")  # by name, not by login
