"""Scenario A9 in a real browser: the head of school №12 nominates two teachers (the second row added with
«Добавить строку»), school №17's list (with two PPE heads) is already in; the ИАО places them in PPE for the exam
day, where a maths teacher on the maths exam, a teacher in the PPE of his own pupils and a PPE without its head are
refused with the Russian messages and the input kept; the Начальник ГУО sees the warning and approves; the ИАО downloads the ЦКО ДИРО .xlsx from the instance page, checks it,
and records the dispatch."""
import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.conftest import set_manual_clock

pytestmark = pytest.mark.browser

EXAM = {"subject": "math", "title": "ЕГЭ по математике (профильный уровень)", "date": "2021-06-07"}
PPE = [{"code": "ppe-17", "name": "ППЭ №17 (на базе СОШ №17)", "schools": ["school-12", "school-17"], "rooms": 1},
       {"code": "ppe-12", "name": "ППЭ №12 (на базе СОШ №12)", "schools": ["school-33"], "rooms": 1}]
SCHOOL_17 = [{"fio": "Омаров Шамиль Абдулаевич", "email": "omarov@school17.example", "position": "organizer_room",
              "subject": "history"},
             {"fio": "Саидова Зарема Магомедовна", "email": "saidova@school17.example", "position": "organizer_out",
              "subject": "none"},
             {"fio": "Юсупова Аминат Расуловна", "email": "yusupova@school17.example", "position": "ppe_head",
              "subject": "none"},
             {"fio": "Гасанова Марьям Руслановна", "email": "gasanova@school17.example", "position": "ppe_head",
              "subject": "none"}]


def at(app, moment):
    with app.app_context():
        set_manual_clock(moment)
        from engine.db import db
        db.session.remove()


@pytest.fixture
def staff_list(live):
    """The maths exam's staff list, started on 1 Dec 2020 for schools 12 and 17; school 17 has nominated."""
    _base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        set_manual_clock("2020-12-01T09:30:00+03:00")
        data = {"exams": [EXAM], "nominate_due": "2020-12-25", "approve_due": "2021-04-15",
                "schools": [{"code": "school-12", "name": "МБОУ «СОШ №12»"},
                            {"code": "school-17", "name": "МБОУ «СОШ №17»"}], "ppe": PPE}
        instance_id = engine.start("ppe_staff_list", data, unit="guo", actor="iao").instance_id
        head17 = engine.user_by_login("head17")
        [task] = engine.list_tasks(user=head17)  # in school 17's own instance, started by the list's message
        engine.complete(task.id, head17, {"staff": SCHOOL_17})
        db.session.remove()
    return instance_id


