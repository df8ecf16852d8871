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
        if field.process_errors:
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
        if field.process_errors:
            raise StopValidation()  # the value could not even be read; that message says more
        if _is_empty(field.data):
            field.errors[:] = []
            raise StopValidation(self.message)


class Optional:
    field_flags = {"optional": True}

    def __call__(self, form, field):
        if _is_empty(field.data) and not field.process_errors:
            field.errors[:] = []
            raise StopValidation()


class EmailAddress:
    def __call__(self, form, field):
        if field.data and not EMAIL.match(field.data):
            raise ValidationError(_l("Enter a valid e-mail address."))


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


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())
