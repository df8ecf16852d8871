"""The profile page: my API tokens (made, shown once, revoked), my language and e-mail choice, my absences with a
deputy chosen among my colleagues. Every change is a POST with a CSRF token."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

import engine
from engine import clock
from engine.db import db
from engine.errors import EngineError, NotFound
from engine.models import User
from engine.directory import person_name, token_status
from .errors import flash_error

bp = Blueprint("profile", __name__, url_prefix="/profile")


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(_l("Name the token.")), Length(max=200)],
                       description=_l("What it is for, e.g. «reports script»."))
    days = IntegerField(_l("Valid for, days"), validators=[Optional(), NumberRange(1, 3650)],
                        description=_l("Leave empty for a token that works until revoked."))


class SettingsForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[SelectChoice("ru", "Русский"), SelectChoice("en", "English")])
    email_opt_out = BooleanField(_l("Do not send me e-mail"))


class AbsenceForm(FlaskForm):
    deputy = SelectField(_l("Deputy"), validators=[DataRequired(_l("Choose a deputy."))])
    starts_on = DateField(_l("From"), validators=[DataRequired(_l("Enter the first day."))])
    ends_on = DateField(_l("To"), validators=[DataRequired(_l("Enter the last day."))])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: revoking a token, ending an absence."""


def _absence_form(bound: bool = False):
    """The absence form; `bound` to the posted data, or empty."""
    form = AbsenceForm() if bound else AbsenceForm(formdata=None)
    form.deputy.choices = [SelectChoice(u.login, person_name(u))
                           for u in engine.colleagues(current_user)]
    return form


def _page(token_form=None, settings_form=None, absence_form=None, new_token=None, status=200):
    user = current_user
    settings_form = settings_form or SettingsForm(formdata=None, data={"locale": user.locale or "ru",
                                                                       "email_opt_out": user.email_opt_out})
    now = clock.now()
    tokens = [(t, token_status(t, now)) for t in engine.tokens_of(user)]
    absences = engine.absences(user)
    people = {u.id: person_name(u) for u in db.session.scalars(
        select(User).where(User.id.in_({a.user_id for a in absences} | {a.deputy_id for a in absences})))}
    return render_template("profile.html", tokens=tokens, new_token=new_token,
                           token_form=token_form or TokenForm(formdata=None), settings_form=settings_form,
                           absence_form=absence_form or _absence_form(), confirm=ConfirmForm(),
                           absences=absences, people=people), status


@bp.route("", methods=["GET"])
@login_required
def show():
    return _page()


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _page(token_form=form, status=400)
    try:
        row, plaintext = engine.create_token(current_user, form.name.data, form.days.data)
    except EngineError as exc:
        flash_error(exc)
        return _page(token_form=form, status=400)
    # Shown in this answer only (not flashed: the session cookie is signed, not encrypted).
    return _page(new_token={"name": row.name, "plaintext": plaintext})


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    if ConfirmForm().validate_on_submit():
        try:
            row = engine.revoke_token(token_id, current_user)
            flash(_("The token «%(name)s» is revoked.", name=row.name), "success")
        except NotFound:
            raise  # someone else's or no such token: the 404 page (the attempt is recorded)
        except EngineError as exc:
            flash_error(exc)
    return redirect(url_for("profile.show"))


@bp.route("/settings", methods=["POST"])
@login_required
def settings():
    form = SettingsForm()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _page(settings_form=form, status=400)
    engine.set_preferences(current_user, locale=form.locale.data, email_opt_out=form.email_opt_out.data)
    flash(_("Settings saved."), "success")
    return redirect(url_for("profile.show"))


@bp.route("/absences", methods=["POST"])
@login_required
def add_absence():
    form = _absence_form(bound=True)
    if form.validate_on_submit():
        try:
            engine.set_my_absence(current_user, form.deputy.data, form.starts_on.data, form.ends_on.data)
            flash(_("The absence is recorded; your deputy receives your tasks for those days."), "success")
            return redirect(url_for("profile.show"))
        except EngineError as exc:
            flash_error(exc)
    else:
        flash(_("Please correct the highlighted fields."), "error")
    return _page(absence_form=form, status=400)


@bp.route("/absences/<int:absence_id>/end", methods=["POST"])
@login_required
def end_absence(absence_id):
    if ConfirmForm().validate_on_submit():
        engine.end_my_absence(absence_id, current_user)  # someone else's: the 404 page, the attempt recorded
        flash(_("The absence is ended."), "success")
    return redirect(url_for("profile.show"))
