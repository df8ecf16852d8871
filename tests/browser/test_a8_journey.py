"""Scenario A8 in a real browser (plan 3.25, 3.27, 4.10): the head of school №3 enters her 11th-graders' ЕГЭ
choices by 20 Jan 2021 (a pupil with both maths levels refused, the input kept); on 22–26 Jan she re-checks the
list, pre-filled with what she entered, and moves one pupil from basic to profile maths. On 27 Jan the ИАО downloads
the school × subject summary for the RCOI, whose totals are the sums of the school lists, and records the dispatch.
The head of school №12 cannot open school №3's task."""
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a3_journey import add_people, at, shoot
from tests.browser.test_a6_journey import fire_timers

pytestmark = pytest.mark.browser

SCHOOLS = [{"code": "school-3", "name": "МБОУ «СОШ №3»"}, {"code": "school-12", "name": "МБОУ «СОШ №12»"}]
DATES = {"entry_due": "2021-01-20", "recheck_starts": "2021-01-22", "recheck_ends": "2021-01-26",
         "export_on": "2021-01-27", "documents_due": "2020-12-30"}
SCHOOL_12 = [{"full_name": "Алиева Аминат Магомедовна", "snils": "123-456-789 01", "passport": "8214 123456",
              "subjects": ["ege_russian", "ege_math_profile", "ege_informatics"]},
             {"full_name": "Исаев Шамиль Гаджиевич", "snils": "123-456-789 02", "passport": None,
              "subjects": ["ege_russian", "ege_math_base", "ege_biology"]}]


@pytest.fixture
def choices(live):
    """The collection started on 11 Jan 2021 for schools №3 and №12; school №12 has entered its list."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        from tests.conftest import set_manual_clock
        set_manual_clock("2021-01-11T10:00:00+03:00")
        add_people(("head3", "school_head", "school-3", "Магомедова А.Р."))
        instance_id = engine.start("ege_choices", {"schools": SCHOOLS, **DATES}, unit="guo",
                                   actor="iao").instance_id
        head12 = engine.user_by_login("head12")
        [task] = engine.list_tasks(user=head12)  # in school 12's own instance, started by the collection's message
        engine.complete(task.id, head12, {"pupils": SCHOOL_12})
        db.session.remove()
    return instance_id


def pupil(page, row, name, snils, subjects):
    if row:
        page.get_by_role("button", name="Добавить строку").click()
    page.fill(f'input[name="pupils-{row}-full_name"]', name)
    page.fill(f'input[name="pupils-{row}-snils"]', snils)
    page.fill(f'input[name="pupils-{row}-passport"]', "8214 65432" + str(row))
    for subject in subjects:
        page.check(f'input[name="pupils-{row}-subjects"][value="{subject}"]')


def test_a8_choices_entered_rechecked_and_summed_for_the_rcoi(live, page, choices):
    base, app = live

    at(app, "2021-01-19T15:00:00+03:00")
    sign_in(page, base, "head3")
    row = page.locator("table.list tr", has_text="Выбор предметов ЕГЭ выпускниками 11-х классов")
    expect(row).to_contain_text("20.01.2021")
    open_task(page, "Выбор предметов ЕГЭ выпускниками 11-х классов")
    entry = page.url
    pupil(page, 0, "Абдуллаев Магомед Русланович", "123-456-789 03",
          ("ege_russian", "ege_math_base", "ege_math_profile", "ege_social"))
    pupil(page, 1, "Курбанов Ислам Шамилевич", "", ("ege_russian", "ege_math_base", "ege_history"))
    page.get_by_role("button", name="Сдать список").click()
    expect(page.locator(".field-error")).to_contain_text(
        "Математику можно выбрать только одного уровня, базового или профильного: Абдуллаев Магомед Русланович.")
    expect(page.locator('input[name="pupils-1-full_name"]')).to_have_value("Курбанов Ислам Шамилевич")
    shoot(page, "a8_both_maths_refused")
    page.uncheck('input[name="pupils-0-subjects"][value="ege_math_profile"]')
    page.get_by_role("button", name="Сдать список").click()
    expect(page.locator(".flash.success")).to_be_visible()

    # 22 Jan: the re-check shows the list as entered; Абдуллаев moves from basic to profile maths.
    fire_timers(app, "2021-01-22T00:30:00+03:00")
    at(app, "2021-01-25T11:00:00+03:00")
    page.goto(f"{base}/")
    row = page.locator("table.list tr", has_text="Сверка списка выбора предметов ЕГЭ")
    expect(row).to_contain_text("26.01.2021")
    open_task(page, "Сверка списка выбора предметов ЕГЭ")
    recheck = page.url
    expect(page.locator('input[name="pupils-0-full_name"]')).to_have_value("Абдуллаев Магомед Русланович")
    expect(page.locator('input[name="pupils-1-full_name"]')).to_have_value("Курбанов Ислам Шамилевич")
    expect(page.locator('input[name="pupils-0-subjects"][value="ege_math_base"]')).to_be_checked()
    page.uncheck('input[name="pupils-0-subjects"][value="ege_math_base"]')
    page.check('input[name="pupils-0-subjects"][value="ege_math_profile"]')
    page.get_by_role("button", name="Подтвердить список").click()
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    # Another school's head opens neither the closed entry nor the re-check of school №3.
    sign_in(page, base, "head12")
    for url in (entry, recheck):
        assert page.goto(url).status == 404
        expect(page.locator("main")).not_to_contain_text("Абдуллаев")
    page.goto(f"{base}/")
    open_task(page, "Сверка списка выбора предметов ЕГЭ")
    page.get_by_role("button", name="Подтвердить список").click()
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    # 27 Jan: the ИАО downloads the summary; its totals are the sums of the two lists.
    at(app, "2021-01-27T10:00:00+03:00")
    sign_in(page, base, "iao")
    page.goto(f"{base}/instances/{choices}")
    link = page.locator("ul.downloads").get_by_role("link", name="Сводка выбора предметов ЕГЭ по ОУ для РЦОИ")
    with page.expect_download() as download:
        link.click()
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    header = table[0]
    column = {label: header.index(label) for label in ("Русский язык", "Математика (базовый уровень)",
                                                        "Математика (профильный уровень)", "Всего участников")}
    counts = {row[0]: {label: row[i] for label, i in column.items()} for row in table[1:]}
    assert counts["МБОУ «СОШ №3»"] == {"Русский язык": 2, "Математика (базовый уровень)": 1,
                                       "Математика (профильный уровень)": 1, "Всего участников": 2}
    assert counts["Итого"] == {"Русский язык": 4, "Математика (базовый уровень)": 2,
                               "Математика (профильный уровень)": 2, "Всего участников": 4}

    page.goto(f"{base}/")
    # The pupils without SNILS or passport (Курбанов, Исаев) are counted as open issues.
    row = page.locator("table.list tr", has_text="Сводка выбора предметов ЕГЭ для РЦОИ")
    expect(row).to_contain_text("Без СНИЛС или паспорта: 2")
    open_task(page, "Сводка выбора предметов ЕГЭ для РЦОИ")
    page.fill('input[name="sent_on"]', "2021-01-28")
    page.get_by_role("button", name="Отметить отправку").click()
    expect(page.locator(".field-error")).to_contain_text("сегодня")
    page.fill('input[name="sent_on"]', "2021-01-27")
    page.get_by_role("button", name="Отметить отправку").click()
    expect(page.locator(".flash.success")).to_be_visible()
    page.goto(f"{base}/instances/{choices}")
    expect(page.locator("main")).to_contain_text("сводка отправлена в РЦОИ 27.01.2021: 4 участн.")
