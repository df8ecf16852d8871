"""A new process from one of the plan's patterns (issue 14 §9): the form on the designer's list posts here; the
new process's first draft opens in the modeller, or the list comes back with what to correct."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import engine
from engine.errors import ConflictError, InvalidData
from .designer import bp, listing


@bp.route("/new", methods=["POST"])
def new():
    form = {key: request.form.get(key, "") for key in ("bpmn_id", "name", "pattern")}
    try:
        engine.new_design(form["bpmn_id"], form["name"], form["pattern"], current_user.login)
    except InvalidData as exc:
        flash(_("The process was not created: correct the highlighted fields."), "error")
        return listing(form, exc.field_errors), 422
    except ConflictError as exc:
        flash(exc.message, "error")
        return listing(form, {}), 409
    flash(_("The process is created as a draft. Deploy it when it is ready."), "success")
    return redirect(url_for("designer.edit", bpmn_id=form["bpmn_id"].strip()))
