"""Reading and checking form definition files."""
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

FIELD_TYPES = {"string", "text", "email", "integer", "decimal", "date", "boolean", "choice", "multichoice",
               "file", "group", "rows", "units"}
_DEFAULT_DIR = Path(__file__).resolve().parent / "definitions"
_directory = [_DEFAULT_DIR]


class FormDefinitionError(Exception):
    pass


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: str
    required: bool = False
    help: str | None = None
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple = ()
    default: object = field(default=None, compare=False, hash=False)
    required_if: tuple | None = None  # (sibling field name, value) from {"field": ..., "equals": ...}
    only_if: tuple | None = None      # the same shape: the value is kept only while the sibling has that value
    fields: tuple = ()                # group and rows: the fields of one group / one row
    rows_from: str | None = None      # rows: a dotted path in the task data giving a count or a list of labels
    row_label: str | None = None      # rows: label of row N, with {n} and {item}
    unit_kind: str | None = None      # units: which kind of unit to choose from
    accept: tuple = ()                # file: allowed extensions
    readonly: bool = False
    add_rows: bool = False            # rows: the person may add rows (a list of any length, e.g. nominees)
    capture: str | None = None        # file: a photo is asked, so a phone opens its camera ("environment": the back one)


@dataclass(frozen=True)
class FormDefinition:
    key: str
    title: str
    fields: tuple[FieldDef, ...]
    variable: str | None = None       # store the submission under this key instead of at the top level
    description: str | None = None
    submit_label: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def field_named(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)


def use_directory(path) -> None:
    """Point the registry at another folder (the app does this from its FORMS_DIR setting)."""
    _directory[0] = Path(path)
    load.cache_clear()


def registry_keys() -> list[str]:
    return sorted(p.stem for p in _directory[0].glob("*.json"))


@lru_cache(maxsize=None)
def load(key: str) -> FormDefinition:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise FormDefinitionError(f"invalid form key {key!r}")
    path = _directory[0] / f"{key}.json"
    if not path.is_file():
        raise FormDefinitionError(f"form {key!r} is not defined (no {path.name} in {_directory[0]})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormDefinitionError(f"{path.name}: not valid JSON: {exc}") from exc
    return parse(raw, path.name)


def parse(raw: dict, source: str = "form") -> FormDefinition:
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
        raise FormDefinitionError(f"{source}: a form needs a list of fields")
    templates = raw.get("templates", {})
    fields = tuple(_field(f, templates, source) for f in raw["fields"])
    _unique([f.name for f in fields], source)
    known = {k: raw[k] for k in ("variable", "description", "submit_label") if k in raw}
    return FormDefinition(key=raw.get("key") or Path(source).stem, title=raw.get("title", ""), fields=fields, **known)


def _field(raw, templates, source) -> FieldDef:
    if not isinstance(raw, dict) or not raw.get("name") or not raw.get("type"):
        raise FormDefinitionError(f"{source}: every field needs a name and a type: {raw!r}")
    name, kind = raw["name"], raw["type"]
    if kind not in FIELD_TYPES:
        raise FormDefinitionError(f"{source}: field {name!r} has unknown type {kind!r}")
    if not name.isidentifier() or name.startswith("_"):
        raise FormDefinitionError(f"{source}: field name {name!r} must be an identifier not starting with _")
    sub = raw.get("fields", ())
    if isinstance(sub, str):
        if sub not in templates:
            raise FormDefinitionError(f"{source}: field {name!r} uses unknown template {sub!r}")
        sub = templates[sub]
    if kind in ("group", "rows") and not sub:
        raise FormDefinitionError(f"{source}: {kind} field {name!r} needs fields")
    if kind in ("choice", "multichoice") and not raw.get("choices"):
        raise FormDefinitionError(f"{source}: field {name!r} needs choices")
    sub_fields = tuple(_field(f, templates, source) for f in sub)
    _unique([f.name for f in sub_fields], source)
    choices = tuple((str(c[0]), str(c[1])) for c in raw.get("choices", ()))
    known = {k: raw[k] for k in ("help", "min", "max", "min_length", "max_length", "default",
                                 "rows_from", "row_label", "unit_kind", "readonly", "add_rows", "capture") if k in raw}
    for rule in ("required_if", "only_if"):
        condition = raw.get(rule)
        if condition is not None:
            if not isinstance(condition, dict) or "field" not in condition:
                raise FormDefinitionError(f"{source}: field {name!r}: {rule} needs a field")
            known[rule] = (condition["field"], condition.get("equals"))
    return FieldDef(name=name, type=kind, label=raw.get("label", name), required=bool(raw.get("required")),
                    choices=choices, fields=sub_fields, accept=tuple(raw.get("accept", ())), **known)


def _unique(names, source):
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise FormDefinitionError(f"{source}: duplicate field names {sorted(dupes)}")
