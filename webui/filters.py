"""Template helpers: Russian dates, overdue days, role titles and status words."""
from datetime import datetime

from flask import g
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from engine import audit, clock, roles
from engine.directory import people_names
from engine.models.instance import InstanceStatus

INSTANCE_STATUS = InstanceStatus.WORDS
TASK_STATE = {"READY": _l("open"), "WAITING": _l("not started"), "COMPLETED": _l("done"),
              "CANCELLED": _l("cancelled"), "ERROR": _l("error")}


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(clock.local_zone()) if value is not None else None


def ru_date(value) -> str:
    return clock.ru_date(value)


def ru_datetime(value) -> str:
    return local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def overdue_days(due: datetime | None, now: datetime) -> int:
    """Whole days a deadline has passed by (0 if it has not)."""
    if due is None or due >= now:
        return 0
    return max(1, (local(now).date() - local(due).date()).days)


def short_title(text: str | None, limit: int = 64) -> str:
    """A task's name fit for a list row: whole words up to `limit` characters and «…» (a plan item's title runs
    to a page); the full text stays on the task page and in the link's title."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—(«\"") + "…"


def days_text(days: int) -> str:
    return ngettext("%(num)s day", "%(num)s days", days)


PLAN_STATE = {  # engine.service.progress: a plan item's, an activity's or one unit's run's state
    "not_started": _l("work not started"), "waiting_calendar": _l("waiting for a date in the calendar"),
    "running": _l("work in progress"), "overdue": _l("work overdue"), "done": _l("work done"),
    "error": _l("work stopped by an error"), "cancelled": _l("cancelled by an administrator"),
}
PLAN_SCOPE = {"department": _l("the department"), "schools": _l("every school"), "ppe": _l("every PPE")}


def plan_windows(windows) -> str:
    """[[starts, ends], ...] as 01.10.2020–30.11.2020, a one-day window as one date."""
    return "; ".join(ru_date(a) if a == b else f"{ru_date(a)}–{ru_date(b)}" for a, b in windows)


def person(login: str | None) -> str:
    """A login as people know its holder (engine.directory.naming), read once per request."""
    if not login:
        return ""
    cache = g.setdefault("person_names", {})
    if login not in cache:
        cache.update(people_names([login]))
    return cache.get(login, login)


def _translations():
    """This request's catalogue, looked up once: Flask-Babel looks it up again at every string of a template (the
    locale's identifier rebuilt each time), ~90 times for the inbox page. Kept where Flask-Babel keeps its own
    per-request state, under the key its refresh() and force_locale() reset, so a change of language still
    applies at once."""
    ctx = getattr(g, "_flask_babel", None) if g else None
    if ctx is None:
        return get_translations()
    found = getattr(ctx, "babel_translations", None)
    if found is None:
        found = ctx.babel_translations = get_translations()
    return found


def init_app(app):
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.filters.update(person=person,
        ru_date=ru_date, ru_datetime=ru_datetime, role_title=roles.title, days_text=days_text, short_title=short_title,
        instance_status=lambda s: INSTANCE_STATUS.get(s, s), task_state=lambda s: TASK_STATE.get(s, s),
        audit_action=audit.label, plan_windows=plan_windows,
        progress_state=lambda s: PLAN_STATE.get(s, s), plan_scope=lambda s: PLAN_SCOPE.get(s, s))
    app.jinja_env.globals.update(overdue_days=overdue_days, get_locale=get_locale)
