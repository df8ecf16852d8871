"""Building WTForms classes from definitions and binding them to browser posts or to JSON."""
from functools import lru_cache

from babel.support import Translations
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (BooleanField, DateField, DecimalField, EmailField, FieldList, Form, FormField, IntegerField,
                     RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.i18n import messages_path
from wtforms.validators import Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from .definition import FieldDef, FormDefinition
from .fields import (AllowedExtensions, AttachmentField, EmailAddress, Optional, Required, RequiredWhen,
                     StorableText)


@lru_cache(maxsize=16)
def _wtforms_translations(locale: str):
    return Translations.load(messages_path(), [locale], domain="wtforms")


class _Meta:
    def get_translations(self, form):
        try:
            return _wtforms_translations(str(get_locale() or "ru"))
        except RuntimeError:  # outside an application context
            return _wtforms_translations("ru")


class BaseForm(Form):
    Meta = _Meta


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _validators(f: FieldDef):
    found = []
    if f.required_if:
        found.append(RequiredWhen(*f.required_if))
    elif f.required:
        found.append(Required())
    else:
        found.append(Optional())
    if f.type in ("integer", "decimal") and (f.min is not None or f.max is not None):
        found.append(NumberRange(min=f.min, max=f.max,
                                 message=_l("Enter a number from %(min)s to %(max)s.", min=_fmt(f.min),
                                            max=_fmt(f.max))))
    if f.type in ("string", "text", "email"):
        found.append(StorableText())
    if f.type in ("string", "text", "email") and (f.min_length or f.max_length):
        found.append(Length(min=f.min_length or -1, max=f.max_length or -1))
    if f.type == "email":
        found.append(EmailAddress())
    if f.type == "file" and f.accept:
        found.append(AllowedExtensions(f.accept))
    return found


def _fmt(value):
    if value is None:
        return "…"
    return int(value) if float(value).is_integer() else value


MAX_ROWS = 200


def _wtforms_field(f: FieldDef, rows: dict[str, int]):
    kwargs = {"label": f.label, "validators": _validators(f), "description": f.help or ""}
    if f.readonly:
        kwargs["render_kw"] = {"readonly": True}
    kind = f.type
    if kind == "string":
        return StringField(**kwargs)
    if kind == "text":
        return TextAreaField(**kwargs)
    if kind == "email":
        return EmailField(**kwargs)
    if kind == "integer":
        return IntegerField(**kwargs)
    if kind == "decimal":
        return DecimalField(**kwargs)
    if kind == "date":
        return DateField(format="%Y-%m-%d", **kwargs)
    if kind == "boolean":
        return BooleanField(false_values=("false", "", "0", "n", "no", "off"), **kwargs)
    if kind == "choice":
        cls = RadioField if len(f.choices) <= 4 else SelectField
        return cls(choices=_choices(f.choices), **kwargs)
    if kind == "multichoice":
        return MultiCheckboxField(choices=_choices(f.choices), **kwargs)
    if kind == "units":
        return MultiCheckboxField(choices=[], validate_choice=True, **kwargs)
    if kind == "file":
        kwargs["render_kw"] = {**kwargs.get("render_kw", {}), "accept": accept_attribute(f.accept),
                               **({"capture": f.capture} if f.capture else {})}
        return AttachmentField(**kwargs)
    if kind == "group":
        return FormField(_subform(f.fields, rows, prefix=f.name), label=f.label, separator="-")
    if kind == "rows":
        row_form = FormField(_subform(f.fields, rows, prefix=f.name), separator="-")
        count = rows.get(f.name, 1)
        extra = {"render_kw": {"data-add-rows": "1"}} if f.add_rows else {}
        return FieldList(row_form, label=f.label, min_entries=count, max_entries=max(count, MAX_ROWS), **extra)
    raise ValueError(kind)


_IMAGES = {"jpg", "jpeg", "png", "gif", "webp", "heic"}


def accept_attribute(extensions) -> str:
    """The file input's `accept` for the allowed extensions, by type where a phone needs it: "image/*" lets it
    offer the camera and the gallery, "application/pdf" a scan; other types by their extension."""
    extensions = [e.lower().lstrip(".") for e in extensions] or ["jpg", "pdf"]
    tokens = (["image/*"] if any(e in _IMAGES for e in extensions) else []) + (
        ["application/pdf"] if "pdf" in extensions else [])
    return ",".join(tokens + [f".{e}" for e in extensions if e not in _IMAGES and e != "pdf"])


def _choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


def _subform(fields: tuple[FieldDef, ...], rows, prefix=""):
    attrs = {f.name: _wtforms_field(f, rows) for f in fields}
    return type(f"Sub_{prefix}", (BaseForm,), attrs)


def form_class(definition: FormDefinition, rows: dict[str, int] | None = None):
    """The WTForms class of `definition`; `rows` gives the number of rows of each rows field."""
    return _cached_class(definition, tuple(sorted((rows or {}).items())))


@lru_cache(maxsize=256)
def _cached_class(definition, rows_key):
    rows = dict(rows_key)
    attrs = {f.name: _wtforms_field(f, rows) for f in definition.fields}
    return type(f"Form_{definition.key}", (BaseForm,), attrs)


def json_to_formdata(fields, data: dict, prefix: str = "", errors: dict | None = None) -> MultiDict:
    """Flatten JSON into the names a browser would post, so that JSON is checked by exactly the same rules.
    Values of the wrong shape (a list where text belongs, an unknown key) are reported in `errors`."""
    errors = {} if errors is None else errors
    out = MultiDict()
    by_name = {f.name: f for f in fields}
    for key in data:
        if key not in by_name:
            errors[f"{prefix}{key}"] = [_l("Unknown field.")]
    for f in fields:
        value, name = data.get(f.name), f"{prefix}{f.name}"
        if value is None:
            continue
        if f.type == "group":
            if isinstance(value, dict):
                out.update(json_to_formdata(f.fields, value, f"{name}-", errors))
            else:
                errors[name] = [_l("Expected an object.")]
        elif f.type == "rows":
            if isinstance(value, list) and all(isinstance(row, dict) for row in value):
                for i, row in enumerate(value):
                    out.update(json_to_formdata(f.fields, row, f"{name}-{i}-", errors))
            else:
                errors[name] = [_l("Expected a list of objects.")]
        elif f.type in ("multichoice", "units"):
            for item in value if isinstance(value, list) else [value]:
                out.add(name, str(item))
        elif f.type == "file":
            ref = value.get("attachment_id") if isinstance(value, dict) else value
            out.add(name, str(ref))
        elif isinstance(value, (dict, list)):
            errors[name] = [_l("Expected a single value.")]
        elif f.type == "boolean":
            if value is True or str(value).lower() in ("true", "1", "y", "yes", "on"):
                out.add(name, "y")
        else:
            out.add(name, str(value))
    return out
