"""Excel exports people would otherwise copy by hand (openpyxl): headers in Russian, dates as dates, late rows
marked in red, a frozen header row with filters."""
import re
from datetime import date, datetime
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from engine import roles
from engine.directory import person_name
from .filters import local, overdue_days

_LATE = PatternFill("solid", fgColor="F8D7DA")
_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")  # Excel refuses these in a sheet name


def table_workbook(title: str, headers: list[str], rows: list[tuple[list, bool]], wide: int = 1) -> BytesIO:
    """One sheet: `rows` are (values, late); the first `wide` columns get room for long text."""
    book = Workbook()
    _fill(book.active, title, headers, rows, wide)
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream


def _fill(sheet, title: str, headers: list[str], rows: list[tuple[list, bool]], wide: int = 1) -> None:
    """A sheet of table_workbook's shape: bold frozen headers with filters, dates as dates, late rows in red."""
    sheet.title = _SHEET_FORBIDDEN.sub(" ", title)[:31].strip() or "1"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values, late in rows:
        sheet.append([_naive(v) if isinstance(v, datetime) else v for v in values])
        for cell, value in zip(sheet[sheet.max_row], values):
            if isinstance(value, datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            if late:
                cell.fill = _LATE
    for column, header in enumerate(headers, start=1):
        width = 60 if column <= wide else max(12, min(40, len(str(header)) + 4))
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def attendance_workbook(attendance: dict) -> BytesIO:
    """A plan item's participation (engine/plan/attendance.py): its events, the coverage by school (a school
    invited but absent in red) and, when it records trial exams, their participants by PPE and school."""
    book = Workbook()
    invited, came = _("Invited (registered)"), _("Came")
    _fill(book.active, _("Events"),
          [_("Date"), _("Held event"), _("Kind of the event held"), _("Subject"), _("PPE"), _("Recorded by"), invited,
           came],
          [([e.day, e.title, e.kind, e.subject, e.ppe, e.organiser, e.invited, e.came], False)
           for e in attendance["events"]], wide=0)
    _fill(book.create_sheet(), _("By school"),
          [_("Educational organisation"), _("Events"), invited, came, _("Came, share")],
          [([s["school"], s["events"], s["invited"], s["came"], s["percent"]], bool(s["events"] and not s["came"]))
           for s in attendance["by_school"]])
    if attendance["exams"]:
        _fill(book.create_sheet(), _("Trial exams by PPE"),
              [_("PPE"), _("Date"), _("Held event"), _("Subject"), _("Educational organisation"), _("Registered"),
               came],
              [([r["ppe"], r["day"], r["title"], r["subject"], r["school"], r["registered"], r["came"]], False)
               for r in attendance["exams"]], wide=0)
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream


def inbox_workbook(page, process_names: dict, now) -> BytesIO:
    """The inbox page's tasks with the names people use: the activity's, the unit's and the claimant's."""
    tasks = page.items
    extra = sorted({key for task in tasks for key in (task.columns or {})})
    headers = [_("Task"), _("Activity"), _("Unit"), *extra, _("Role"), _("Due"), _("Overdue, days"), _("Claimed by"),
               _("Created")]
    rows = []
    for task in tasks:
        late = overdue_days(task.due_at, now)
        rows.append(([task.name, process_names.get(task.process_id, task.process_id), page.unit_name(task),
                      *[(task.columns or {}).get(k) for k in extra], roles.title(task.role), task.due_at,
                      late or None, person_name(task.assignee) if task.assignee else None, task.created_at],
                     bool(late)))
    return table_workbook(_("Tasks"), headers, rows)


def coverage_workbook(page, now) -> BytesIO:
    """A plan item across its units: who handed in, when, how late, who is still overdue."""
    item = page["item"]
    headers = [_("Unit"), _("Status"), _("Handed in"), _("Late, days"), _("Open task"), _("Due"),
               _("Overdue, days")]
    rows = []
    for instance in page["instances"]:
        task = (page["open_tasks"].get(instance.id) or [None])[0]
        overdue = overdue_days(task.due_at, now) if task else 0
        submitted = date.fromisoformat(instance.submitted_on) if instance.submitted_on else None
        rows.append(([page["unit_names"].get(instance.unit_code, instance.unit_code),
                      instance.status_text or instance.status, submitted, instance.late_days or None,
                      task.name if task else None, task.due_at if task else None, overdue or None],
                     bool(overdue or instance.late_days)))
    return table_workbook(_("Item %(number)s", number=item.number), headers, rows)


def late_workbook(rows) -> BytesIO:
    """Work handed in late across the plan: item, unit, the deadline, when it came, how late."""
    headers = [_("Plan item"), _("Unit"), _("Deadline"), _("Handed in"), _("Late, days")]
    return table_workbook(_("Late submissions"), headers, [
        ([f"{item.number} {item.title.splitlines()[0]}", unit_name, item.due,
          date.fromisoformat(instance.submitted_on) if instance.submitted_on else None, instance.late_days], True)
        for item, instance, unit_name in rows])


def _naive(value):
    """Excel has no time zones: local time, without the zone."""
    return local(value).replace(tzinfo=None) if value else None


# The matrix's colours, the same in the page (app.css, .m-<state>) and in Excel.
MATRIX_FILLS = {"error": "E8A39C", "overdue": "F8D7DA", "running": "DCE8F5", "done_late": "FFF0C2",
                "done": "D4EDDA", "cancelled": "E9ECEF", "not_due": "FFFFFF", "none": "F1F3F5"}


def matrix_workbook(matrix, short_name, cell_text, cell_title, states) -> BytesIO:
    """The plan's matrix as shown: items down, units across, each cell its symbol, days and colour, with the row
    and column totals; a legend sheet; and a sheet listing every cell in words (unit, state, days), for filtering.
    Written in openpyxl's write-only mode: a city's matrix has thousands of coloured cells."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Matrix"))
    units = matrix.units
    sheet.column_dimensions["B"].width = 60
    for column in range(3, len(units) + 3):
        sheet.column_dimensions[get_column_letter(column)].width = 5
    sheet.freeze_panes = "C2"
    bold = Font(bold=True)
    fills = {state: PatternFill("solid", fgColor=colour) for state, colour in MATRIX_FILLS.items()}

    def styled(target, value, fill=None, font=None):
        cell = WriteOnlyCell(target, value=value)
        if fill is not None:
            cell.fill = fill
        if font is not None:
            cell.font = font
        return cell

    sheet.append([styled(sheet, v, font=bold) for v in
                  [_("Item"), _("Activity"), *[short_name(u) for u in units], _("Done"), _("Late"), _("Overdue")]])
    listed = []
    for item in matrix.items:
        cells = [matrix.cell(item, unit) for unit in units]
        totals = matrix.rows[item.id]
        sheet.append([item.number, item.title.splitlines()[0],
                      *[styled(sheet, cell_text(c), fills[c.state]) for c in cells],
                      totals.done, totals.late, totals.overdue])
        listed += [[item.number, unit.name, str(states[c.state][1]), c.days, cell_title(item, unit, c)]
                   for unit, c in zip(units, cells) if c.state != "none"]
    sheet.append([_("Total"), "", *[matrix.columns[u.code].done for u in units], matrix.total.done,
                  matrix.total.late, matrix.total.overdue])
    sheet.append([_("Overdue"), "", *[matrix.columns[u.code].overdue for u in units]])
    legend = book.create_sheet(_("Legend"))
    for state, (symbol, words) in states.items():
        legend.append([styled(legend, symbol, fills[state]), str(words)])
    cells_sheet = book.create_sheet(_("Cells"))
    cells_sheet.auto_filter.ref = f"A1:E{len(listed) + 1}"
    cells_sheet.append([_("Item"), _("Unit"), _("Status"), _("Days"), _("Description")])
    for row in listed:
        cells_sheet.append(row)
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream
