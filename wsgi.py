"""Entry point for gunicorn (`wsgi:app`), `flask` (found automatically) and Celery (`wsgi:celery`).

`flask gia …` and `flask db …` get the application without its web side (`create_app(web=False)`): they never
serve a request, and importing the web UI, the REST API and Celery would cost more CPU than most commands take.
"""
import click
from flask.cli import FlaskGroup

from webui import create_app


def _runs_own_command() -> bool:
    """Whether `flask` is loading the app to find one of the app's own commands (`gia`, `db`): it does that in its
    top context, while its built-in commands, which serve or show the web side (`run`, `routes`, `shell`), load
    the app in their own context, and gunicorn and Celery load it outside `flask` altogether."""
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.command, FlaskGroup)


app = create_app(web=not _runs_own_command())
celery = app.extensions.get("celery")  # always there for a worker or beat: Celery's command line is not `flask`
