"""The Excel side of the directory: the layout of the import file (sheets «Организации» and «Сотрудники», Russian
headers), reading an uploaded workbook safely, and writing the template and the export in the same layout.

Sheet names, headers and the words in the file are the file's format (Russian, whatever the UI language); the
problems found are messages for people (English msgids, shown translated).
"""
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

# openpyxl is imported by the functions that read or write a workbook: importing it costs more CPU than most
# `flask gia` commands take, and only the directory's import and export pages use it.

ORG_SHEET, STAFF_SHEET, REF_SHEET = "Организации", "Сотрудники", "Справочник"
MAX_COLUMNS = 30
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: an encrypted .xlsx or an old .xls
_MAX_UNPACKED = 200 * 1024 * 1024
_MAX_PARTS = 2000


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    required: bool  # the header must be present
    aliases: tuple = ()
    width: int = 18
    note: str = ""


ORG_COLUMNS = (
    Column("code", "Код", True, (), 16, "Латинские буквы, цифры, «-», «_», «.»: school-17, ppe-17. "
           "Код не меняется после создания: по нему процессы находят организацию."),
    Column("name", "Название", True, ("Наименование",), 50),
    Column("kind", "Тип", True, ("Тип организации",), 16, "Управление, Отдел, Школа или ППЭ (лист «Справочник»)."),
    Column("parent", "Код вышестоящей организации", False, ("Вышестоящая организация",), 22,
           "Код из этого файла или уже заведённый в системе. Пустая ячейка не меняет сохранённое значение."),
    Column("host", "Код школы-базы (для ППЭ)", False, ("Код школы-базы", "Школа-база"), 22,
           "Для ППЭ обязательно: код школы, на базе которой работает ППЭ."),
    Column("number", "Номер ППЭ", False, ("Номер",), 11),
    Column("auditoriums", "Аудиторий", False, ("Число аудиторий", "Количество аудиторий"), 11,
           "Число аудиторий ППЭ (строк в чек-листе проверки)."),
    Column("exams", "Экзамены", False, ("Экзамены в ППЭ",), 22,
           "Какие экзамены проводит ППЭ, через запятую: ege, oge или ключи календаря (ege_math_profile…). "
           "«все» — все экзамены. Пустая ячейка не меняет сохранённое значение."),
)
STAFF_COLUMNS = (
    Column("login", "Логин", True, (), 16, "Без пробелов. Если логин уже есть, сотрудник обновляется и получает "
           "роль из строки. Одному сотруднику с несколькими ролями — по строке на роль."),
    Column("full_name", "ФИО", True, ("Фамилия, имя, отчество",), 34),
    Column("email", "Эл. почта", False, ("E-mail", "Email", "Электронная почта"), 28),
    Column("role", "Роль", False, (), 32, "Название роли или её код (лист «Справочник»)."),
    Column("unit", "Код организации", False, ("Организация",), 18,
           "Код с листа «Организации» или уже заведённый в системе. Для ролей школ и ППЭ обязателен."),
    Column("password", "Начальный пароль", False, ("Пароль",), 18,
           "Необязательно; не короче 8 символов. Пустая ячейка не меняет пароль."),
)
SHEETS = {ORG_SHEET: ORG_COLUMNS, STAFF_SHEET: STAFF_COLUMNS}
STATE_HEADER = "Состояние"  # written by the export, ignored by the import


@dataclass
class Problem:
    """One thing wrong with the file: where (sheet, row, column) and what (a message with its parameters)."""
    text: object
    params: dict = field(default_factory=dict)
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    @property
    def detail(self) -> str:
        return str(self.text) % self.params if self.params else str(self.text)

    def __str__(self) -> str:
        where = {"sheet": self.sheet, "row": self.row, "column": self.column, "problem": self.detail}
        if self.row is not None and self.column:
            return str(_l("Sheet «%(sheet)s», row %(row)s, column «%(column)s»: %(problem)s")) % where
        if self.row is not None:
            return str(_l("Sheet «%(sheet)s», row %(row)s: %(problem)s")) % where
        if self.sheet:
            return str(_l("Sheet «%(sheet)s»: %(problem)s")) % where
        return self.detail


@dataclass
class Sheet:
    name: str
    present: set  # keys of the columns found
    rows: list  # (row number, {key: text or None})


def _norm(header) -> str:
    return re.sub(r"[^0-9a-zа-яё]", "", str(header or "").casefold())


def cell_text(value, keep_spaces=False) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    text = str(value).strip() if keep_spaces else " ".join(str(value).split())
    return text or None


