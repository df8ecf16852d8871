"""Excel exports people would otherwise copy by hand (openpyxl): headers in Russian, dates as dates."""
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from engine import roles
from .filters import local, overdue_days

_LATE = PatternFill("solid", fgColor="F8D7DA")


def inbox_workbook(tasks, now) -> BytesIO:
    extra = sorted({key for task in tasks for key in (task.columns or {})})
    book = Workbook()
    sheet = book.active
    sheet.title = _("Tasks")
    headers = [_("Task"), _("Activity"), _("Unit"), *extra, _("Role"), _("Due"), _("Overdue, days"), _("Claimed by"),
               _("Created")]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for task in tasks:
        late = overdue_days(task.due_at, now)
        sheet.append([task.name, task.process_id, task.unit_code, *[(task.columns or {}).get(k) for k in extra],
                      roles.title(task.role), _naive(task.due_at), late or None,
                      task.assignee.login if task.assignee else None, _naive(task.created_at)])
        if late:
            for cell in sheet[sheet.max_row]:
                cell.fill = _LATE
    for column, header in enumerate(headers, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(12, min(60, len(str(header)) + 4))
        if header in (_("Due"), _("Created")):
            for cell in sheet[letter][1:]:
                cell.number_format = "DD.MM.YYYY HH:MM"
    sheet.column_dimensions["A"].width = 70
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream


def _naive(value):
    """Excel has no time zones: local time, without the zone."""
    return local(value).replace(tzinfo=None) if value else None
