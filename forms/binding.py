"""Using a definition: prefilling from task data, binding a post or JSON, and turning a valid form into data."""
from datetime import date
from decimal import Decimal

from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from .builder import form_class, json_to_formdata
from .definition import FieldDef, FormDefinition


class FormValidationError(Exception):
    def __init__(self, field_errors: dict[str, list]):
        field_errors = {name: [str(m) for m in messages] for name, messages in field_errors.items()}
        self.field_errors = field_errors
        super().__init__("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in field_errors.items()))


def lookup(context: dict, path: str | None):
    """A dotted path into task data ("gia_unit.auditoriums"); None when any step is missing."""
    value = context
    for part in (path or "").split(".") if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def stored(definition: FormDefinition, context: dict) -> dict:
    """What an earlier round of the task submitted (to show it again), or {}."""
    source = context.get(definition.variable) if definition.variable else context
    return source if isinstance(source, dict) else {}


def _row_count(f: FieldDef, context: dict, previous) -> int:
    if isinstance(previous, list) and previous:
        return len(previous)
    source = lookup(context, f.rows_from)
    if isinstance(source, list):
        return max(1, len(source))
    if isinstance(source, (int, float)) and not isinstance(source, bool):
        return max(1, min(int(source), 200))
    return 1


def rows_for(definition: FormDefinition, context: dict, submitted: dict | None = None) -> dict[str, int]:
    previous = submitted if submitted is not None else stored(definition, context)
    return {f.name: _row_count(f, context, previous.get(f.name)) for f in definition.fields if f.type == "rows"}


def initial_data(definition: FormDefinition, context: dict) -> dict:
    """Field values to show first: an earlier submission, else defaults; rows get their labels."""
    previous = stored(definition, context)
    data = {}
    for f in definition.fields:
        if f.name in previous:
            data[f.name] = _to_python(f, previous[f.name])
        elif f.type == "rows":
            data[f.name] = _row_defaults(f, context)
        elif f.default is not None:
            data[f.name] = _to_python(f, f.default)
    return data


def _row_defaults(f: FieldDef, context):
    source = lookup(context, f.rows_from)
    items = source if isinstance(source, list) else list(range(1, _row_count(f, context, None) + 1))
    if f.row_label is None and f.rows_from is None:
        return [{} for _ in items]  # rows the user adds and fills in: no number in the first field
    first = f.fields[0].name
    label = f.row_label or "{n}"
    return [{first: label.format(n=i + 1, item=item)} for i, item in enumerate(items)]


def _to_python(f: FieldDef, value):
    """Stored JSON back into what the WTForms field expects as data."""
    if value is None:
        return None
    if f.type == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if f.type == "group" and isinstance(value, dict):
        return {sub.name: _to_python(sub, value.get(sub.name)) for sub in f.fields}
    if f.type == "rows" and isinstance(value, list):
        return [{sub.name: _to_python(sub, (row or {}).get(sub.name)) for sub in f.fields} for row in value]
    return value


def bind_post(definition: FormDefinition, formdata, context: dict):
    """A form bound to what a browser posted (request.form + request.files)."""
    posted_rows = {}
    for f in definition.fields:
        if f.type == "rows":
            indexes = {int(k.split("-")[1]) for k in formdata.keys()
                       if k.startswith(f"{f.name}-") and k.split("-")[1].isdigit()}
            posted_rows[f.name] = max(1, len(indexes)) if indexes else _row_count(f, context, None)
    return form_class(definition, posted_rows)(formdata=formdata)


def bind_initial(definition: FormDefinition, context: dict):
    return form_class(definition, rows_for(definition, context))(data=initial_data(definition, context))


def validate_json(definition: FormDefinition, data: dict) -> dict:
    """Check JSON with the definition's rules; returns the cleaned data or raises FormValidationError."""
    if not isinstance(data, dict):
        raise FormValidationError({"data": ["expected a JSON object"]})
    shape_errors: dict = {}
    formdata = json_to_formdata(definition.fields, data, errors=shape_errors)
    rows = {f.name: max(1, len(data.get(f.name) or [])) for f in definition.fields if f.type == "rows"}
    form = form_class(definition, rows)(formdata=formdata)
    _set_unit_choices(definition, form, data)
    valid = form.validate()
    errors = {**shape_errors, **({} if valid else field_errors(form))}
    if errors:
        raise FormValidationError(errors)
    return form_data(definition, form)


def _set_unit_choices(definition, form, data):
    # Units are checked against the database by the caller; here any code that was sent is a valid choice.
    for f in definition.fields:
        if f.type == "units":
            sent = data.get(f.name) or []
            form[f.name].choices = [SelectChoice(str(c), str(c)) for c in (sent if isinstance(sent, list) else [sent])]


def field_errors(form) -> dict[str, list[str]]:
    """Nested WTForms errors flattened to the posted names ("jammer-comment": [...])."""
    found = {}
    for field in form:
        if field.type == "FormField":
            found.update(field_errors(field.form))
        elif field.type == "FieldList":
            for entry in field.entries:
                if entry.type == "FormField":
                    found.update(field_errors(entry.form))
                elif entry.errors:
                    found[entry.name] = [str(e) for e in entry.errors]
        elif field.errors:
            found[field.name] = [str(e) for e in field.errors]
    return found


def form_data(definition: FormDefinition, form) -> dict:
    """A valid form as plain JSON data. Fresh uploads stay FileStorage objects for the caller to store."""
    return _values(definition.fields, form)


def _values(fields, form) -> dict:
    """The fields' values, without those that do not apply (`only_if`): a fault's comment typed in an earlier
    round is not kept once the item is marked fine."""
    values = {f.name: _json_value(f, form[f.name]) for f in fields}
    for f in fields:
        if f.only_if and values.get(f.only_if[0]) != f.only_if[1]:
            values[f.name] = [] if f.type in ("multichoice", "units") else None
    return values


def _json_value(f: FieldDef, field):
    value = field.data
    if f.type == "group":
        return _values(f.fields, field.form)
    if f.type == "rows":
        return [_values(f.fields, entry.form) for entry in field.entries]
    if value is None or value == "":
        return None if f.type not in ("multichoice", "units") else []
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, FileStorage):
        return value
    return value


def uploads(data, found=None) -> list[tuple[dict | list, object, FileStorage]]:
    """Every fresh upload in form data, as (container, key, file), so the caller can store it and put a
    reference in its place."""
    found = [] if found is None else found
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        if isinstance(value, FileStorage):
            found.append((data, key, value))
        elif isinstance(value, (dict, list)):
            uploads(value, found)
    return found
