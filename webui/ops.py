"""The operators' page (issue 16 §5): the installation at a glance in Russian, the same numbers /readyz and
/metrics give (engine.ops), for the department's staff and administrators; a school's or PPE's people are refused
(403, audited), as they are from the other city-wide areas."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import roles
from engine.access import is_admin, is_city_staff
from engine.models.instance import InstanceStatus
from engine.ops import readiness, snapshot

from .access import restrict
from .health import engine_calls, migrations_dir

bp = Blueprint("ops", __name__, url_prefix="/ops")
# engine.ops.readiness gives reasons as plain keys (the JSON of /readyz); the page says them in words.
REASONS = {"unreachable": _l("does not answer"), "unreadable": _l("cannot be read (is the schema migrated?)"),
           "database unavailable": _l("the database does not answer")}
restrict(bp, lambda user: is_city_staff(user) or is_admin(user), "ops", link="may_see_ops")


@bp.route("/")
def index():
    checks = readiness(migrations_dir())
    state = snapshot()
    tasks = sorted(((roles.title(role) if role else _("no role"), count, state.tasks_overdue.get(role, 0))
                    for role, count in state.tasks_open.items()), key=lambda row: (-row[2], -row[1], row[0]))
    instances = [(status, InstanceStatus.word(status), count) for status, count in state.instances.items()]
    calls = sorted((verb, outcome, count, total / count * 1000 if count else 0.0)
                   for (verb, outcome), (count, total) in engine_calls().items())
    return render_template("ops.html", checks=checks, ready=all(c.ok for c in checks), state=state, tasks=tasks,
                           instances=instances, calls=calls, duration=duration, reasons=REASONS)


def duration(seconds: float | None) -> str:
    """How long, in the largest unit that keeps it short: "40 с", "12 мин", "5 ч", "3 сут."."""
    if seconds is None:
        return _("not yet")
    if seconds < 120:
        return _("%(count)s s", count=int(seconds))
    if seconds < 2 * 3600:
        return _("%(count)s min", count=int(seconds // 60))
    if seconds < 48 * 3600:
        return _("%(count)s h", count=int(seconds // 3600))
    return _("%(count)s days", count=int(seconds // 86400))
