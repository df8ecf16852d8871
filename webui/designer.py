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
from engine import clock
from engine.access import may_design
from engine.bpmn.problems import Problem
from engine.errors import ConflictError, EngineError, InvalidData, NotFound
from .access import restrict
from .designer_words import modeller_words
from .filters import ru_datetime

bp = Blueprint("designer", __name__, url_prefix="/designer")

restrict(bp, may_design, "designer", link="is_designer")


@bp.route("")
def index():
    return listing({}, {})


def listing(new: dict, errors: dict):
    """The designer's list, with the new-process form as typed (empty at first) and what to correct in it."""
    return render_template("designer_list.html", rows=engine.design_list(), patterns=engine.design_patterns(),
                           new=new, errors=errors)


@bp.route("/<bpmn_id>")
def edit(bpmn_id):
    design = engine.open_design(bpmn_id)
    data = {
        "bpmn_id": bpmn_id, "xml": design.xml, "revision": design.revision,
        "save_url": url_for("designer.save", bpmn_id=bpmn_id), "filename": f"{bpmn_id}.bpmn",
        "check_url": url_for("designer.check", bpmn_id=bpmn_id),
        "deploy_url": url_for("designer.deploy", bpmn_id=bpmn_id),
        "csrf_token": generate_csrf(),
        "catalogue": {**engine.design_catalogue(bpmn_id), "now": clock.now().isoformat(),
                      "form_url": url_for("designer.form_preview", key="__KEY__"),
                      "form_edit_url": url_for("designer.form_editor", bpmn_id=bpmn_id, key="__KEY__")},
        "messages": {"unsaved": _("There are unsaved changes."),
                     "failed": _("The draft was not saved: the server did not answer. Try again."),
                     "unreadable": _("The diagram could not be opened:"),
                     "versions": _("Versions of the process")},
        "words": modeller_words(),
    }
    return render_template("designer_edit.html", design=design, data=data,
                           saved_by=_saved_by(design) if design.revision else None)


@bp.route("/<bpmn_id>/draft", methods=["POST"])
def save(bpmn_id):
    """The modeller's draft, as JSON {xml, revision}; CSRF in the X-CSRFToken header. 409 when someone saved
    since `revision`, with the message to show."""
    posted = posted_json()
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


@bp.route("/<bpmn_id>/check", methods=["POST"])
def check(bpmn_id):
    """The diagram posted as JSON {xml} checked as deploy checks it, with its version's other files: {valid,
    problems, message}; nothing is stored. Each problem is Problem.as_dict(): {text, message, file, element,
    element_type, line, code_line}, for a marker on the element."""
    xml = posted_json().get("xml")
    if not isinstance(xml, str) or not xml.strip():
        return jsonify(valid=False, problems=[], message=_("The diagram is empty.")), 422
    found = engine.check_design(bpmn_id, xml)
    return jsonify(valid=found.valid, problems=[p.as_dict() for p in found.problems],
                   message=_("No errors: the diagram can be deployed.") if found.valid
                   else _("Errors that keep the diagram from being deployed: %(count)s.", count=len(found.problems)))


@bp.route("/<bpmn_id>/deploy", methods=["POST"])
def deploy(bpmn_id):
    """The diagram posted as JSON {xml, comment, revision} deployed as the process's next version (201, or 200 when that
    very content is deployed already); refused with its problems (422, as check gives them), storing nothing."""
    posted = posted_json()
    xml, comment = posted.get("xml"), posted.get("comment")
    if not isinstance(xml, str) or not xml.strip() or not isinstance(comment, str | None):
        return jsonify(problems=[], message=_("The diagram is empty.")), 422
    try:
        revision = posted.get("revision")  # the draft the page worked on: deploying supersedes it
        if not isinstance(revision, int) or isinstance(revision, bool):
            revision = None
        result = engine.deploy_design(bpmn_id, xml, current_user.login, comment, revision)
    except engine.InvalidDefinition as exc:
        return jsonify(problems=[p.as_dict() for p in exc.found], message=_("The diagram was not deployed: it "
                                                                            "has errors.")), 422
    except InvalidData as exc:
        return jsonify(problems=[Problem(text).as_dict() for text in exc.problems()],
                       message=_("The diagram was not deployed: %(reason)s", reason=" ".join(exc.problems()))), 422
    message = (_("This diagram is deployed already as version %(version)s.", version=result.version) if result.reused
               else _("Deployed as version %(version)s.", version=result.version))
    return jsonify(version=result.version, reused=result.reused, message=message,
                   versions_url=url_for("monitor.activity", bpmn_id=bpmn_id) + "#versions"), \
        200 if result.reused else 201


def posted_json() -> dict:
    """The JSON object a page posted ({} for anything else)."""
    posted = request.get_json(silent=True)
    return posted if isinstance(posted, dict) else {}


def _saved_by(design) -> str:
    return _("Draft of %(when)s, saved by %(who)s.", when=ru_datetime(design.saved_at), who=design.saved_by_name)
