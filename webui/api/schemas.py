"""Marshmallow schemas of the API: they parse and check the query strings and bodies, shape the answers, and are
what flask-smorest turns into the OpenAPI document. Validation messages are ours, in the caller's language."""
from datetime import date

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, INCLUDE, ValidationError

import forms.fields
from engine.models.instance import InstanceStatus
from engine import INBOX_SORTS as SORTS, INBOX_TABS as TABS

_COMMON = {"required": _l("This field is required."), "null": _l("This field may not be empty."),
           "validator_failed": _l("Invalid value.")}
STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.STALLED, InstanceStatus.COMPLETED,
            InstanceStatus.ERROR, InstanceStatus.CANCELLED, InstanceStatus.SUSPENDED)
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


class _Translated:
    """Field messages from `MESSAGES`, translated when the error is made (inside the request)."""
    MESSAGES: dict = {}

    def make_error(self, key: str, **kwargs) -> ValidationError:
        message = self.MESSAGES.get(key) or _COMMON.get(key)
        if message is None:
            return super().make_error(key, **kwargs)
        return ValidationError(str(message))


class Text(_Translated, ma.fields.String):
    MESSAGES = {"invalid": _l("Expected text."), "invalid_utf8": _l("Expected text.")}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not forms.fields.storable(text):
            raise ValidationError(str(forms.fields.UNSTORABLE))
        return text


class Int(_Translated, ma.fields.Integer):
    MESSAGES = {"invalid": _l("Expected a whole number."), "too_large": _l("The number is too large.")}


class Bool(_Translated, ma.fields.Boolean):
    MESSAGES = {"invalid": _l("Expected true or false.")}


class Day(_Translated, ma.fields.Date):
    MESSAGES = {"invalid": _l("Expected a date as YYYY-MM-DD."), "format": _l("Expected a date as YYYY-MM-DD.")}


class OneOf:
    """Validators as classes with the attributes apispec reads (choices; min and max; equal), so that the limits
    appear in the OpenAPI document too."""

    def __init__(self, choices):
        self.choices = list(choices)

    def __call__(self, value):
        if value not in self.choices:
            raise ValidationError(_("Choose one of: %(choices)s.", choices=", ".join(self.choices)))


class Between:
    def __init__(self, low, high):
        self.min, self.max = low, high

    def __call__(self, value):
        if not self.min <= value <= self.max:
            raise ValidationError(_("Enter a value from %(min)s to %(max)s.", min=self.min, max=self.max))


class MaxLength:
    def __init__(self, most: int):
        self.min, self.max, self.equal = None, most, None

    def __call__(self, value):
        if len(value) > self.max:
            raise ValidationError(_("At most %(n)s characters.", n=self.max))


def in_years(value: date):
    """Dates far from now are refused before they reach date arithmetic."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(_("Enter a date from %(min)s to %(max)s.", min=EARLIEST.isoformat(),
                                max=LATEST.isoformat()))


class Schema(ma.Schema):
    error_messages = {"type": _l("Expected a JSON object."), "unknown": _l("Unknown field.")}


class PageArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    page = Int(load_default=1, validate=Between(1, 100_000), metadata={"description": "Page number, from 1."})
    per_page = Int(load_default=50, validate=Between(1, 200), metadata={"description": "Items per page (≤ 200)."})


class TaskQueryArgs(PageArgs):
    """The inbox filters (engine.InboxQuery)."""
    tab = Text(load_default="available", validate=OneOf(TABS),
               metadata={"description": "mine: claimed by me; group: offered to me, unclaimed; available: all I "
                                        "may do", "enum": list(TABS)})
    process_id = Text(validate=MaxLength(255), metadata={"description": "The activity (BPMN process id)."})
    unit = Text(validate=MaxLength(64), metadata={"description": "The school or PPE code the task is for."})
    overdue = Bool(load_default=False)
    due_from = Day(validate=in_years)
    due_to = Day(validate=in_years)
    text = Text(validate=MaxLength(200), metadata={"description": "Part of the task name."})
    snoozed = Bool(load_default=False, metadata={"description": "Show the tasks I snoozed instead of hiding them."})
    sort = Text(load_default="due", validate=OneOf(SORTS))


class InstanceQueryArgs(PageArgs):
    process_id = Text(validate=MaxLength(255))
    status = Text(validate=OneOf(STATUSES))
    unit = Text(validate=MaxLength(64))


class StartArgs(Schema):
    """What the activity page's launch form sends, for one unit."""
    unit = Text(validate=MaxLength(64), metadata={
        "description": "The school or PPE to start for (the start form's units field, one unit a call)."})
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict, metadata={
        "description": "The start form's other fields, shaped as its form definition says."})


class FormData(Schema):
    """The form's fields as the task's form definition describes them (`form.fields` of GET /tasks/{id})."""

    class Meta:
        unknown = INCLUDE


# Answers ---------------------------------------------------------------------------------------------------

class Paging(ma.Schema):
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)
    has_next = ma.fields.Boolean(required=True)


