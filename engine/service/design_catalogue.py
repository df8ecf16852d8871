"""What the modeller offers a designer to choose from instead of typing (issue 14 §1, §6): the forms of forms/ and
of the process itself (deployed with it or drafted for it), and the roles of processes/roles.json, each with the
title people know it by."""
import forms

from .. import roles
from ..bpmn.bundle_forms import form_file_parts
from ..errors import NotFound
from .design_deploy import form_drafts
from .versions import version_files


def design_catalogue(bpmn_id: str | None = None) -> dict:
    """{forms: [{key, title, own}], roles: [{code, title}]}; `own`: the process's form, deployed with it or
    drafted. A form whose file cannot be read is offered by its key, so that the list still opens (the deploy
    check names the broken file)."""
    titles = {}
    for key in forms.registry_keys():
        try:
            titles[key] = (forms.load(key).title, False)
        except forms.FormDefinitionError:
            titles[key] = ("", False)
    if bpmn_id is not None:
        titles.update(_own_forms(bpmn_id))
    return {"forms": [{"key": key, "title": title or key, "own": own} for key, (title, own) in sorted(titles.items())],
            "roles": [{"code": role.code, "title": role.title} for role in roles.catalogue().values()]}


def _own_forms(bpmn_id: str) -> dict:
    own = {}
    try:
        files = version_files(bpmn_id).files
    except NotFound:
        files = []
    for name, content in files:
        key = form_file_parts(name)
        if key is not None:
            own[key] = (_title(forms.read_json(content.encode("utf-8"), name)), True)
    for draft in form_drafts(bpmn_id):
        own[draft.form_key] = (_title(draft.definition), True)
    return own


def _title(raw) -> str:
    title = raw.get("title") if isinstance(raw, dict) else None
    return title if isinstance(title, str) else ""
