"""The application factory."""
from flask import Flask
from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

import engine
import forms
from config import Config
from engine.db import db

babel = Babel()
csrf = CSRFProtect()
migrate = Migrate()


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    _ensure_dirs(app)
    engine.init_app(app)
    forms.use_directory(app.config["FORMS_DIR"])
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()),
                     render_as_batch=True)
    from .i18n import select_locale, select_timezone
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from . import guards
    guards.init_app(app)  # before CSRF's check and before any route is added (its `int` converter)
    csrf.init_app(app)

    _one_instant_per_request(app)
    from . import security
    security.init_app(app)  # security headers on every response; the client address behind trusted proxies
    from . import auth, errors, filters, inbox, monitor, plan, tasks
    auth.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    for blueprint in (auth.bp, inbox.bp, tasks.bp, monitor.bp, plan.bp):
        app.register_blueprint(blueprint)
    from . import api, profile
    app.register_blueprint(profile.bp)
    api.init_app(app, csrf)
    from .admin import bp as admin_bp
    app.register_blueprint(admin_bp)
    from .drafts import bp as drafts_bp
    app.register_blueprint(drafts_bp)

    from cli import register
    register(app)

    from engine.jobs import init_celery
    init_celery(app)
    return app


def _one_instant_per_request(app):
    """A request sees one engine time (the clock setting is read once, not at every date on the page)."""
    from flask import g
    from engine import clock

    @app.before_request
    def _enter():
        g.gia_instant = clock.one_instant()
        g.gia_instant.__enter__()

    @app.teardown_request
    def _leave(_exc):
        instant = g.pop("gia_instant", None)
        if instant is not None:
            instant.__exit__(None, None, None)


def _migrations_dir():
    from config import BASE_DIR
    return BASE_DIR / "migrations"


def _ensure_dirs(app):
    from pathlib import Path
    for key in ("UPLOAD_DIR",):
        Path(app.config[key]).mkdir(parents=True, exist_ok=True)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
