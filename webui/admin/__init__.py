"""Administration of the directory: organisation units, users and their roles, and the Excel import.

Only administrators (engine.assignment.is_admin) get in; anyone else is refused with 403 and the attempt is written
to the audit trail. Every change goes through engine.service.directory* (one transaction each, audited).
"""
from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from engine.assignment import is_admin
from engine.service.directory_edit import refuse

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def only_administrators():
    if not current_user.is_authenticated:
        from webui.auth import login_manager
        return login_manager.unauthorized()
    if not is_admin(current_user):
        refuse(current_user, f"admin {request.method} {request.path}")
    return None


@bp.app_context_processor
def admin_link():
    """`is_admin_user()` for the navigation bar (asked only when a page renders it)."""
    return {"is_admin_user": lambda: current_user.is_authenticated and is_admin(current_user)}


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


from . import imports, units, users  # noqa: E402,F401  (their routes join the blueprint)
