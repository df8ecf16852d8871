"""What a form is: its fields, their types and rules, as read from a definition file (forms.reading)."""
from dataclasses import dataclass, field

FIELD_TYPES = {"string", "text", "email", "integer", "decimal", "date", "boolean", "choice", "multichoice",
               "file", "group", "rows", "units"}


class FormDefinitionError(Exception):
    """A definition that cannot be a form; the text (Russian in the app) names the file and the field."""


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
