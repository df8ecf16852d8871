"""Drafts of a form: what a person has typed and not submitted yet, kept as the form's data (the shape `complete`
takes) with each value as typed, so that half-written input is shown again exactly as it was left.

Files are not drafted (a browser cannot send a chosen file without submitting it); a draft shown again keeps the
files of an earlier submission of the task.
"""

from .binding import bind_post, stored
from .builder import MAX_ROWS, json_to_formdata
from .definition import FieldDef, FormDefinition

_FALSE = ("false", "", "0", "n", "no", "off")  # the boolean field's false values (builder)


def posted_draft(definition: FormDefinition, formdata) -> dict:
    """The draft of what a browser would post (`request.form`): the form's fields, nothing else."""
    return _values(definition.fields, formdata, "")


def draft_of(definition: FormDefinition, data: dict) -> dict:
    """JSON sent as a draft (the API), reduced to the form's fields in the form's shapes; other keys are dropped."""
    return posted_draft(definition, json_to_formdata(definition.fields, data if isinstance(data, dict) else {}))


def has_files(definition: FormDefinition) -> bool:
    return _any_file(definition.fields)


def bind_draft(definition: FormDefinition, draft: dict, context: dict):
    """The form showing `draft`, bound as a post is (values as typed, no messages until it is submitted), with the
    files of an earlier submission kept."""
    form = bind_post(definition, json_to_formdata(definition.fields, draft if isinstance(draft, dict) else {}),
                     context)
    _keep_files(form, definition.fields, stored(definition, context))
    return form


def _values(fields: tuple[FieldDef, ...], formdata, prefix: str) -> dict:
    out = {}
    for f in fields:
        name = prefix + f.name
        if f.type == "group":
            out[f.name] = _values(f.fields, formdata, f"{name}-")
        elif f.type == "rows":
            out[f.name] = [_values(f.fields, formdata, f"{name}-{i}-") for i in _row_indexes(formdata, name)]
        elif f.type in ("multichoice", "units"):
            out[f.name] = [v for v in formdata.getlist(name) if isinstance(v, str)]
        elif f.type == "boolean":
            out[f.name] = str(formdata.get(name, "")).lower() not in _FALSE
        elif f.type != "file":
            value = formdata.get(name)
            if isinstance(value, str):
                out[f.name] = _typed(f, value)
    return out


def _row_indexes(formdata, name: str) -> list[int]:
    """The row numbers posted for a rows field (rows-0-x, rows-3-x: [0, 3]), at most MAX_ROWS of them."""
    found = set()
    for key in formdata.keys():
        head = key[len(name) + 1:].split("-", 1)[0] if key.startswith(f"{name}-") else ""
        if head.isascii() and head.isdigit() and len(head) <= 6:
            found.add(int(head))
    return sorted(found)[:MAX_ROWS]


def _typed(f: FieldDef, text: str):
    """A number field's value as a number when it reads as one, otherwise (half-typed) as the text."""
    try:
        if f.type == "integer":
            return int(text)
        if f.type == "decimal":
            return float(text)
    except ValueError:
        pass
    return text


def _keep_files(form, fields: tuple[FieldDef, ...], earlier) -> None:
    """Put the files of an earlier submission ({"attachment_id", "filename"}) back into their fields."""
    earlier = earlier if isinstance(earlier, dict) else {}
    for f in fields:
        value = earlier.get(f.name)
        if f.type == "file" and isinstance(value, dict) and value.get("attachment_id") is not None:
            form[f.name].data = value
        elif f.type == "group" and _any_file(f.fields):
            _keep_files(form[f.name].form, f.fields, value)
        elif f.type == "rows" and _any_file(f.fields) and isinstance(value, list):
            for entry, row in zip(form[f.name].entries, value):
                _keep_files(entry.form, f.fields, row)


def _any_file(fields) -> bool:
    return any(f.type == "file" or _any_file(f.fields) for f in fields)


__all__ = ["bind_draft", "draft_of", "has_files", "posted_draft"]
