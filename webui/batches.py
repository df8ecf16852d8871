"""Batch actions on the instances a filter found (issue 13 §4): a preview of how many and which, the reason and the
parameters, a confirmation; then the job runs on a worker and its page follows it (batch.js polls the JSON) up to
the report of what was done and what was refused and why, also as Excel. Operators and administrators only (403,
audited, for anyone else)."""
import re

from flask import Blueprint, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

import engine
from engine import clock
from engine.access import MAX_ID, may_repair
from engine.errors import EngineError
from . import exports
from .access import restrict
from .errors import flash_error
from .filters import INSTANCE_STATUS

bp = Blueprint("batches", __name__)

restrict(bp, may_repair, "batches", message=_l("Only an operator or an administrator may run batch actions."),
         link="may_run_batches")


@bp.app_context_processor
def batch_choices():
    """For the instance list's form «Action on the instances found» (instances.html)."""
    return {"batch_actions": engine.BATCH_ACTIONS, "batch_title": engine.batch_action_title}


PARAM_FIELDS = ("assignee", "days", "due")  # what reassign and move_due take (engine.service.batch_actions)
# migrate's {"version": N}, posted as `to_version`: `version` is the instance list's filter (the instances' own).
RENAMED_PARAMS = {"to_version": "version"}


def _selection():
    """(instance ids, the filter as the list's parameters or None) from the posted form: repeated `instance`
    fields (an incident group, a selection), or else the instance list's filter, read again now."""
    explicit = [int(value) for value in request.form.getlist("instance") if value.strip().isdigit()]
    if explicit or request.form.get("source") == "ids":
        return [value for value in explicit if 0 < value <= MAX_ID], None
    query = engine.InstanceQuery.from_params(request.form)
    return engine.matching_ids(current_user, query), query.params()


def _params() -> dict:
    params = {name: request.form[name].strip() for name in PARAM_FIELDS if request.form.get(name, "").strip()}
    params.update({name: request.form[field].strip() for field, name in RENAMED_PARAMS.items()
                   if request.form.get(field, "").strip()})
    return params


_ELEMENT_ID = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


@bp.app_template_filter("element_ids_as_code")
def element_ids_as_code(text: str | None) -> Markup:
    """A refusal's text with the element ids it names (fill_report) set as <code>: a person reads the words, the
    designer finds the element by its id."""
    escaped = str(escape(text or ""))
    return Markup(_ELEMENT_ID.sub(lambda m: f"<code>{m.group(0)}</code>", escaped))


def _preview_page(preview, query, reason="", status=200):
    return render_template("batch_preview.html", preview=preview, query=query, reason=reason,
                           actions=[(name, engine.batch_action_title(name)) for name in engine.BATCH_ACTIONS]), status


@bp.route("/batches/preview", methods=["POST"])
def preview():
    ids, query = _selection()
    action = request.form.get("action", "retry")
    try:
        found = engine.preview_batch(current_user, action, ids, _params())
    except EngineError as exc:
        flash_error(exc)
        return redirect(url_for("batches.index"))
    return _preview_page(found, query)


@bp.route("/batches", methods=["POST"])
def create():
    ids, query = _selection()
    action, reason = request.form.get("action", ""), request.form.get("reason", "")
    try:
        job_id = engine.create_batch(current_user, action, _params(), reason, ids, query)
    except EngineError as exc:
        flash_error(exc)
        try:
            found = engine.preview_batch(current_user, action if action in engine.BATCH_ACTIONS else "retry", ids,
                                         _params())
        except EngineError:  # the parameters themselves are wrong (migrate's version): nothing to preview
            return redirect(url_for("batches.index"))
        return _preview_page(found, query, reason, 422)
    return redirect(url_for("batches.show", job_id=job_id))


@bp.route("/batches")
def index():
    return render_template("batches.html", jobs=engine.recent_batches(current_user),
                           title=engine.batch_action_title)


@bp.route("/batches/<int:job_id>")
def show(job_id):
    page = request.args.get("page", "1")
    report = engine.batch_report(job_id, current_user, page=int(page) if page.isdigit() else 1)
    return render_template("batch.html", report=report, statuses=INSTANCE_STATUS)


@bp.route("/batches/<int:job_id>.json")
def progress(job_id):
    report = engine.batch_report(job_id, current_user, per_page=1)
    return jsonify(status=report.job.status, finished=report.finished, total=report.job.total, **report.counts)


@bp.route("/batches/<int:job_id>.xlsx")
def export(job_id):
    report = engine.batch_report(job_id, current_user, per_page=1)
    outcome = {"done": _("succeeded"), "refused": _("refused"), None: _("pending")}
    headers = [_("No."), _("Activity"), _("Unit"), _("Status"), _("Outcome"), _("Reason refused"), _("When")]
    rows = [([row.instance_id, row.process, row.unit, str(INSTANCE_STATUS.get(row.status, row.status)),
              outcome[row.outcome], row.message, row.at], row.outcome == "refused")
            for row in engine.batch_rows(job_id, current_user)]
    stream = exports.table_workbook(_("Batch %(id)s", id=report.job.id), headers, rows, wide=0)
    return send_file(stream, as_attachment=True, download_name=f"paket-{job_id}-{clock.now():%Y-%m-%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
