"""The REST API, /api/v1: JSON over HTTP with personal tokens, the same rules as the web UI (it calls the same engine
functions as the token's owner), and an OpenAPI 3 document at /api/v1/openapi.json generated from this code.

Library: flask-smorest (with marshmallow, webargs and apispec, all pinned in requirements.txt). It is maintained
by the marshmallow-code organisation alongside apispec and webargs, fits the Flask app factory and blueprints we
already have, and one declaration per endpoint does three jobs: the marshmallow schema parses and checks the
query string or body, shapes the answer, and becomes the OpenAPI description, so the document cannot drift from
the code. Plain apispec would need the same schemas plus hand-written parsing and path registration.
Two departures from flask-smorest's defaults: its app-wide JSON handler for every HTTP error is not installed (the
web UI keeps its HTML error pages; the API blueprints get their own handlers, see `errors`), and errors have our
shape `{"error": {"code", "message", "fields"}}`, documented as `Error`.
"""
from flask_smorest import Api

from . import definitions, drafts, errors, instances, messages, processes, schemas, tasks  # drafts: routes on the tasks blueprint
from . import docs
from .auth import authenticate
from .body import refuse_deep_json

PREFIX = "/api/v1"
BLUEPRINTS = (tasks.blp, instances.blp, messages.blp, processes.blp, definitions.blp)
for _blueprint in BLUEPRINTS:  # once, at import: a blueprint is set up before its first registration
    _blueprint.before_request(authenticate)
    _blueprint.before_request(refuse_deep_json)
    errors.register(_blueprint)


class GiaApi(Api):
    ERROR_SCHEMA = schemas.Error

    def _register_error_handlers(self):
        """Errors are answered by the API blueprints' own handlers, not app-wide (see `errors.register`)."""


def init_app(app, csrf) -> GiaApi:
    app.config.setdefault("API_TITLE", "GIA Flow")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}],
        "info": {"description": "Tasks and process instances of GIA Flow. Send a personal token (made on the "
                                "profile page) as `Authorization: Bearer <token>`. Errors are "
                                "`{\"error\": {\"code\", \"message\", \"fields\"}}`, in Russian unless "
                                "`Accept-Language: en` is sent."}})
    api = GiaApi(app)
    app.register_blueprint(docs.bp)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    return api


def is_api_request(request) -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")
