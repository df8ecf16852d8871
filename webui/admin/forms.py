"""The admin pages' forms. The rules live in the engine (engine.directory.rules); these forms carry the
fields, the CSRF token and the engine's answers as field errors."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectChoice, SelectField, StringField

from engine.directory import KIND_LABELS, KINDS


class Required:
    """Marks a field as required on the page (the engine checks it and says what is missing)."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), [Required()],
                       description=_l("Latin letters, digits, «-», «_», «.», e.g. school-17 or ppe-17. "
                                      "It cannot be changed later: processes find the unit by it."))
    name = StringField(_l("Name"), [Required()])
    kind = SelectField(_l("Kind"), [Required()], validate_choice=False,
                       choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS])
    parent = SelectField(_l("Parent unit"), validate_choice=False)
    host = SelectField(_l("Host school (for a PPE)"), validate_choice=False)
    number = StringField(_l("PPE number"))
    auditoriums = StringField(_l("Auditoriums"), description=_l("How many rooms the PPE checklist lists."))
    exams = StringField(_l("Exams at the PPE"),
                        description=_l("Empty: every exam. Comma-separated: ege, oge or exam calendar keys "
                                       "(ege_math_profile…)."))


class UserForm(FlaskForm):
    login = StringField(_l("Login"), [Required()], description=_l("Without spaces. It cannot be changed later."))
    full_name = StringField(_l("Full name"), [Required()])
    email = StringField(_l("E-mail"))
    password = PasswordField(_l("New password"), description=_l("At least 8 characters. Leave empty to keep the "
                                                               "current password."))


class MembershipForm(FlaskForm):
    role = SelectField(_l("Role"), validate_choice=False)
    unit = SelectField(_l("Unit"), validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField(_l("Excel file (.xlsx)"), validators=[FileRequired(_l("Choose the file to import."))])


def choices(pairs) -> list:
    return [SelectChoice(value, label) for value, label in pairs]


def show_errors(form, field_errors: dict) -> None:
    """Put the engine's problems under the form's fields (the rest go to the form as a whole)."""
    for name, messages in field_errors.items():
        target = form[name] if name in form else None
        if target is not None:
            target.errors = list(target.errors or []) + [str(m) for m in messages]
        else:
            form.form_errors.extend(str(m) for m in messages)
