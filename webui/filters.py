"""Template helpers: Russian dates, overdue days, role titles and status words."""
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from engine import clock, roles

INSTANCE_STATUS = {
    "running": _l("in progress"), "waiting": _l("waiting"), "stalled": _l("stalled"), "completed": _l("completed"),
    "error": _l("error"), "cancelled": _l("cancelled"), "suspended": _l("suspended"),
}
TASK_STATE = {"READY": _l("open"), "WAITING": _l("not started"), "COMPLETED": _l("done"),
              "CANCELLED": _l("cancelled"), "ERROR": _l("error")}
AUDIT_ACTION = {
    "start": _l("started"), "complete": _l("completed a task"), "complete_as_admin": _l("completed a task as admin"),
    "timers": _l("timer fired"), "claim": _l("claimed"), "unclaim": _l("released"), "error": _l("error"),
    "retry": _l("retried"), "cancel": _l("cancelled"), "suspend": _l("suspended"), "resume": _l("resumed"),
    "notify": _l("notification"), "denied": _l("access denied"), "deliver_message": _l("message received"),
    "deliver_signal": _l("signal received"), "reschedule": _l("dates moved (exam calendar)"),
}


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(clock.local_zone()) if value is not None else None


def ru_date(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value[8:10] + "." + value[5:7] + "." + value[0:4] if len(value) >= 10 else value
    return local(value).strftime("%d.%m.%Y") if isinstance(value, datetime) else value.strftime("%d.%m.%Y")


def ru_datetime(value) -> str:
    return local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def overdue_days(due: datetime | None, now: datetime) -> int:
    """Whole days a deadline has passed by (0 if it has not)."""
    if due is None or due >= now:
        return 0
    return max(1, (local(now).date() - local(due).date()).days)


def days_text(days: int) -> str:
    return ngettext("%(num)s day", "%(num)s days", days)


PLAN_STATE = {
    "not_started": _l("not started"), "waiting_calendar": _l("waiting for a date in the calendar"),
    "running": _l("in progress"), "overdue": _l("overdue"), "done": _l("done"), "error": _l("error"),
}
PLAN_SCOPE = {"department": _l("the department"), "schools": _l("every school"), "ppe": _l("every PPE")}


def plan_windows(windows) -> str:
    """[[starts, ends], ...] as 01.10.2020–30.11.2020, a one-day window as one date."""
    return "; ".join(ru_date(a) if a == b else f"{ru_date(a)}–{ru_date(b)}" for a, b in windows)


def init_app(app):
    app.jinja_env.filters.update(
        ru_date=ru_date, ru_datetime=ru_datetime, role_title=roles.title, days_text=days_text,
        instance_status=lambda s: INSTANCE_STATUS.get(s, s), task_state=lambda s: TASK_STATE.get(s, s),
        audit_action=lambda a: AUDIT_ACTION.get(a, a), plan_windows=plan_windows,
        plan_state=lambda s: PLAN_STATE.get(s, s), plan_scope=lambda s: PLAN_SCOPE.get(s, s))
    app.jinja_env.globals.update(overdue_days=overdue_days, get_locale=get_locale)
