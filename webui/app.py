"""The application factory."""
from flask import Flask
from flask.cli import AppGroup
from flask_babel import Babel

import engine
import forms
from config import Config
from engine.db import db

babel = Babel()


def create_app(overrides: dict | None = None, *, web: bool = True) -> Flask:
    """The whole application: engine, web UI, REST API, `flask` commands and Celery. With `web=False`, what a
    `flask gia …` or `flask db …` command uses: no pages, API or CSRF (nothing is served), Celery only when it has
    mail to wake (the one use a command makes of it), Flask-Migrate set up when a `db` command is asked for.
    Importing those (flask-smorest, marshmallow, Flask-WTF, Alembic, Celery) costs more CPU than most commands."""
    app = Flask(__name__)
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    _ensure_dirs(app)
    from engine import logs
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])  # "" (default): as the runner sets it up
    engine.init_app(app)
    forms.use_directory(app.config["FORMS_DIR"])
    if web:
        _add_migrations(app)
    else:
        app.cli = _MigrationsWhenAsked(app)
    from .i18n import select_locale, select_timezone
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    if web:
        _add_web(app)

    from cli import register
    register(app)

    # A command reaches Celery only through engine.mail.outbox.wake_senders, which does nothing without SMTP_HOST.
    if web or app.config.get("SMTP_HOST"):
        from engine.jobs import init_celery
        init_celery(app)
    return app


def _add_web(app):
    """The pages, the REST API and what guards every request."""
    from flask_wtf import CSRFProtect
    from . import guards, health, logging_setup
    logging_setup.init_app(app)  # first: every response gets its X-Request-Id, every line its request
    guards.init_app(app)  # before CSRF's check and before any route is added (its `int` converter)
    health.init_app(app)  # its request timing first; /healthz, /readyz, /metrics (GET only: no CSRF, no login)
    csrf = CSRFProtect(app)

    _one_instant_per_request(app)
    from . import security
    security.init_app(app)  # security headers on every response; the client address behind trusted proxies
    from . import auth, batches, errors, filters, inbox, incidents, instances, matrix, monitor, plan, repair, tasks
    auth.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    for blueprint in (auth.bp, inbox.bp, tasks.bp, monitor.bp, plan.bp, matrix.bp, incidents.bp, instances.bp,
                      repair.bp, batches.bp):
        app.register_blueprint(blueprint)
    from . import api, profile
    app.register_blueprint(profile.bp)
    api.init_app(app, csrf)
    from .admin import bp as admin_bp
    app.register_blueprint(admin_bp)
    from .drafts import bp as drafts_bp
    app.register_blueprint(drafts_bp)
    from .designer import bp as designer_bp
    from . import designer_forms, designer_new  # noqa: F401  (their routes are on the designer blueprint)
    from . import designer_dryrun  # noqa: F401  (its route is on the designer blueprint)
    from . import designer_form_editor  # noqa: F401  (its routes are on the designer blueprint)
    app.register_blueprint(designer_bp)
    from .designer_diff import bp as designer_diff_bp
    app.register_blueprint(designer_diff_bp)
    from .ops import bp as ops_bp
    app.register_blueprint(ops_bp)


def _add_migrations(app):
    """`flask db …` and Flask-Migrate's functions (`upgrade`) on this app."""
    from flask_migrate import Migrate
    Migrate(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()), render_as_batch=True)


class _MigrationsWhenAsked(AppGroup):
    """The app's `flask` commands, `db` set up only when it is looked up: Flask-Migrate imports Alembic."""

    def __init__(self, app):
        super().__init__(app.cli.name)
        self._app = app

    def get_command(self, ctx, name):
        if name == "db" and "db" not in self.commands:
            _add_migrations(self._app)
        return super().get_command(ctx, name)

    def list_commands(self, ctx):
        return sorted({"db", *super().list_commands(ctx)})


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
