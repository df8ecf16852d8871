"""Scenario A10 in a real browser (plan 4.4): in December the head of school №12 sends the parents' meeting's
scanned signature sheet (more signatures than parents refused, the input kept), 54 of 56; below 100 % she gets a
follow-up due 20 Jan 2021, opened with her counts, where 55 of 56 without a reason is refused. The ИАО sees the
city's coverage and downloads it by school as Excel. The head of school №17 cannot open school №12's task."""
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import at, shoot

pytestmark = pytest.mark.browser

SCHOOLS = [{"code": "school-12", "name": "МБОУ «СОШ №12»"}, {"code": "school-17", "name": "МБОУ «СОШ №17»"}]


@pytest.fixture
def meeting(live):
    """The collection started on 1 Dec 2020 for schools №12 and №17; school №17 sent 60 of 60 on 16 Dec."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import set_manual_clock
        from tests.engine.plan_patterns import attach
        set_manual_clock("2020-12-01T10:00:00+03:00")
        instance_id = engine.start("parent_meetings", {"schools": SCHOOLS, "due": "2020-12-30",
                                                       "followup_due": "2021-01-20"}, unit="guo",
                                   actor="iao").instance_id
        set_manual_clock("2020-12-16T10:00:00+03:00")
        head17 = engine.user_by_login("head17")
        [task] = engine.list_tasks(user=head17)  # in school 17's own instance, started by the collection's message
        engine.complete(task.id, head17, {"held_on": "2020-12-15", "scan": attach(task.instance_id, "list-17.pdf",
                                                                                  "scan"),
                                          "signed": 60, "total": 60})
        db.session.remove()
    return instance_id


def send(page):
    page.get_by_role("button", name="Отправить").click()


def test_a10_sheet_follow_up_and_the_city_coverage(live, page, meeting, tmp_path):
    base, app = live
    sheet = tmp_path / "list.pdf"
    sheet.write_bytes(b"%PDF-1.4 signature sheet")
    more = tmp_path / "dop-list.pdf"
    more.write_bytes(b"%PDF-1.4 more signatures")

    at(app, "2020-12-16T11:00:00+03:00")
    sign_in(page, base, "head12")
    sheet_task = "Родительское собрание по ГИА: лист ознакомления, МБОУ «СОШ №12»"
    expect(page.locator("table.list tr", has_text=sheet_task)).to_contain_text("30.12.2020")
    open_task(page, sheet_task)
    page.fill('input[name="held_on"]', "2020-12-15")
    page.set_input_files('input[name="scan"]', str(sheet))
    page.fill('input[name="signed"]', "56")
    page.fill('input[name="total"]', "54")
    send(page)
    expect(page.locator(".field-error")).to_contain_text("Подписавших не может быть больше, чем всего родителей.")
    expect(page.locator('input[name="held_on"]')).to_have_value("2020-12-15")
    shoot(page, "a10_sheet_refused")
    page.fill('input[name="signed"]', "54")
    page.fill('input[name="total"]', "56")
    send(page)
    expect(page.locator(".flash.success")).to_be_visible()

    # Below 100 %: the follow-up, due 20 Jan, opens with the counts given so far.
    at(app, "2021-01-18T12:00:00+03:00")
    page.goto(f"{base}/")
    followup = "Недостающие подписи родителей: МБОУ «СОШ №12» (2 из 56)"
    expect(page.locator("table.list tr", has_text=followup)).to_contain_text("20.01.2021")
    open_task(page, "Недостающие подписи родителей")
    followup_url = page.url
    expect(page.locator('input[name="signed"]')).to_have_value("54")
    expect(page.locator('input[name="total"]')).to_have_value("56")
    page.set_input_files('input[name="scan"]', str(more))
    page.fill('input[name="signed"]', "55")
    send(page)
    expect(page.locator(".field-error")).to_contain_text("Подписали не все: объясните, кто не ознакомлен и почему.")
    expect(page.locator('input[type="hidden"][name="scan"]')).to_have_count(1)  # the upload is kept
    page.fill('textarea[name="comment"]', "Один родитель в длительной командировке.")
    send(page)
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    # Another school's head cannot open school №12's task.
    sign_in(page, base, "head17")
    assert page.goto(followup_url).status == 404
    expect(page.locator("main")).not_to_contain_text("командировке")
    sign_out(page)

    # The ИАО: (55 + 60) / (56 + 60) = 99,1 %, and the coverage by school as Excel.
    sign_in(page, base, "iao")
    open_task(page, "Охват родителей ознакомлением с порядком ГИА: 99,1 %")
    expect(page.locator(".instructions")).to_contain_text("Охват по городу: 99,1 % (подписали 115 из 116)")
    page.goto(f"{base}/instances/{meeting}")
    link = page.locator("ul.downloads").get_by_role("link", name="Охват родителей ознакомлением по ОУ")
    with page.expect_download() as download:
        link.click()
    table = [[c.value for c in row]
             for row in openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active.iter_rows()]
    assert table == [["ОУ", "Подписали", "Всего", "Охват, %"], ["МБОУ «СОШ №12»", 55, 56, 98.2],
                     ["МБОУ «СОШ №17»", 60, 60, 100], ["Итого по городу", 115, 116, 99.1]]
    page.goto(f"{base}/")
    open_task(page, "Охват родителей ознакомлением")
    page.get_by_role("button", name="Ознакомлен(а)").click()
    expect(page.locator(".flash.success")).to_be_visible()
