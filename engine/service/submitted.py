"""What was handed in for a task: its submitted data as the form shows it (the form's labels, choices by their
names, dates as dates, files as files, rows as a table), for the task page's «Что сдано».

One function, `handed_in` (for `submitted`, and for the task page, which has the workflow restored already), is
the only reader. A submission is read from the task history (engine.service.history: one row per completion,
written with it; an upgraded database carried over what the audit trail recorded), so that it shows what the
person submitted even after the process data changed or the workflow dropped the task. A task completed before
the history was kept and not carried over is read, as before it, from the task's own data in the workflow (where
engine.actions.Complete put it: under the form's variable, or at the top level), else from the audit trail's
record of the completion."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock, store
from ..access.guards import readable_task
from ..db import db
from ..models import AuditEvent, HumanTask, ProcessInstance, User
from ..models.human_task import TaskStatus
from ..directory.naming import unit_names
from .history import handed_in_data
from .task_forms import task_form


@dataclass
class Value:
    """One value as shown: text, or a file (an attachment id and its name)."""
    text: str = ""
    file: dict | None = None


@dataclass
class Item:
    """A field of the form with what was handed in: a value, a group's own items, or a rows field's table."""
    label: str
    value: Value | None = None
    group: list["Item"] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Value]] = field(default_factory=list)


def submitted(task_id: str, user: User) -> list[Item]:
    """What was submitted for a completed task, field by field in the form's order (empty fields left out);
    [] for an open task or one without a form. Only someone who may view the task may read it: for anyone else
    the task is not found."""
    task = readable_task(task_id, user)  # NotFound for whoever may not see it, as for a task that is not there
    return handed_in(task, lambda: _restored(task))


def handed_in(task: HumanTask, spiff_task) -> list[Item]:
    """`submitted` of a task whose visibility the caller has checked. `spiff_task()` gives the workflow's task
    (None when the workflow no longer holds it); it is called only for a completed task with a form that the task
    history does not hold, so the workflow is restored only for a task completed before the history was kept (and
    not again by a caller that has restored it already: the task page)."""
    if task.state != TaskStatus.COMPLETED or not task.form_key:
        return []
    definition = task_form(task)
    data = _submission(task, spiff_task, definition)
    if not data:
        return []
    names = unit_names(_codes(definition.fields, data))
    return _items(definition.fields, data, names)


def _restored(task: HumanTask):
    try:
        return store.task_of(db.session.get(ProcessInstance, task.instance_id), task.id)
    except Exception:  # a workflow that cannot be read: the audit trail's record of the completion is shown
        return None


def _submission(task: HumanTask, restored, definition) -> dict:
    """The data handed in when the task was completed: its latest row in the task history; for a task completed
    before the history was kept, in the workflow's task while the workflow holds it, else (a task removed by a
    reset) as the audit trail recorded the completion."""
    kept = handed_in_data(task.id)
    if kept is not None:
        return kept
    spiff_task = restored()
    if spiff_task is not None:
        data = spiff_task.data
        if definition.variable:
            return data.get(definition.variable) or {}
        return {f.name: data[f.name] for f in definition.fields if f.name in data}
    summary = db.session.scalar(select(AuditEvent.summary).where(
        AuditEvent.task_id == task.id, AuditEvent.action.in_(("complete", "complete_as_admin")))
        .order_by(AuditEvent.id.desc()).limit(1))
    return summary if isinstance(summary, dict) else {}


def _items(fields, data: dict, names: dict) -> list[Item]:
    items = []
    for f in fields:
        value = data.get(f.name)
        if f.type == "group":
            inner = _items(f.fields, value if isinstance(value, dict) else {}, names)
            if inner:
                items.append(Item(f.label, group=inner))
        elif f.type == "rows":
            rows = [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []
            if rows:
                items.append(Item(f.label, headers=[sub.label for sub in f.fields],
                                  rows=[[_value(sub, row.get(sub.name), names) for sub in f.fields] for row in rows]))
        elif not _empty(value):
            items.append(Item(f.label, value=_value(f, value, names)))
    return items


def _value(f, value, names: dict) -> Value:
    if _empty(value):
        return Value()
    if f.type == "file":
        return Value(text=str(value.get("filename") or ""), file=value) if isinstance(value, dict) else Value()
    if f.type == "boolean":
        return Value(str(_l("yes") if value else _l("no")))
    if f.type == "date":
        return Value(clock.ru_date(value))
    if f.type in ("choice", "multichoice", "units"):
        labels = dict(f.choices) if f.type != "units" else names
        chosen = value if isinstance(value, list) else [value]
        return Value(", ".join(str(labels.get(str(v), v)) for v in chosen))
    return Value(str(value))


def _codes(fields, data) -> set[str]:
    """The unit codes chosen in `units` fields, to be named."""
    found = set()
    for f in fields:
        value = data.get(f.name) if isinstance(data, dict) else None
        if f.type == "units" and isinstance(value, list):
            found.update(str(v) for v in value)
        elif f.type == "group":
            found |= _codes(f.fields, value)
        elif f.type == "rows" and isinstance(value, list):
            for row in value:
                found |= _codes(f.fields, row)
    return found


def _empty(value) -> bool:
    return value is None or value == "" or value == []
