"""The process designer's modeller (issue 14 §1, §7): the deployed processes with their drafts, and each one in
bpmn-js's Modeler (static/vendor/designer.js, built from webui/frontend/designer.js) with drafts saved here.

Designers and administrators only (engine.access.rules.may_design); everyone else gets 403, audited. The page
gets its data in a <script type="application/json">: the Content-Security-Policy allows no inline script.
"""
from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

import engine
from engine.access import may_design
from engine.errors import ConflictError, EngineError, InvalidData, NotFound
from .access import restrict
from .filters import ru_datetime

bp = Blueprint("designer", __name__, url_prefix="/designer")

restrict(bp, may_design, "designer", link="is_designer")


@bp.route("")
def index():
    return render_template("designer_list.html", rows=engine.design_list())


@bp.route("/<bpmn_id>")
def edit(bpmn_id):
    design = engine.open_design(bpmn_id)
    data = {
        "bpmn_id": bpmn_id, "xml": design.xml, "revision": design.revision,
        "save_url": url_for("designer.save", bpmn_id=bpmn_id), "filename": f"{bpmn_id}.bpmn",
        "csrf_token": generate_csrf(),
        "messages": {"unsaved": _("There are unsaved changes."),
                     "failed": _("The draft was not saved: the server did not answer. Try again."),
                     "unreadable": _("The diagram could not be opened:")},
    }
    return render_template("designer_edit.html", design=design, data=data,
                           saved_by=_saved_by(design) if design.revision else None)


@bp.route("/<bpmn_id>/draft", methods=["POST"])
def save(bpmn_id):
    """The modeller's draft, as JSON {xml, revision}; CSRF in the X-CSRFToken header. 409 when someone saved
    since `revision`, with the message to show."""
    posted = request.get_json(silent=True)
    posted = posted if isinstance(posted, dict) else {}
    revision = posted.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        return jsonify(message=_("The draft was not saved: the page sent no revision.")), 400
    try:
        design = engine.save_design(bpmn_id, posted.get("xml"), current_user.login, revision)
    except EngineError as exc:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, ConflictError) else 422
        message = " ".join(exc.problems()) if isinstance(exc, InvalidData) else exc.message
        return jsonify(message=_("The draft was not saved: %(reason)s", reason=message)), status
    return jsonify(revision=design.revision, saved_at=design.saved_at.isoformat(),
                   message=_("Draft saved at %(time)s.", time=ru_datetime(design.saved_at)))


def _saved_by(design) -> str:
    return _("Draft of %(when)s, saved by %(who)s.", when=ru_datetime(design.saved_at), who=design.saved_by_name)
