"""Reading a form definition's JSON, key by key: a hand-written file or one sent by the designer's form editor gets
a precise reason (the file, the field, what is wrong) instead of a crash when the form is first shown."""
import math

from flask_babel import lazy_gettext as _l

from .definition import FIELD_TYPES, FieldDef, FormDefinition, FormDefinitionError

MAX_FIELDS = 200  # fields of one form or one group: a form is filled in by a person
MAX_DEPTH = 3  # groups and rows inside each other
MAX_TEXT = 4000  # characters of a label, help or description
_TEXTS = ("label", "help", "row_label", "rows_from", "unit_kind", "capture")
_FLAGS = ("required", "readonly", "add_rows")
_NUMBERS = ("min", "max")
_LENGTHS = ("min_length", "max_length")
_FORM_TEXTS = ("key", "title", "description", "submit_label", "variable")


def parse(raw: dict, source: str = "form") -> FormDefinition:
    """The definition `raw` (a form file's JSON), checked as a whole: FormDefinitionError names what is wrong."""
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
        _fail(source, None, _l("a form needs a list of fields"))
    for key in _FORM_TEXTS:
        if key in raw and not _short_text(raw[key]):
            _fail(source, None, _l("%(key)s must be a text", key=key))
    if raw.get("variable") is not None and not _identifier(raw["variable"]):
        _fail(source, None, _l("variable must be a name of Latin letters, digits and _"))
    templates = raw.get("templates", {})
    if not isinstance(templates, dict) or not all(isinstance(t, list) for t in templates.values()):
        _fail(source, None, _l("templates must map names to lists of fields"))
    fields = _fields(raw["fields"], templates, source, 0)
    known = {k: raw[k] for k in ("variable", "description", "submit_label") if k in raw}
    return FormDefinition(key=raw.get("key") or source.rsplit("/", 1)[-1].removesuffix(".json"),
                          title=raw.get("title", ""), fields=fields, **known)


def _fields(raw_fields, templates, source, depth) -> tuple[FieldDef, ...]:
    if len(raw_fields) > MAX_FIELDS:
        _fail(source, None, _l("more than %(count)s fields", count=MAX_FIELDS))
    fields = tuple(_field(f, templates, source, depth) for f in raw_fields)
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        _fail(source, None, _l("fields named twice: %(names)s", names=", ".join(dupes)))
    for f in fields:
        for rule in ("required_if", "only_if"):
            condition = getattr(f, rule)
            if condition is not None and condition[0] not in names:
                _fail(source, f.name, _l("%(rule)s names %(other)s, which is not a field beside it", rule=rule,
                                         other=repr(condition[0])))
    return fields


def _field(raw, templates, source, depth) -> FieldDef:
    if not isinstance(raw, dict) or not raw.get("name") or not raw.get("type"):
        _fail(source, None, _l("every field needs a name and a type"))
    name, kind = raw["name"], raw["type"]
    if not _identifier(name) or name.startswith("_"):
        _fail(source, None, _l("the field name %(name)s must be Latin letters, digits and _, not starting with _",
                               name=repr(name)))
    if kind not in FIELD_TYPES:
        _fail(source, name, _l("unknown type %(type)s", type=repr(kind)))
    for key in _TEXTS:
        if key in raw and raw[key] is not None and not _short_text(raw[key]):
            _fail(source, name, _l("%(key)s must be a text", key=key))
    for key in _FLAGS:
        if key in raw and not isinstance(raw[key], bool):
            _fail(source, name, _l("%(key)s must be true or false", key=key))
    known = {k: raw[k] for k in ("help", "default", "rows_from", "row_label", "unit_kind", "readonly", "add_rows",
                                 "capture") if k in raw}
    known.update(_limits(raw, source, name))
    for rule in ("required_if", "only_if"):
        condition = raw.get(rule)
        if condition is not None:
            if not isinstance(condition, dict) or not isinstance(condition.get("field"), str):
                _fail(source, name, _l("%(rule)s needs the name of a field", rule=rule))
            known[rule] = (condition["field"], condition.get("equals"))
    return FieldDef(name=name, type=kind, label=raw.get("label") or name, required=bool(raw.get("required")),
                    choices=_choices(raw, source, name), fields=_sub_fields(raw, templates, source, depth),
                    accept=_accept(raw, source, name), **known)


def _limits(raw, source, name) -> dict:
    found = {}
    for key in _NUMBERS:
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            _fail(source, name, _l("%(key)s must be a number", key=key))
    for key in _LENGTHS:
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            _fail(source, name, _l("%(key)s must be a whole number, 0 or more", key=key))
    for low, high in (_NUMBERS, _LENGTHS):
        if raw.get(low) is not None and raw.get(high) is not None and raw[low] > raw[high]:
            _fail(source, name, _l("%(low)s is greater than %(high)s", low=low, high=high))
    for key in (*_NUMBERS, *_LENGTHS):
        if raw.get(key) is not None:
            found[key] = raw[key]
    return found


def _choices(raw, source, name) -> tuple:
    choices = raw.get("choices", ())
    if raw["type"] in ("choice", "multichoice") and not choices:
        _fail(source, name, _l("a choice needs choices"))
    if not isinstance(choices, (list, tuple)) or not all(
            isinstance(c, (list, tuple)) and len(c) == 2 and all(isinstance(p, (str, int, float)) for p in c)
            for c in choices):
        _fail(source, name, _l("choices must be pairs [value, label]"))
    values = [str(c[0]) for c in choices]
    if len(set(values)) != len(values):
        _fail(source, name, _l("two choices have the same value"))
    return tuple((str(c[0]), str(c[1])) for c in choices)


def _sub_fields(raw, templates, source, depth) -> tuple[FieldDef, ...]:
    sub = raw.get("fields", ())
    if isinstance(sub, str):
        if sub not in templates:
            _fail(source, raw["name"], _l("unknown template %(name)s", name=repr(sub)))
        sub = templates[sub]
    if not isinstance(sub, (list, tuple)):
        _fail(source, raw["name"], _l("fields must be a list"))
    if raw["type"] in ("group", "rows") and not sub:
        _fail(source, raw["name"], _l("a group or rows need fields"))
    if sub and depth >= MAX_DEPTH:
        _fail(source, raw["name"], _l("groups and rows are nested more than %(count)s deep", count=MAX_DEPTH))
    return _fields(list(sub), templates, source, depth + 1)


def _accept(raw, source, name) -> tuple:
    accept = raw.get("accept", ())
    if not isinstance(accept, (list, tuple)) or not all(_short_text(a) for a in accept):
        _fail(source, name, _l("accept must be a list of file extensions"))
    return tuple(accept)


def _identifier(value) -> bool:
    return isinstance(value, str) and value.isidentifier() and value.isascii()


def _short_text(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _fail(source, field_name, problem):
    if field_name is None:
        raise FormDefinitionError(_l("%(source)s: %(problem)s", source=source, problem=problem))
    raise FormDefinitionError(_l("%(source)s, field %(field)s: %(problem)s", source=source, field=repr(field_name),
                                 problem=problem))
