"""A form definition (forms.FormDefinition) as JSON for API clients: the same fields, labels and rules the task
page renders and `engine.complete` checks, so a client can build its own form and send data that passes."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

import forms
from engine.db import db
from engine.models import Unit

_OPTIONAL = ("help", "min", "max", "min_length", "max_length", "row_label", "unit_kind")


def definition_json(definition: forms.FormDefinition, context: dict) -> dict:
    rows = forms.binding.rows_for(definition, context)
    return {"key": definition.key, "title": definition.title, "description": definition.description,
            "submit_label": definition.submit_label,
            "fields": [field_json(f, rows.get(f.name)) for f in definition.fields]}


def field_json(f: forms.FieldDef, rows: int | None = None) -> dict:
    out = {"name": f.name, "type": f.type, "label": f.label, "required": f.required}
    for key in _OPTIONAL:
        value = getattr(f, key)
        if value is not None:
            out[key] = value
    if f.required_if:
        out["required_if"] = {"field": f.required_if[0], "equals": f.required_if[1]}
    if f.only_if:
        out["only_if"] = {"field": f.only_if[0], "equals": f.only_if[1]}
    if f.choices:
        out["choices"] = [{"value": value, "label": label} for value, label in f.choices]
    if f.type == "units":
        out["choices"] = [{"value": code, "label": name} for code, name in db.session.execute(
            select(Unit.code, Unit.name).where(Unit.kind == f.unit_kind).order_by(Unit.name))]
    if f.default is not None:
        out["default"] = f.default
    if f.accept:
        out["accept"] = list(f.accept)
    if f.readonly:
        out["readonly"] = True
    if f.fields:
        out["fields"] = [field_json(sub) for sub in f.fields]
    if f.type == "rows" and rows is not None:
        out["rows"] = rows
    return out


def initial_json(definition: forms.FormDefinition, context: dict) -> dict:
    return _plain(forms.initial_data(definition, context))


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
