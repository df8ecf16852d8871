"""A form of forms/ as the person doing the task will see it (issue 14 §1, §6): the modeller's form field links
here. Rendered by the inbox's own path (forms.bind_initial / bind_post, macros/form.html), so what a designer sees
is what the task page shows; a post checks the filled-in form by the same rules and stores nothing."""
from flask import flash, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import NotFound

import forms
from .designer import bp


@bp.route("/forms/<key>", methods=["GET", "POST"])
def form_preview(key):
    if key not in forms.registry_keys():
        raise NotFound()
    try:
        definition = forms.load(key)
    except forms.FormDefinitionError as exc:
        return render_template("designer_form.html", key=key, definition=None, form=None, errors={},
                               broken=str(exc)), 422
    errors = {}
    if request.method == "POST":
        form = forms.bind_post(definition, CombinedMultiDict([request.form, request.files]), {})
        if form.validate():
            flash(_("The form is filled in correctly: the task would accept it."), "success")
        else:
            errors = forms.field_errors(form)
            flash(_("Please correct the highlighted fields."), "error")
    else:
        form = forms.bind_initial(definition, {})
    return render_template("designer_form.html", key=key, definition=definition, form=form, errors=errors,
                           broken=None)
