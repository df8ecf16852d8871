"""The form editor of the process designer (issue 14 §6): a form of a process edited field by field, its draft saved
with the process (engine.save_form_design: versioned with the process, refused with the reason when the change
would break what a flow reads), and a live preview rendered by the inbox's own path (forms.bind_initial and
macros/form.html), so the designer sees exactly what the task page will show; the page never renders a form itself.

Pages get their data in a <script type="application/json"> (no inline script under the CSP); JSON posts carry the
CSRF token in the X-CSRFToken header, as the modeller's do.
"""
from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import NotFound as NoSuchPage

import engine
import forms
from engine.errors import ConflictError, InvalidData
from .designer import bp, posted_json
from .filters import local, ru_date

# The field types a designer chooses from, in forms.definition.FIELD_TYPES' terms, in the order a form uses them.
FIELD_TYPE_NAMES = {
    "string": _l("String"), "text": _l("Text"), "email": _l("Email"), "integer": _l("Whole number"),
    "decimal": _l("Decimal number"), "date": _l("Date"), "boolean": _l("Yes/no"), "choice": _l("Single choice"),
    "multichoice": _l("Multiple choice"), "file": _l("File"), "group": _l("Group"), "rows": _l("Table rows"),
    "units": _l("Organisations"),
}


def _form_key(key: str) -> str:
    """A form's key names its file in forms/definitions: an identifier, never a path."""
    if not forms.valid_key(key):
        raise NoSuchPage()
    return key


@bp.route("/<bpmn_id>/forms/<key>/edit")
def form_editor(bpmn_id, key):
    design = engine.open_form_design(bpmn_id, _form_key(key))
    data = {
        "definition": design.definition, "revision": design.revision, "csrf_token": generate_csrf(),
        "save_url": url_for("designer.form_editor_save", bpmn_id=bpmn_id, key=key),
        "preview_url": url_for("designer.form_editor_preview", bpmn_id=bpmn_id, key=key),
        "types": [{"value": value, "label": str(label)} for value, label in FIELD_TYPE_NAMES.items()],
        "messages": _page_messages(),
    }
    return render_template("designer_form_editor.html", design=design, data=data, origin=_origin(design),
                           process_name=design.process_name,
                           problems=[str(p) for p in design.problems])


@bp.route("/<bpmn_id>/forms/<key>/preview", methods=["POST"])
def form_editor_preview(bpmn_id, key):
    """The posted definition as the task page would show it (an HTML fragment), or why it is not a form (422)."""
    _form_key(key)
    definition = posted_json().get("definition")
    if not isinstance(definition, dict):
        return jsonify(errors=[_("The page sent no form definition.")]), 400
    try:
        parsed = engine.preview_form(definition)
    except InvalidData as exc:
        return jsonify(errors=_messages(exc)), 422
    return render_template("_form_editor_preview.html", definition=parsed, form=forms.bind_initial(parsed, {}))


@bp.route("/<bpmn_id>/forms/<key>/edit", methods=["POST"])
def form_editor_save(bpmn_id, key):
    """The form's draft, as JSON {definition, revision}: 409 when someone saved it since `revision`, 422 when it
    is not a form; saved, with what would keep the process from being deployed (problems) as a warning."""
    _form_key(key)
    posted = posted_json()
    definition, revision = posted.get("definition"), posted.get("revision")
    if not isinstance(definition, dict) or not isinstance(revision, int) or isinstance(revision, bool):
        return jsonify(errors=[_("The page sent no form definition.")]), 400
    try:
        design = engine.save_form_design(bpmn_id, key, definition, current_user.login, revision)
    except ConflictError as exc:
        return jsonify(error=str(exc)), 409
    except InvalidData as exc:
        return jsonify(errors=_messages(exc)), 422
    return jsonify(revision=design.revision, saved=_saved(design), problems=[str(p) for p in design.problems])


@bp.route("/<bpmn_id>/forms/<key>/discard", methods=["POST"])
def form_editor_discard(bpmn_id, key):
    """The form's draft dropped: the editor opens again on what is deployed (or on an empty new form)."""
    engine.discard_form_design(bpmn_id, _form_key(key), current_user.login)
    flash(_("The changes to the form were discarded."), "success")
    return redirect(url_for("designer.form_editor", bpmn_id=bpmn_id, key=key))


def _origin(design) -> str:
    """Where the definition the editor opened comes from, in the designer's words."""
    if design.source == "draft":
        return _saved(design)
    return {"version": _("As in the deployed version of the process; no changes yet."),
            "catalogue": _("As in the forms catalogue; no changes yet."),
            "new": _("A new form: nothing is saved yet.")}.get(design.source, "")


def _saved(design) -> str:
    when = local(design.saved_at)
    if when is None:
        return _("Saved.")
    return _("Saved on %(date)s at %(time)s by %(who)s.", date=ru_date(when), time=when.strftime("%H:%M"),
             who=design.saved_by_name or "—")


def _messages(exc: InvalidData) -> list[str]:
    return [str(text) for texts in exc.field_errors.values() for text in texts]


def _page_messages() -> dict:
    return {
        "unsaved": _("There are unsaved changes."), "saving": _("Saving…"),
        "failed": _("The form was not saved: the server did not answer. Try again."),
        "not_saved": _("The form was not saved:"), "blocked": _("It cannot be deployed like this:"),
        "preview_failed": _("The preview could not be shown: the server did not answer."),
        "preview_errors": _("This is not a form yet:"), "bad_json": _("The JSON could not be read:"),
        "no_nested": _("No fields inside yet."), "template": _("Its fields come from the template «{name}»; "
                                                                     "change them in the JSON below."),
    }
