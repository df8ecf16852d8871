"""What changed in the forms of a process between two versions, or between a version and the drafts (issue 14 §4,
§6): the diff page lists it under the diagrams, since a form deployed with the process is part of its version."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

import forms
from ..bpmn.bundle_forms import form_file_parts
from .design_deploy import form_drafts
from .versions import version_files

FORM_PROPERTIES = {"title": _l("Title"), "description": _l("Description"), "variable": _l("Stored under"),
                   "submit_label": _l("Submit button")}
FIELD_PROPERTIES = {
    "type": _l("Type"), "label": _l("Label"), "required": _l("Required"), "help": _l("Help"), "min": _l("Minimum"),
    "max": _l("Maximum"), "min_length": _l("Minimum length"), "max_length": _l("Maximum length"),
    "choices": _l("Choices"), "accept": _l("Accepted file types"), "readonly": _l("Read only"),
    "required_if": _l("Required when"), "only_if": _l("Kept only when"), "rows_from": _l("Rows from"),
    "default": _l("Default value"),
}


@dataclass
class FormChange:
    form: str  # the form's title (its key when it has none)
    field: str | None  # the field's label and name; None for the form itself
    kind: str  # "added", "removed" or "changed"
    prop: str | None = None  # the property's Russian name, for "changed"
    old: str = ""
    new: str = ""


def version_forms(bpmn_id: str, version: int) -> dict:
    """{key: JSON} of the forms deployed with version `version` of `bpmn_id`."""
    found = {}
    for name, content in version_files(bpmn_id, version).files:
        key = form_file_parts(name)
        if key is not None:
            found[key] = forms.read_json(content.encode("utf-8"), name)
    return found


def drafted_forms(bpmn_id: str, version: int) -> dict:
    """The forms the process's next version would be deployed with: version `version`'s, with the drafts over."""
    return {**version_forms(bpmn_id, version), **{d.form_key: d.definition for d in form_drafts(bpmn_id)}}


def form_changes(old: dict, new: dict) -> list[FormChange]:
    """The changes from the forms `old` to `new` ({key: JSON}); a form on one side only is compared with the
    catalogue's, which is what that side's tasks use."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key) or _catalogue(key), new.get(key) or _catalogue(key)
        if before == after:
            continue
        title = str((after or before or {}).get("title") or key)
        if before is None or after is None:
            changes.append(FormChange(title, None, "added" if before is None else "removed"))
            continue
        changes += _property_changes(title, None, before, after, FORM_PROPERTIES)
        changes += _field_changes(title, "", before.get("fields") or [], after.get("fields") or [])
    return changes


def _field_changes(title: str, prefix: str, before: list, after: list) -> list[FormChange]:
    old = {f.get("name"): f for f in before if isinstance(f, dict)}
    new = {f.get("name"): f for f in after if isinstance(f, dict)}
    changes = []
    for name in [*old, *(n for n in new if n not in old)]:
        was, now = old.get(name), new.get(name)
        field = f"{(now or was).get('label') or name} ({prefix}{name})"
        if was is None or now is None:
            changes.append(FormChange(title, field, "added" if was is None else "removed"))
            continue
        changes += _property_changes(title, field, was, now, FIELD_PROPERTIES)
        if isinstance(was.get("fields"), list) or isinstance(now.get("fields"), list):
            changes += _field_changes(title, f"{prefix}{name}.", _list(was.get("fields")), _list(now.get("fields")))
    return changes


def _property_changes(title: str, field: str | None, was: dict, now: dict, properties: dict) -> list[FormChange]:
    return [FormChange(title, field, "changed", str(words), _shown(was.get(prop)), _shown(now.get(prop)))
            for prop, words in properties.items() if was.get(prop) != now.get(prop)]


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        return "; ".join(" — ".join(map(str, v)) if isinstance(v, list) else str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _catalogue(key: str) -> dict | None:
    try:
        return forms.load_raw(key)
    except forms.FormDefinitionError:
        return None
