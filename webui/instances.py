"""The instance list: every instance a person may see, across processes or of one, filtered, sorted and paged on
the server, its filters saved like the inbox's, and the whole filtered list as Excel. The rules come from
engine.instance_list (what matches, who sees what)."""
from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import engine
from engine import InstanceQuery, clock
from engine.access import memberships
from . import exports
from .filters import INSTANCE_STATUS
from .saved_filters import add_saved_filter_routes

bp = Blueprint("instances", __name__)
EXPORT_LIMIT = 20_000
PAGE = "instances"  # the saved filters' list
# The status filter's choices, in the words of issue 13: what each status means to a supervisor.
STATUS_CHOICES = (
    ("running", _l("waiting for a person")), ("waiting", _l("waiting for a timer or a message")),
    ("error", _l("in error")), ("stalled", _l("stalled: nothing ready, nothing awaited")),
    ("suspended", _l("suspended")), ("completed", _l("completed")), ("cancelled", _l("cancelled")),
    ("open", _l("not finished")), ("problems", _l("in error or stalled")),
)


@bp.route("/instances")
@login_required
def index():
    query = InstanceQuery.from_params(request.args)
    held = memberships(current_user)
    page = engine.instance_list(current_user, query)
    return render_template("instances.html", page=page, query=query, now=clock.now(),
                           facets=engine.instance_facets(current_user, query.process),
                           statuses=STATUS_CHOICES, saved=engine.saved_filters(current_user, held, page=PAGE),
                           share_units=sorted({h.unit for h in held if h.unit and h.deputy_for is None}),
                           export_limit=EXPORT_LIMIT)


@bp.route("/instances.xlsx")
@login_required
def export():
    """Every instance the filter finds (not only the page shown), up to EXPORT_LIMIT rows, as an Excel workbook."""
    query = InstanceQuery.from_params(request.args)
    found = engine.matching_rows(current_user, query, EXPORT_LIMIT)
    stream = _workbook(found)
    return send_file(stream, as_attachment=True, download_name=f"ekzemplyary-{clock.now():%Y-%m-%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _workbook(found):
    """The rows as the page shows them, in the list's order; a last line says when the list was cut."""
    headers = [_("No."), _("Activity"), _("Plan item"), _("Version"), _("Unit"), _("Status"), _("Status text"), _("Started"),
               _("Updated"), _("Finished"), _("Open tasks"), _("Error"), _("Late, days"), _("Handed in")]
    rows = []
    for row in found.rows:
        i = row.instance
        rows.append(([i.id, i.process_name or i.process_id, row.plan_item, i.deployment_id, row.unit_name or i.unit_code,
                      str(INSTANCE_STATUS.get(i.status, i.status)), i.status_text, i.created_at, i.updated_at,
                      i.completed_at, row.open_tasks, i.error, i.late_days, i.submitted_on],
                     i.status in ("error", "stalled")))
    if found.total > len(found.rows):
        rows.append(([_("Only the first %(shown)s of %(total)s instances are exported: narrow the filter.",
                        shown=len(found.rows), total=found.total)], False))
    return exports.table_workbook(_("Instance list"), headers, rows, wide=0)


add_saved_filter_routes(bp, InstanceQuery, "instances.index", page=PAGE, prefix="/instances")
