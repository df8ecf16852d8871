"""Signing in and out (Flask-Login, hashed passwords, CSRF on every form)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

import engine
from engine import clock, roles
from engine.db import db
from engine.errors import TooManyAttempts
from engine.models import User
from . import logging_setup
from .health import LOGIN_FAILURES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to open this page.")


@login_manager.user_loader
def load_user(user_id):
    """The signed-in user, read with the engine clock's setting, which every page and step asks for."""
    if not str(user_id).isdigit():
        return None
    found = db.session.execute(clock.with_setting(select(User).where(User.id == int(user_id)))).first()
    if found is None:
        return None
    user, mode, at = found
    clock.remember_setting(mode, at)
    if not user.active:
        return None
    logging_setup.bind_user(user)  # the request's log lines say who (engine/logs.py)
    return user


def init_app(app):
    login_manager.init_app(app)


class LoginForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired(_l("Enter your login."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = engine.authenticate(form.login.data.strip(), form.password.data, request.remote_addr)
        except TooManyAttempts as exc:
            LOGIN_FAILURES.labels("throttled").inc()
            flash(exc.message, "error")
            return render_template("login.html", form=form), 429
        if user is not None:
            login_user(user, remember=form.remember.data)
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else _landing(user))
        LOGIN_FAILURES.labels("wrong").inc()
        flash(_("Wrong login or password."), "error")
    return render_template("login.html", form=form)


LANDINGS = {"plan": "plan.index", "incidents": "incidents.index"}  # roles.json `landing` → the page


def _landing(user) -> str:
    """Where a person goes after signing in: her role's landing page (the department's heads: the plan at a glance),
    else the inbox."""
    page = roles.landing(m.role for m in user.memberships)
    return url_for(LANDINGS.get(page, "inbox.index"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
