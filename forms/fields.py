"""WTForms pieces the definitions need and WTForms does not ship: an attachment field, conditional requirement."""
import re

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import Field
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import FileInput

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AttachmentField(Field):
    """A file input whose value is either a fresh upload (a FileStorage, from the browser) or a reference to an
    attachment already stored ({"attachment_id": N}, from JSON or from a previous round of the same task)."""
    widget = FileInput()

    def process_formdata(self, valuelist):
        upload = next((v for v in valuelist if isinstance(v, FileStorage) and v.filename), None)
        if upload is not None:
            self.data = upload
            return
        ref = next((v for v in valuelist if isinstance(v, str) and v.strip()), None)
        if ref is None:
            self.data = None
        elif ref.strip().isascii() and ref.strip().isdigit() and int(ref) < 2**31:  # ids beyond the column name nothing
            self.data = {"attachment_id": int(ref)}
        else:
            self.data = None
            raise ValueError(_l("Not a valid file reference."))

    def _value(self):
        return ""


class RequiredWhen:
    """Required when a sibling field has a given value (e.g. a comment when an item is marked faulty);
    otherwise optional, and an empty value stops further checks."""

    def __init__(self, other: str, equals, message=None):
        self.other, self.equals = other, equals
        self.message = message or _l("This field is required.")
        self.field_flags = {}

    def __call__(self, form, field):
        if field.process_errors and not _left_blank(field):
            raise StopValidation()  # the value could not even be read; that message says more
        other = form._fields.get(self.other)
        if other is not None and other.data == self.equals:
            if _is_empty(field.data):
                field.errors[:] = []
                raise StopValidation(self.message)
        elif _is_empty(field.data):
            field.errors[:] = []
            raise StopValidation()


class Required:
    """Present and not blank; unlike DataRequired it accepts 0 and False-y numbers."""
    field_flags = {"required": True}

    def __init__(self, message=None):
        self.message = message or _l("This field is required.")

    def __call__(self, form, field):
        if field.process_errors and not _left_blank(field):
            raise StopValidation()  # the value could not even be read; that message says more
        if _is_empty(field.data):
            field.errors[:] = []  # a blank date is missing, not malformed: WTForms' «invalid date» goes
            raise StopValidation(self.message)


class Optional:
    field_flags = {"optional": True}

    def __call__(self, form, field):
        if _is_empty(field.data) and (not field.process_errors or _left_blank(field)):
            field.errors[:] = []
            raise StopValidation()


class EmailAddress:
    def __call__(self, form, field):
        if field.data and not EMAIL.match(field.data):
            raise ValidationError(_l("Enter a valid e-mail address."))


UNSTORABLE = _l("The text must not contain NUL characters or invalid Unicode.")


def storable(text: str) -> bool:
    """False for text no person types and the database cannot keep: NUL characters (PostgreSQL refuses them in
    text and JSON) and lone surrogates (not UTF-8). The task page, the API and the CLI all check text with this."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


class StorableText:
    def __call__(self, form, field):
        if isinstance(field.data, str) and not storable(field.data):
            raise ValidationError(UNSTORABLE)


class AllowedExtensions:
    def __init__(self, extensions):
        self.extensions = {e.lower().lstrip(".") for e in extensions}

    def __call__(self, form, field):
        upload = field.data
        if isinstance(upload, FileStorage) and self.extensions:
            ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
            if ext not in self.extensions:
                raise ValidationError(_l("Files of this type are not accepted; allowed: %(types)s.",
                                         types=", ".join(sorted(self.extensions))))


def _left_blank(field) -> bool:
    """Nothing was typed: WTForms' date and number fields report a blank input as a value they could not read
    («Неверное значение даты.»), where a person left the field empty."""
    return all(isinstance(v, str) and not v.strip() for v in field.raw_data or [])


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())
