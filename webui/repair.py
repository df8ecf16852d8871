"""Repairing one instance from its page (issue 13 §6): an operator's (or administrator's) retry, suspend, resume,
cancel, data edit of a suspended instance, skip of a waiting task, return to an earlier task; and a task's new
deadline, which department staff may set too. Each asks for a reason, which the audit trail keeps.

An instance she may not see is answered 404 first (as its page is), an action she may not take 403, both audited
(engine.access)."""
import json
from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import engine
from engine.access import is_city_staff, may_repair, refuse
from engine.errors import EngineError
from .errors import flash_error

bp = Blueprint("repair", __name__)


@bp.route("/instances/<int:instance_id>/<any(retry, cancel, suspend, resume):action>", methods=["POST"])
@login_required
def operate(instance_id, action):
    """Apply the failed step again (with corrected data), cancel, suspend or resume the instance."""
    _may_repair(instance_id, f"instance {action}")

    def act():
        reason = engine.reason_of(request.form.get("reason"))  # required here as for every repair from this page
        if action == "retry":
            engine.retry(instance_id, current_user.login, _json_object(request.form.get("corrections", "")),
                         reason=reason)
            return _("The step was applied again.")
        getattr(engine, action)(instance_id, current_user.login, reason=reason)
        return {"cancel": _("The instance was cancelled."), "suspend": _("The instance was suspended."),
                "resume": _("The instance was resumed.")}[action]
    return _done(instance_id, act)


@bp.route("/instances/<int:instance_id>/data", methods=["POST"])
@login_required
def edit_data(instance_id):
    """New values for a suspended instance's variables (a JSON object)."""
    _may_repair(instance_id, "instance edit_data")

    def act():
        values = _json_object(request.form.get("values", "")) or {}
        engine.edit_data(instance_id, values, current_user.login, request.form.get("reason"))
        return _("The data was changed; the instance is still suspended.")
    return _done(instance_id, act)


@bp.route("/instances/<int:instance_id>/tasks/<task_id>/<any(skip, back):action>", methods=["POST"])
@login_required
def task_repair(instance_id, task_id, action):
    """Skip a waiting task, or go back to an earlier one."""
    verb = "skip" if action == "skip" else "go_back"
    _may_repair(instance_id, f"instance {verb}")

    def act():
        if verb == "skip":
            engine.skip_task(instance_id, task_id, current_user.login, request.form.get("reason"))
            return _("The task was skipped.")
        engine.go_back(instance_id, task_id, current_user.login, request.form.get("reason"))
        return _("The process went back to the task.")
    return _done(instance_id, act)


@bp.route("/instances/<int:instance_id>/tasks/<task_id>/due", methods=["POST"])
@login_required
def move_due(instance_id, task_id):
    """A task's new deadline: department staff or an operator."""
    engine.readable_instance(instance_id, current_user, "task move_due")  # 404 when she may not see it
    if not (is_city_staff(current_user) or may_repair(current_user)):
        refuse(current_user, "task move_due", instance_id=instance_id)

    def act():
        try:
            due = date.fromisoformat(request.form.get("due", ""))
        except ValueError:
            raise ValueError(_("Give the new deadline as a date.")) from None
        engine.move_task_due(task_id, due, current_user.login, request.form.get("reason"), instance_id=instance_id)
        return _("The deadline was moved; those the task is offered to were told.")
    return _done(instance_id, act)


def _may_repair(instance_id: int, what: str) -> None:
    """404 (audited) for an instance she may not see, 403 (audited) when she may see it but not repair it."""
    engine.readable_instance(instance_id, current_user, what)
    if not may_repair(current_user):
        refuse(current_user, what, instance_id=instance_id)


def _done(instance_id: int, act):
    """Run `act()` (it returns the message of success) and go back to the instance's page with the outcome."""
    try:
        flash(act(), "success")
    except EngineError as exc:
        flash_error(exc)
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(url_for("monitor.instance", instance_id=instance_id))


def _json_object(text: str) -> dict | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(_("The corrections are not valid JSON: %(error)s", error=exc)) from None
    if not isinstance(value, dict):
        raise ValueError(_("The corrections must be a JSON object, e.g. {\"variable\": 1}."))
    return value