class TaskSummary(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)
    bpmn_id = ma.fields.String(required=True)
    process_id = ma.fields.String(allow_none=True)
    instance_id = ma.fields.Integer(required=True)
    role = ma.fields.String(allow_none=True)
    unit = ma.fields.String(attribute="unit_code", allow_none=True)
    state = ma.fields.String(required=True)
    form_key = ma.fields.String(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    completed_by = ma.fields.String(allow_none=True)
    assignee = ma.fields.Function(lambda t: t.assignee.login if t.assignee is not None else None, allow_none=True,
                                  metadata={"type": "string", "description": "Login of who claimed the task."})
    columns = ma.fields.Dict(allow_none=True, metadata={"description": "Business columns (e.g. the PPE)."})


class TaskPage(Paging):
    items = ma.fields.List(ma.fields.Nested(TaskSummary), required=True)
    total_capped = ma.fields.Boolean(required=True)


class InstanceSummary(ma.Schema):
    id = ma.fields.Integer(required=True)
    process_id = ma.fields.String(required=True)
    process_name = ma.fields.String(allow_none=True)
    version = ma.fields.Integer(attribute="deployment_id", required=True)
    unit = ma.fields.String(attribute="unit_code", allow_none=True)
    status = ma.fields.String(required=True)
    status_text = ma.fields.String(allow_none=True)
    started_by = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(allow_none=True)
    updated_at = ma.fields.DateTime(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)


class InstancePage(Paging):
    items = ma.fields.List(ma.fields.Nested(InstanceSummary), required=True)


class FileInfo(ma.Schema):
    id = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(allow_none=True)


class Choice(ma.Schema):
    value = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class FormField(ma.Schema):
    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"enum": sorted(
        ("string", "text", "email", "integer", "decimal", "date", "boolean", "choice", "multichoice", "file",
         "group", "rows", "units"))})
    label = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    required_if = ma.fields.Dict(metadata={"description": "{field, equals}: required when the sibling field has "
                                                          "that value."})
    only_if = ma.fields.Dict(metadata={"description": "{field, equals}: kept only while the sibling field has that "
                                                      "value (a fault's comment once the item is fine is dropped)."})
    help = ma.fields.String()
    min = ma.fields.Float()
    max = ma.fields.Float()
    min_length = ma.fields.Integer()
    max_length = ma.fields.Integer()
    choices = ma.fields.List(ma.fields.Nested(Choice))
    default = ma.fields.Raw(allow_none=True)
    accept = ma.fields.List(ma.fields.String(), metadata={"description": "file: allowed extensions."})
    readonly = ma.fields.Boolean()
    rows = ma.fields.Integer(metadata={"description": "rows: how many rows this task expects."})
    row_label = ma.fields.String()
    unit_kind = ma.fields.String()
    subfields = ma.fields.List(ma.fields.Nested(lambda: FormField()), attribute="fields", data_key="fields",
                               metadata={"description": "group: its fields; rows: the fields of one row."})


class FormDefinition(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    submit_label = ma.fields.String(allow_none=True)
    field_list = ma.fields.List(ma.fields.Nested(FormField), required=True, attribute="fields", data_key="fields")


class TaskDetail(ma.Schema):
    task = ma.fields.Nested(TaskSummary, required=True)
    instance = ma.fields.Nested(InstanceSummary, required=True)
    may_act = ma.fields.Boolean(required=True, metadata={"description": "Whether you may complete it now."})
    form = ma.fields.Nested(FormDefinition, allow_none=True, required=True)
    initial = ma.fields.Dict(required=True, metadata={"description": "Values to start the form with: an "
                                                                     "earlier submission, defaults, row labels."})
    data = ma.fields.Dict(required=True, metadata={"description": "The task's data."})
    instructions = ma.fields.String(allow_none=True)
    files = ma.fields.List(ma.fields.Nested(FileInfo), required=True)


class Draft(ma.Schema):
    data = ma.fields.Dict(required=True, allow_none=True,
                          metadata={"description": "The form's data as typed so far (no files); null: no draft."})
    updated_at = ma.fields.DateTime(required=True, allow_none=True)


class CompleteAnswer(ma.Schema):
    instance_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "The instance's status after the step."})
    next_tasks = ma.fields.List(ma.fields.Nested(TaskSummary), required=True,
                                metadata={"description": "Open tasks of the instance you may see."})


class InstanceDetail(InstanceSummary):
    unit_name = ma.fields.String(allow_none=True)
    error = ma.fields.String(allow_none=True)
    data = ma.fields.Dict(required=True)
    waiting_for = ma.fields.List(ma.fields.Dict(), required=True)
    next_timer_at = ma.fields.String(allow_none=True)
    history = ma.fields.List(ma.fields.Dict(), required=True)
    tasks = ma.fields.List(ma.fields.Nested(TaskSummary), required=True)


class AuditEntry(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.DateTime(required=True)
    actor = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    task_id = ma.fields.String(allow_none=True)
    bpmn_id = ma.fields.String(allow_none=True)
    task_name = ma.fields.String(allow_none=True)
    summary = ma.fields.Raw(allow_none=True)
    message = ma.fields.String(allow_none=True)


class AuditPage(Paging):
    items = ma.fields.List(ma.fields.Nested(AuditEntry), required=True)


class ErrorBody(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "unauthorized, not_found, forbidden, invalid, "
                                                                    "not_ready, conflict, …"})
    message = ma.fields.String(required=True, metadata={"description": "For people, in the caller's language."})
    field_errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                                  attribute="fields", data_key="fields",
                                  metadata={"description": "422: the messages of each field."})


class Error(ma.Schema):
    error = ma.fields.Nested(ErrorBody, required=True)
