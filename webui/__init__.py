"""The Flask application: web UI blueprints, the CLI and Celery wired around the engine."""
from .app import create_app

__all__ = ["create_app"]
