"""Importing schools, PPE and staff from Excel: all or nothing, row-level problems in Russian, idempotent; the
template and the export import back cleanly. Real databases (SQLite and, when configured, PostgreSQL)."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, Membership, Unit, User
from engine.directory import ImportRefused, export_bytes, import_directory, template_bytes

ORG_HEAD = ["Код", "Название", "Тип", "Код вышестоящей организации", "Код школы-базы (для ППЭ)", "Номер ППЭ",
            "Аудиторий", "Экзамены"]
STAFF_HEAD = ["Логин", "ФИО", "Эл. почта", "Роль", "Код организации", "Начальный пароль"]
GOOD_ORGS = [["school-70", "МБОУ «СОШ №70»", "Школа", "guo"],
             ["ppe-70", "ППЭ №70 (на базе СОШ №70)", "ППЭ", "guo", "school-70", 70, 4]]
GOOD_STAFF = [["head70", "Сулейманова А. М.", "head70@gia.example", "Руководитель ОУ", "school-70", "Пароль-70!"],
              ["tech70", "Абдуллаев Р. Р.", "tech70@gia.example", "ppe_tech", "ppe-70"],
              ["tech70", "Абдуллаев Р. Р.", None, "Специалист ИАО", None],
              ["tech17", "Гасанов Р.А.", "gasanov@gia.example", "Руководитель ППЭ", "ppe-70"]]


def book(orgs=(), staff=(), org_head=ORG_HEAD, staff_head=STAFF_HEAD, names=("Организации", "Сотрудники")) -> bytes:
    wb = Workbook()
    for index, (name, head, rows) in enumerate(zip(names, (org_head, staff_head), (orgs, staff))):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = name
        ws.append(head)
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in
                 (Unit, User, Membership, AuditEvent))


def refused(content) -> list[str]:
    before = counts()
    with pytest.raises(ImportRefused) as info:
        import_directory(content, actor="admin", filename="staff.xlsx")
    assert counts() == before  # nothing changed, not even the audit trail
    assert str(info.value.errors[0]) in info.value.problems()
    return info.value.problems()


def test_good_import_creates_units_users_and_memberships_and_is_idempotent(org):
    result = import_directory(book(GOOD_ORGS, GOOD_STAFF), actor="admin", filename="staff.xlsx")
    assert (result.units_created, result.units_updated, result.users_created, result.users_updated,
            result.memberships_added) == (2, 0, 2, 1, 4)
    ppe = db.session.scalar(select(Unit).where(Unit.code == "ppe-70"))
    assert ppe.as_data() == {"code": "ppe-70", "name": "ППЭ №70 (на базе СОШ №70)", "kind": "ppe", "number": 70,
                             "auditoriums": 4, "host": "school-70", "host_name": "МБОУ «СОШ №70»"}
    assert db.session.get(Unit, ppe.parent_id).code == "guo"
    assert engine.authenticate("head70", "Пароль-70!") is not None
    assert engine.authenticate("tech70", "anything") is None  # no password yet: cannot sign in
    held = lambda login: sorted((m.role, m.unit.code if m.unit else None)
                                for m in engine.user_by_login(login).memberships)
    assert held("tech70") == [("iao_specialist", None), ("ppe_tech", "ppe-70")]
    assert held("tech17") == [("ppe_head", "ppe-70"), ("ppe_tech", "ppe-17")]
    assert engine.user_by_login("tech17").email == "gasanov@gia.example"
    trail = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "directory_import"))
    assert trail.actor == "admin" and trail.summary["file"] == "staff.xlsx" and trail.summary["users_created"] == 2

    before = counts()
    again = import_directory(book(GOOD_ORGS, GOOD_STAFF), actor="admin")
    assert (again.units_created, again.units_updated, again.users_created, again.users_updated,
            again.memberships_added) == (0, 0, 0, 0, 0)
    assert counts()[:3] == before[:3]


def test_one_bad_row_among_good_ones_imports_nothing_and_names_the_row_in_russian(org):
    staff = GOOD_STAFF[:2] + [["zavuch70", "Магомедов М. М.", None, "завуч", "school-70"]] + GOOD_STAFF[2:]
    problems = refused(book(GOOD_ORGS, staff))
    assert problems == ["Лист «Сотрудники», строка 4, столбец «Роль»: неизвестная роль «завуч»"]
    assert db.session.scalar(select(Unit).where(Unit.code == "school-70")) is None
    assert db.session.scalar(select(User).where(User.login == "head70")) is None


BAD_ORGS = [
    (["", "Школа без кода", "Школа"], "строка 3, столбец «Код»: ячейка не заполнена"),
    (["школа 5", "МБОУ «СОШ №5»", "Школа"], "может содержать только латинские буквы"),
    (["school-70", "Ещё раз", "Школа"], "код «school-70» уже встречается в строке 2"),
    (["g-1", "Гимназия №1", "гимназия"], "неизвестный тип «гимназия»; допустимо: Управление, Отдел, Школа, ППЭ"),
    (["school-71", "", "Школа"], "столбец «Название»: ячейка не заполнена"),
    (["school-71", "МБОУ «СОШ №71»", "Школа", "rono"], "неизвестная организация «rono»"),
    (["ppe-71", "ППЭ №71", "ППЭ", "guo"], "для ППЭ укажите код школы-базы"),
    (["ppe-71", "ППЭ №71", "ППЭ", "guo", "ppe-12"], "школа-база «ppe-12» — «ППЭ», а не школа"),
    (["school-71", "МБОУ «СОШ №71»", "Школа", None, "school-17"], "школа-база указывается только для ППЭ"),
    (["ppe-71", "ППЭ №71", "ППЭ", "guo", "school-17", None, "три"],
     "столбец «Аудиторий»: ожидается целое число от 1 до 200, а не «три»"),
    (["ppe-71", "ППЭ №71", "ППЭ", "guo", "school-17", None, 2, "ege, math"],
     "столбец «Экзамены»: неизвестный экзамен «math»"),
    (["school-71", "МБОУ «СОШ №71»", "Школа", "school-71"], "не может быть вышестоящей сама для себя"),
    (["guo", "Управление", "Управление", "iao"], "образуют цикл: guo → iao → guo"),
    (["school-17", "МБОУ «СОШ №17»", "Отдел", "guo"], "на базе «school-17» работает ППЭ ppe-17"),
]


@pytest.mark.parametrize("row, expected", BAD_ORGS, ids=[e for _r, e in BAD_ORGS])
def test_each_kind_of_bad_organisation_cell_is_reported(org, row, expected):
    problems = refused(book([GOOD_ORGS[0], row], GOOD_STAFF[:1]))
    assert len(problems) == 1 and problems[0].startswith("Лист «Организации», строка 3"), problems
    assert expected in problems[0]


BAD_STAFF = [
    (["", "Без логина", None, "ppe_tech", "ppe-17"], "столбец «Логин»: ячейка не заполнена"),
    (["ivan ivanov", "Иванов И. И.", None, "ppe_tech", "ppe-17"], "без пробелов"),
    (["ivanov", "", None, "ppe_tech", "ppe-17"], "столбец «ФИО»: ячейка не заполнена"),
    (["ivanov", "Иванов И. И.", "ivanov@", "ppe_tech", "ppe-17"], "«ivanov@» — не адрес электронной почты"),
    (["ivanov", "Иванов И. И.", None, "ppe_tech", "ppe-17", "123"],
     "пароль должен быть длиной от 8 до 128 символов"),
    (["ivanov", "Иванов И. И.", None, "Завуч", "school-17"], "неизвестная роль «Завуч»"),
    (["ivanov", "Иванов И. И.", None, "ppe_tech", "ppe-99"], "неизвестная организация «ppe-99»"),
    (["ivanov", "Иванов И. И.", None, "Технический специалист ППЭ", "school-17"],
     "роль «Технический специалист ППЭ» назначается в организации типа «ППЭ», а «school-17» — «Школа»"),
    (["ivanov", "Иванов И. И.", None, "school_head", None], "для роли «Руководитель ОУ» укажите код организации"),
    (["ivanov", "Иванов И. И.", None, None, "school-17"], "указана организация, но не указана роль"),
    (["head70", "Сулейманова А. М.", None, "Руководитель ОУ", "school-70"],
     "те же логин, роль и организация, что в строке 2"),
    (["head70", "Другая А. М.", None, "Координатор ГИА в ОУ", "school-70"],
     "логин «head70» уже есть в строке 2 с другим значением в столбце «ФИО»"),
]


@pytest.mark.parametrize("row, expected", BAD_STAFF, ids=[e for _r, e in BAD_STAFF])
def test_each_kind_of_bad_staff_cell_is_reported(org, row, expected):
    problems = refused(book(GOOD_ORGS, [GOOD_STAFF[0], row]))
    assert len(problems) == 1 and problems[0].startswith("Лист «Сотрудники», строка 3"), problems
    assert expected in problems[0]


def test_every_bad_row_is_reported_not_only_the_first(org):
    problems = refused(book(GOOD_ORGS + [["", "", "", "guo"]], [["", "", "x@", "завуч", "nowhere"]] * 2))
    assert sum("Организации" in p for p in problems) == 3
    assert sum("строка 2" in p and "Сотрудники" in p for p in problems) == 4  # login, name, e-mail, role
    assert sum("строка 3" in p and "Сотрудники" in p for p in problems) == 4


FILES = [
    (b"", "Файл пуст"),
    (b"%PDF-1.4 not a workbook", "Это не файл Excel .xlsx"),
    (b"PK\x03\x04 damaged zip" + bytes(200), "Это не файл Excel .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "защищён паролем или сохранён в старом формате .xls"),
    (book(names=("Лист1", "Сотрудники")), "Не хватает листов: «Организации»"),
    (book(org_head=["Код", "Наименование организации", "Тип"]), "Лист «Организации»: в первой строке"),
]


@pytest.mark.parametrize("content, expected", FILES, ids=[e for _c, e in FILES])
def test_a_file_that_cannot_be_read_is_refused_in_russian(app, content, expected):
    problems = refused(content)
    assert len(problems) == 1 and expected in problems[0], problems


def test_too_many_rows_or_too_large_a_file_is_refused(app):
    app.config["MAX_IMPORT_ROWS"] = 3
    rows = [[f"school-{n}", f"СОШ №{n}", "Школа"] for n in range(4)]
    assert refused(book(rows)) == ["Лист «Организации»: больше 3 строк; разделите файл на несколько."]
    app.config["MAX_IMPORT_BYTES"] = 1024 * 1024
    assert "больше 1 МБ" in refused(bytes(1024 * 1024 + 1))[0]


def test_the_template_imports_cleanly_and_lists_kinds_and_roles(app):
    content = template_bytes()
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["Организации", "Сотрудники", "Справочник"]
    assert [c.value for c in wb["Сотрудники"][1]][:4] == ["Логин *", "ФИО *", "Эл. почта", "Роль"]
    reference = {c.value for row in wb["Справочник"].iter_rows() for c in row}
    assert {"ППЭ", "Школа", "Технический специалист ППЭ", "Начальник ГУО"} <= reference
    result = import_directory(content, actor="admin")
    assert (result.units_created, result.users_created, result.memberships_added) == (2, 2, 2)


def test_the_export_imports_back_without_changing_anything(org):
    import_directory(book(GOOD_ORGS, GOOD_STAFF), actor="admin")
    engine.deactivate("tech70", actor="admin")
    content = export_bytes()
    staff = load_workbook(io.BytesIO(content))["Сотрудники"]
    rows = [[c.value for c in row] for row in staff.iter_rows(min_row=2)]
    assert ["tech70", "Абдуллаев Р. Р.", "tech70@gia.example", "Специалист ИАО", None, None, "отключён"] in rows
    before = counts()
    again = import_directory(content, actor="admin")
    assert (again.units_created, again.units_updated, again.users_created, again.users_updated,
            again.memberships_added, again.inactive) == (0, 0, 0, 0, 0, ["tech70"])
    assert counts()[:3] == before[:3] and not engine.user_by_login("tech70").active


def test_the_exams_column_sets_what_a_ppe_hosts_and_exports_back(org):
    """The department names the exams a PPE hosts (kinds or calendar keys); «все» clears the list (every exam)."""
    orgs = [GOOD_ORGS[0], GOOD_ORGS[1] + ["ЕГЭ; oge_math"]]
    import_directory(book(orgs, GOOD_STAFF), actor="admin")
    ppe = db.session.scalar(select(Unit).where(Unit.code == "ppe-70"))
    assert ppe.attrs["exams"] == ["ege", "oge_math"]
    rows = load_workbook(io.BytesIO(export_bytes()))["Организации"].iter_rows(min_row=2, values_only=True)
    assert next(r for r in rows if r[0] == "ppe-70")[7] == "ege, oge_math"
    assert import_directory(export_bytes(), actor="admin").units_updated == 0
    import_directory(book([GOOD_ORGS[1] + ["все"]]), actor="admin")
    assert "exams" not in db.session.scalar(select(Unit).where(Unit.code == "ppe-70")).attrs


def test_an_empty_optional_cell_keeps_what_is_stored(org):
    import_directory(book(GOOD_ORGS, GOOD_STAFF), actor="admin")
    result = import_directory(book([["ppe-70", "ППЭ №70", "ППЭ"]], [["head70", "Сулейманова А. М."]]),
                              actor="admin")
    assert (result.units_updated, result.users_updated) == (1, 0)
    ppe = db.session.scalar(select(Unit).where(Unit.code == "ppe-70"))
    assert (ppe.name, ppe.host.code, ppe.attrs) == ("ППЭ №70", "school-70", {"number": 70, "auditoriums": 4})
    assert engine.user_by_login("head70").email == "head70@gia.example"
    assert engine.authenticate("head70", "Пароль-70!") is not None
