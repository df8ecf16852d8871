"""Following the plan: the activities, one activity's instances by school or PPE (and launching it) and its
versions with their files, and one instance with its tasks and audit trail."""
import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import CombinedMultiDict

import engine
import forms
from engine import clock
from engine.access import is_admin, is_city_staff, launch_form, launch_units, may_repair, memberships, refuse
from engine.errors import EngineError, InvalidState
from engine.directory import natural_key
from engine.plan import item_to_join
from engine import activities, activity_page, instance_page, instance_table_export, startable_spec
from . import exports

bp = Blueprint("monitor", __name__)


@bp.route("/activities")
@login_required
def index():
    return render_template("activities.html", activities=activities(current_user))


@bp.route("/activities/<bpmn_id>", methods=["GET", "POST"])
@login_required
def activity(bpmn_id):
    held = memberships(current_user)
    definition = _launch_definition(bpmn_id, held)
    launch = None
    if request.method == "POST":
        if definition is None:
            abort(404)
        launch = _launch(bpmn_id, definition, held)
        if launch is None:  # all started: the redirect shows the page, so its instances are not read here
            return redirect(url_for("monitor.activity", bpmn_id=bpmn_id))
    elif definition is not None:
        launch = definition, _unit_choices(definition, forms.bind_initial(definition, {}), held)
    page = activity_page(bpmn_id, current_user, problems_only=bool(request.args.get("problems")))
    # The versions (who deployed what, the city's instances on each) are the department's, as the plan is.
    versions = engine.process_versions(bpmn_id) if _department(held) else None
    # Moving the running instances of an older version to a newer one is an operator's batch (webui.batches).
    migrate = versions is not None and may_repair(current_user, held)
    return render_template("activity.html", page=page, launch=launch, now=clock.now(), versions=versions,
                           migrate=migrate)


def _department(held) -> bool:
    return is_city_staff(current_user, held) or is_admin(current_user, held)


@bp.route("/activities/<bpmn_id>/versions/<int:version>/<filename>")
@login_required
def version_file(bpmn_id, version, filename):
    """A version's BPMN file as it was deployed, to download: department staff only (refusal audited)."""
    if not _department(memberships(current_user)):
        refuse(current_user, f"version file {bpmn_id} {version} {filename}")
    content = engine.version_file(version, filename, bpmn_id=bpmn_id)
    return send_file(io.BytesIO(content.encode("utf-8")), mimetype="application/xml", as_attachment=True,
                     download_name=filename)


def _launch_definition(bpmn_id, held):
    """The start form's definition, if the process has one and the user may start it by hand."""
    startable = startable_spec(bpmn_id)
    key = launch_form(current_user, startable.spec, held)
    return startable.form(key) if key is not None else None


def _unit_choices(definition, form, held):
    """The units a start form offers (engine.access.launch_units), in the natural order of their names. The
    choices also validate the post, so another unit's code is refused."""
    for field in definition.fields:
        if field.type == "units":
            units = launch_units(current_user, field.unit_kind, held)
            form[field.name].choices = sorted(((u.code, u.name) for u in units), key=lambda c: natural_key(c[1]))
    return form


def _launch(bpmn_id, definition, held):
    """Start one instance per chosen unit. Returns None when all started, else (definition, form) to show."""
    form = _unit_choices(definition, forms.bind_post(definition, CombinedMultiDict([request.form, request.files]),
                                                     {}), held)
    if not form.validate():
        flash(_("Please correct the highlighted fields."), "error")
        return definition, form
    data = forms.form_data(definition, form)
    unit_field = next((f.name for f in definition.fields if f.type == "units"), None)
    units = data.pop(unit_field) if unit_field else [None]
    started, failed = [], []
    names = dict(form[unit_field].choices) if unit_field else {}
    for unit in units:
        try:  # a unit's run of a plan item's process counts as the item's (engine.plan.item_to_join)
            started.append(engine.start(bpmn_id, data, unit=unit, actor=current_user.login,
                                        plan_item_id=item_to_join(bpmn_id, unit)).instance_id)
        except EngineError as exc:
            failed.append(f"{names.get(unit, unit)}: {exc.message}")
    if started:
        flash(_("Started: %(count)s.", count=len(started)), "success")
    for problem in failed:
        flash(problem, "error")
    return None if not failed else (definition, form)


@bp.route("/activities/<bpmn_id>/diagram")
@login_required
def diagram(bpmn_id):
    """The process drawn by bpmn-js with the counts of its instances on each element (static/diagram.js)."""
    args = request.args
    query = engine.DiagramQuery(version=args.get("version", type=int), unit=args.get("unit") or None,
                                plan_item_id=args.get("plan_item", type=int),
                                since=args.get("since", type=_day), until=args.get("until", type=_day))
    page = engine.process_diagram(bpmn_id, current_user, query)
    return render_template("diagram.html", page=page, query=query, element=args.get("element") or None)


@bp.route("/instances/<int:instance_id>/diagram")
@login_required
def instance_diagram(instance_id):
    """One instance on its version's diagram: the path taken, where it stands, its tasks (static/diagram.js)."""
    return render_template("instance_diagram.html", page=engine.instance_diagram(instance_id, current_user))


def _day(text: str) -> date:
    return date.fromisoformat(text)  # a malformed date is ignored (request.args' type= catches ValueError)


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id):
    engine.readable_instance(instance_id, current_user)  # 404 as for a missing one when she may not see it
    # The repairs (webui.repair): an operator's or an administrator's; a deadline moved by department staff too.
    repair = may_repair(current_user)
    return render_template("instance.html", page=instance_page(instance_id, current_user), now=clock.now(),
                           repair=repair, move_due=repair or is_city_staff(current_user))


@bp.route("/instances/<int:instance_id>/exports/<name>.xlsx")
@login_required
def table_export(instance_id, name):
    """A table the process offers (its data key `exports`), as the .xlsx people send on."""
    try:
        table = instance_table_export(instance_id, name, current_user)
    except InvalidState as exc:
        flash(exc.message, "info")
        return redirect(url_for("monitor.instance", instance_id=instance_id))
    stream = exports.table_workbook(table.title, table.columns, [(row, False) for row in table.rows], wide=0)
    return send_file(stream, as_attachment=True, download_name=f"{name}-{instance_id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