def read(content: bytes, max_bytes: int, max_rows: int) -> tuple[dict, list]:
    """The two sheets of an uploaded workbook, or the problems that stop it being read at all."""
    from openpyxl import load_workbook
    if not content:
        return {}, [Problem(_l("The file is empty."))]
    if len(content) > max_bytes:
        return {}, [Problem(_l("The file is larger than %(size)s MB."), {"size": max_bytes // (1024 * 1024)})]
    if content.startswith(_CFB_MAGIC):
        return {}, [Problem(_l("The file is password-protected or in the old .xls format. Save it in Excel as an "
                               "«Excel Workbook (.xlsx)» without a password and upload it again."))]
    not_xlsx = Problem(_l("This is not an Excel .xlsx file. Download the template, fill it in and upload it."))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            if len(parts) > _MAX_PARTS or sum(p.file_size for p in parts) > _MAX_UNPACKED:
                return {}, [Problem(_l("The file unpacks to too much data to be a list of organisations and staff."))]
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl and zipfile raise many kinds for a damaged or foreign file
        return {}, [not_xlsx]
    try:
        missing = [name for name in SHEETS if name not in book.sheetnames]
        if missing:
            return {}, [Problem(_l("The workbook must have the sheets «%(expected)s»; it has «%(found)s». "
                                   "Missing: «%(missing)s»."),
                                {"expected": "», «".join(SHEETS), "found": "», «".join(book.sheetnames),
                                 "missing": "», «".join(missing)})]
        sheets, problems = {}, []
        for name, columns in SHEETS.items():
            sheet = _read_sheet(book[name], name, columns, max_rows, problems)
            if sheet is not None:
                sheets[name] = sheet
        return sheets, problems
    except (ValueError, KeyError, OSError, SyntaxError, EOFError, zipfile.BadZipFile):
        return {}, [not_xlsx]  # a damaged part found only while streaming the rows
    finally:
        book.close()


def _read_sheet(ws, name, columns, max_rows, problems) -> Sheet | None:
    ws.reset_dimensions()  # files not written by Excel may declare wrong dimensions
    rows = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    header = next(rows, None) or ()
    by_norm = {}
    for column in columns:
        for alias in (column.title, *column.aliases):
            by_norm[_norm(alias)] = column
    where = {}
    for index, title in enumerate(header):
        column = by_norm.get(_norm(title))
        if column is not None and column.key not in where:
            where[column.key] = index
    missing = [c.title for c in columns if c.required and c.key not in where]
    if missing:
        problems.append(Problem(_l("the first row must hold the headers; missing: «%(missing)s»."),
                                {"missing": "», «".join(missing)}, sheet=name))
        return None
    data = []
    for number, values in enumerate(rows, start=2):
        cells = {key: cell_text(values[i] if i < len(values) else None, keep_spaces=(key == "password"))
                 for key, i in where.items()}
        if not any(cells.values()):
            continue
        if len(data) >= max_rows:
            problems.append(Problem(_l("more than %(max)s rows; split the file into several."), {"max": max_rows},
                                    sheet=name))
            return None
        data.append((number, cells))
    return Sheet(name, set(where), data)


# ---- writing: the template and the export ---------------------------------------------------------------------

def _head_style():
    from openpyxl.styles import Font, PatternFill
    return Font(bold=True), PatternFill("solid", fgColor="DDE6F0")


def _put(ws, row, col, value):
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")) and len(value) > 1:
        cell.data_type = "s"  # text from people is never a formula
    return cell


def _headed(ws, columns, extra=()):
    from openpyxl.comments import Comment
    head_font, head_fill = _head_style()
    for col, column in enumerate(columns, start=1):
        cell = _put(ws, 1, col, column.title + (" *" if column.key in ("code", "name", "kind", "login",
                                                                          "full_name") else ""))
        cell.font, cell.fill = head_font, head_fill
        if column.note:
            cell.comment = Comment(column.note, "GIA Flow")
        ws.column_dimensions[cell.column_letter].width = column.width
    for offset, title in enumerate(extra, start=len(columns) + 1):
        cell = _put(ws, 1, offset, title)
        cell.font, cell.fill = head_font, head_fill
    ws.freeze_panes = "A2"


def _rows(ws, rows):
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value)


def workbook(kinds: list, roles: list, units: list, org_rows: list, staff_rows: list,
             staff_extra: tuple = ()) -> bytes:
    """An import-layout workbook. kinds: (title, code, note); roles: (title, code, scope, unit kind);
    units: (code, name, kind title) already in the system, listed in «Справочник»."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    head_font, head_fill = _head_style()
    book = Workbook()
    orgs = book.active
    orgs.title = ORG_SHEET
    _headed(orgs, ORG_COLUMNS)
    _rows(orgs, org_rows)
    staff = book.create_sheet(STAFF_SHEET)
    _headed(staff, STAFF_COLUMNS, staff_extra)
    _rows(staff, staff_rows)
    ref = book.create_sheet(REF_SHEET)
    line = 1
    for title, headers, items in (("Типы организаций", ("Тип", "Код", "Пояснение"), kinds),
                                  ("Роли", ("Роль", "Код", "Действует", "Организация"), roles),
                                  ("Организации в системе", ("Код", "Название", "Тип"), units)):
        _put(ref, line, 1, title).font = Font(bold=True, size=12)
        for col, head in enumerate(headers, start=1):
            cell = _put(ref, line + 1, col, head)
            cell.font, cell.fill = head_font, head_fill
        first = line + 2
        for offset, item in enumerate(items):
            for col, value in enumerate(item, start=1):
                _put(ref, first + offset, col, value)
        if title != "Организации в системе" and items:
            _dropdown(orgs if title == "Типы организаций" else staff, "C" if title == "Типы организаций" else "D",
                      f"'{REF_SHEET}'!$A${first}:$A${first + len(items) - 1}")
        line = first + len(items) + 1
    for letter, width in zip("ABCD", (34, 22, 40, 18)):
        ref.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _dropdown(ws, letter, source):
    from openpyxl.worksheet.datavalidation import DataValidation
    check = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=False)
    check.add(f"{letter}2:{letter}5001")
    ws.add_data_validation(check)
