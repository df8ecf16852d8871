"""Incidents (issue 13 §5): the errored and stalled instances grouped by process, element and message, each group
with a way to its diagram, to its instances, and to retrying them all (a batch job's preview). Department staff
see the city; a school's or PPE's staff see their own units' incidents; anyone else is refused (403, audited)."""
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

import engine
from engine.access import may_repair, visible_units
from .access import restrict

bp = Blueprint("incidents", __name__)

# A form posts at most werkzeug's max_form_parts (1,000) fields: a bigger group is retried a part at a time.
RETRY_AT_ONCE = 900


def _sees_units(user) -> bool:
    units = visible_units(user)
    return units is None or bool(units)


restrict(bp, _sees_units, "incidents")


@bp.app_context_processor
def incident_link():
    """The navigation bar's link, for department staff, with how many instances wait for repair (one count). The
    inbox and the task pages, where people work through their tasks, show the link without the count: they are
    kept to their few statements (tests/web/test_inbox_statements.py)."""
    def incident_badge():
        if not current_user.is_authenticated or visible_units(current_user) is not None:
            return None
        if (request.endpoint or "").startswith(("inbox.", "tasks.")):
            return 0
        return engine.incident_count(current_user)
    return {"incident_badge": incident_badge}


@bp.route("/incidents")
def index():
    views = current_app.view_functions
    return render_template("incidents.html", groups=engine.incidents(current_user),
                           may_repair=may_repair(current_user), retry_at_once=RETRY_AT_ONCE,
                           batches="batches.preview" in views, instance_list="instances.index" in views)
