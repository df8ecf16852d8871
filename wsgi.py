"""Entry point for gunicorn (`wsgi:app`), `flask` (found automatically) and Celery (`wsgi:celery`)."""
from webui import create_app

app = create_app()
celery = app.extensions["celery"]
