"""Administration of the directory: organisation units, users and their roles, and the Excel import.

Only administrators (engine.access.is_admin) get in; anyone else is refused with 403 and the attempt is written
to the audit trail. Every change goes through engine.directory (one transaction each, audited).
"""
from flask import Blueprint, redirect, url_for
from flask_babel import lazy_gettext as _l

from engine.access import is_admin
from ..access import restrict

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict(bp, is_admin, "admin", message=_l("This page is for administrators only."), link="is_admin_user")


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


from . import imports, units, users  # noqa: E402,F401  (their routes join the blueprint)
