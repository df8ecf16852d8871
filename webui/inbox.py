"""The inbox: tabs (mine / my group's / all available), filters, sorting, paging, saved filters shared with a
unit or the department, and the current list as Excel. The rules come from engine.inbox."""
from flask import Blueprint, render_template, request, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

import engine
from engine import InboxQuery, clock
from engine.access import memberships
from engine.db import db
from engine.models import DeployedProcess
from . import exports
from .saved_filters import add_saved_filter_routes

bp = Blueprint("inbox", __name__)
EXPORT_LIMIT = 10_000


@bp.route("/")
@login_required
def index():
    query = InboxQuery.from_params(request.args)
    held = memberships(current_user)  # read once, for everything on the page that depends on them
    # two statements: the list with its total and the tabs' counts, and everything beside the list
    page = engine.inbox(current_user, query, held, with_counts=True)
    aside = engine.inbox_aside(current_user, held)
    return render_template("inbox.html", page=page, query=query, counts=page.counts, notes=aside.notes,
                           now=clock.now(), saved=aside.saved,
                           facets={"processes": aside.processes, "units": aside.units},
                           share_units=_share_units(held))


def _process_names() -> dict[str, str]:
    """{process id: the name of its latest version}: activities as people call them."""
    return {bpmn_id: name or bpmn_id for bpmn_id, name in db.session.execute(
        select(DeployedProcess.bpmn_id, DeployedProcess.name).where(DeployedProcess.kind == "process")
        .order_by(DeployedProcess.deployment_id))}


def _share_units(held):
    return sorted({h.unit for h in held if h.unit and h.deputy_for is None})


@bp.route("/inbox.xlsx")
@login_required
def export():
    """The list as it is filtered now (all pages, up to EXPORT_LIMIT rows), as an Excel workbook."""
    query = InboxQuery.from_params(request.args)
    query.page, query.per_page = 1, EXPORT_LIMIT
    page = engine.inbox(current_user, query)
    stream = exports.inbox_workbook(page, _process_names(), clock.now())
    return send_file(stream, as_attachment=True, download_name=f"zadachi-{clock.now():%Y-%m-%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


add_saved_filter_routes(bp, InboxQuery, "inbox.index", page="inbox")