def test_a9_staff_list_is_nominated_placed_approved_downloaded_and_sent(live, page, staff_list):
    base, app = live
    instance_id = staff_list

    # The head of school №12 nominates a maths teacher and a Russian teacher.
    at(app, "2020-12-10T11:00:00+03:00")
    sign_in(page, base, "head12")
    open_task(page, "Работники ППЭ от ОУ")
    expect(page.locator(".instructions")).to_contain_text("До 25.12.2020 включительно")
    page.fill('input[name="staff-0-fio"]', "Магомедов Арсен Маратович")
    page.fill('input[name="staff-0-email"]', "magomedov@school12.example")
    page.select_option('select[name="staff-0-position"]', "organizer_room")
    page.select_option('select[name="staff-0-subject"]', "math")
    page.get_by_role("button", name="Добавить строку").click()
    page.fill('input[name="staff-1-fio"]', "Алиева Патимат Гасановна")
    page.fill('input[name="staff-1-email"]', "alieva-school12")  # a typo first
    page.select_option('select[name="staff-1-position"]', "organizer_room")
    page.select_option('select[name="staff-1-subject"]', "russian")
    page.get_by_role("button", name="Направить список в ГУО").click()
    expect(page.locator(".field-error").first).to_be_visible()
    expect(page.locator('input[name="staff-1-fio"]')).to_have_value("Алиева Патимат Гасановна")
    page.fill('input[name="staff-1-email"]', "alieva@school12.example")
    page.get_by_role("button", name="Направить список в ГУО").click()
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    # The ИАО places them for the exam day: the maths teacher on the maths exam, a teacher among his own pupils and
    # a PPE without its head are refused.
    at(app, "2021-04-12T10:00:00+03:00")
    sign_in(page, base, "iao")
    open_task(page, "Распределение работников по ППЭ: 07.06.2021")
    expect(page.locator(".instructions")).to_contain_text("ppe-17 — ППЭ №17 (на базе СОШ №17)")
    people = [page.locator(f'input[name="staff-{i}-person"]') for i in range(6)]
    expect(people[0]).to_have_value(re.compile("^1. Магомедов Арсен Маратович — МБОУ «СОШ №12»"))
    expect(people[2]).to_have_value(re.compile("^3. Омаров Шамиль Абдулаевич — МБОУ «СОШ №17»"))
    expect(people[4]).to_have_value(re.compile("^5. Юсупова Аминат Расуловна — МБОУ «СОШ №17»; Руководитель ППЭ"))
    placed = {0: ("ppe-12", "1"), 1: ("ppe-12", "1"), 2: ("ppe-17", "1"), 3: ("ppe-17", ""), 4: ("ppe-17", ""),
              5: ("", "")}
    for i, (code, room) in placed.items():
        page.fill(f'input[name="staff-{i}-ppe"]', code)
        page.fill(f'input[name="staff-{i}-auditorium"]', room)
    page.get_by_role("button", name="Передать на утверждение").click()
    errors = page.locator(".field-error")
    expect(errors.filter(has_text="Магомедов Арсен Маратович преподаёт предмет экзамена (математика)")).to_have_count(1)
    expect(errors.filter(has_text="Омаров Шамиль Абдулаевич — учитель МБОУ «СОШ №17», а в ППЭ №17")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("В ППЭ №12 (на базе СОШ №12) 07.06.2021 назначены работники, но нет "
                                                 "руководителя ППЭ")
    expect(page.locator('input[name="staff-0-ppe"]')).to_have_value("ppe-12")
    expect(page.locator('input[name="staff-2-ppe"]')).to_have_value("ppe-17")
    expect(page.locator('input[name="staff-3-ppe"]')).to_have_value("ppe-17")
    page.fill('input[name="staff-0-ppe"]', "")  # the maths teacher stays in reserve
    page.fill('input[name="staff-0-auditorium"]', "")
    page.fill('input[name="staff-2-ppe"]', "ppe-12")
    page.fill('input[name="staff-5-ppe"]', "ppe-12")  # the second head heads PPE №12
    page.get_by_role("button", name="Передать на утверждение").click()
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    # The Начальник ГУО sees the warning (no organiser in PPE №17's auditorium) and approves.
    at(app, "2021-04-15T10:00:00+03:00")
    sign_in(page, base, "guo_head")
    page.get_by_role("link", name="Мои задачи").first.click()  # she lands on the plan at a glance
    open_task(page, "Утверждение списка работников ППЭ")
    instructions = page.locator(".instructions")
    expect(instructions).to_contain_text("07.06.2021, ЕГЭ по математике (профильный уровень): назначено 5 из 6 "
                                         "выдвинутых ОУ, в резерве 1")
    expect(instructions).to_contain_text("07.06.2021, ППЭ №17 (на базе СОШ №17): организаторы назначены в 0 из 1 "
                                         "аудиторий.")
    expect(instructions).to_contain_text("ППЭ №12 (на базе СОШ №12): Гасанова Марьям Руслановна — руководитель ппэ")
    page.check('input[name="decision"][value="approve"]')
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_be_visible()
    sign_out(page)

    # The ИАО downloads the ЦКО ДИРО table from the instance page and records the dispatch.
    at(app, "2021-04-16T10:00:00+03:00")
    sign_in(page, base, "iao")
    page.goto(f"{base}/instances/{instance_id}")
    link = page.locator("ul.downloads").get_by_role("link", name="Список работников ППЭ для ЦКО ДИРО")
    expect(link).to_have_attribute("href", re.compile(f"/instances/{instance_id}/exports/ckodiro.xlsx$"))
    with page.expect_download() as download:
        link.click()
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == ["№ п/п", "Код ППЭ", "ППЭ", "ФИО", "Должность в ППЭ", "Место работы (ОУ)",
                        "Преподаваемый предмет", "E-mail", "Аудитория", "Экзамен", "Дата экзамена"]
    assert [row[:9] for row in table[1:]] == [
        [1, "ppe-17", "ППЭ №17 (на базе СОШ №17)", "Юсупова Аминат Расуловна", "Руководитель ППЭ",
         "МБОУ «СОШ №17»", "Не преподаёт", "yusupova@school17.example", None],
        [2, "ppe-17", "ППЭ №17 (на базе СОШ №17)", "Саидова Зарема Магомедовна", "Организатор вне аудитории",
         "МБОУ «СОШ №17»", "Не преподаёт", "saidova@school17.example", None],
        [3, "ppe-12", "ППЭ №12 (на базе СОШ №12)", "Гасанова Марьям Руслановна", "Руководитель ППЭ",
         "МБОУ «СОШ №17»", "Не преподаёт", "gasanova@school17.example", None],
        [4, "ppe-12", "ППЭ №12 (на базе СОШ №12)", "Алиева Патимат Гасановна", "Организатор в аудитории",
         "МБОУ «СОШ №12»", "Русский язык", "alieva@school12.example", "1"],
        [5, "ppe-12", "ППЭ №12 (на базе СОШ №12)", "Омаров Шамиль Абдулаевич", "Организатор в аудитории",
         "МБОУ «СОШ №17»", "История", "omarov@school17.example", "1"]]
    assert {row[9] for row in table[1:]} == {EXAM["title"]}
    assert {row[10].date().isoformat() for row in table[1:]} == {"2021-06-07"}

    page.goto(f"{base}/")
    open_task(page, "Отправить в ЦКО ДИРО")
    page.fill('input[name="sent_on"]', "2021-04-16")
    page.fill('input[name="number"]', "01-12/345")
    page.get_by_role("button", name="Отметить отправку").click()
    expect(page.locator(".flash.success")).to_be_visible()
    page.goto(f"{base}/instances/{instance_id}")
    expect(page.locator("main")).to_contain_text("отправлен в ЦКО ДИРО 16.04.2021 (исх. № 01-12/345)")
