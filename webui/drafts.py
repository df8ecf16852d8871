"""Drafts on the task page: the form is saved as its author types (static/drafts.js posts it here every few
seconds and when she leaves the page) and shown again, filled in, when she comes back, from any device.

The saving endpoint answers JSON for the script; the page binds the draft server-side through the same form
binding as a posted form, so the restored form needs no script at all.
"""
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

import engine
import forms
from engine.errors import EngineError, InvalidData, NotFound, PermissionDenied
from forms.drafts import bind_draft, has_files, posted_draft
from .filters import local

bp = Blueprint("drafts", __name__)


@bp.route("/tasks/<task_id>/draft", methods=["POST"])
@login_required
def save(task_id):
    """Keep what the browser sends (the task form's fields, form-encoded as the form posts them) as the current
    user's draft. CSRF: the X-CSRFToken header, or the form's own csrf_token field (navigator.sendBeacon)."""
    try:
        task = engine.readable_task(task_id, current_user)
        definition = engine.task_form(task)
        data = posted_draft(definition, request.form) if definition is not None else {}
        draft = engine.save_draft(task.id, current_user, data)
    except EngineError as exc:
        return _refused(exc)
    time = local(draft.updated_at).strftime("%H:%M")
    return jsonify(saved_at=draft.updated_at.isoformat(), message=_("Draft saved at %(time)s.", time=time))


def draft_of_page(page, definition):
    """The current user's draft of the task shown, when she may act on it and it has a form; else None."""
    if definition is None or not page.may_act:
        return None
    return engine.draft_for(page.task.id, current_user)


def bind_form(definition, page, draft):
    """The task form to show first: the user's draft when she has one, else what the task starts with."""
    if draft is not None:
        return bind_draft(definition, draft.data, page.data)
    return forms.bind_initial(definition, page.data)


@bp.app_template_global("draft_has_files")
def draft_has_files(definition) -> bool:
    return definition is not None and has_files(definition)


def _refused(exc: EngineError):
    status = (404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied)
              else 422 if isinstance(exc, InvalidData) else 409)
    message = " ".join(str(m) for messages in exc.field_errors.values() for m in messages) \
        if isinstance(exc, InvalidData) else exc.message
    return jsonify(error=message, message=_("The draft was not saved: %(reason)s", reason=message)), status
