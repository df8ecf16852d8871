"""How the REST API reports a refusal: always JSON, `{"error": {"code", "message", "fields"?}}`, the message in the
caller's language (Russian unless they ask for English), and nothing changed.

Every engine error maps to one status: an unknown or foreign object is 404 (existence is not confirmed), a
refused action on a visible task 403, a bad token 401, invalid data 422 with the messages of each field, a task
already done or changed meanwhile 409.
"""
from flask import jsonify
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, default_exceptions

from engine.errors import (ConflictError, EngineError, IncompatibleState, InvalidData, InvalidState, NotFound,
                           PermissionDenied, ProcessError, TaskNotReady)
from engine.directory import InvalidToken
from ..guards import UnstorableRequest

AUTH_CHALLENGE = 'Bearer realm="GIA Flow"'


class ApiError(Exception):
    """A refusal raised by the API layer itself (bad header, bad parameter)."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def error_response(status: int, code: str, message, fields: dict | None = None, headers: dict | None = None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = _plain(fields)
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = AUTH_CHALLENGE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _plain(messages) -> dict[str, list[str]]:
    """Nested validation messages ({"query": {"page": [...]}} from webargs, {"rows": {0: {...}}} from marshmallow)
    flattened to {"page": ["..."], "rows-0-room": ["..."]}, every message a string."""
    flat = {}

    def walk(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, path + [str(key)])
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
            for inner in value:
                walk(inner, path)
        else:
            items = value if isinstance(value, (list, tuple)) else [value]
            flat.setdefault("-".join(path) or "_schema", []).extend(str(v) for v in items)
    walk(messages, [])
    return flat


_LOCATIONS = ("query", "json", "path", "headers", "form", "files", "view_args")
_ENGINE = ((InvalidToken, 401, "unauthorized"), (NotFound, 404, "not_found"), (PermissionDenied, 403, "forbidden"),
           (InvalidData, 422, "invalid"), (TaskNotReady, 409, "not_ready"), (ConflictError, 409, "conflict"),
           (InvalidState, 409, "invalid_state"), (IncompatibleState, 409, "incompatible_state"),
           (ProcessError, 409, "process_error"))


def engine_error(exc: EngineError):
    for cls, status, code in _ENGINE:
        if isinstance(exc, cls):
            fields = exc.field_errors if isinstance(exc, InvalidData) else None
            if fields is not None:
                return error_response(status, code, _("The data is not valid; see the messages of the fields."),
                                      fields)
            return error_response(status, code, exc.message)
    return error_response(400, "refused", exc.message)


def http_error(exc: HTTPException):
    """Werkzeug's and webargs' refusals, in our shape and language."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if exc.code == 422 and messages:
        if isinstance(messages, dict) and set(messages) <= set(_LOCATIONS):
            messages = {k: v for inner in messages.values() for k, v in (inner.items() if isinstance(inner, dict)
                                                                           else [("_schema", inner)])}
        return error_response(422, "invalid", _("The request is not valid; see the messages of the fields."),
                              messages)
    status = exc.code or 500
    code, message = _HTTP.get(status, ("error", None))
    return error_response(status, code, message() if message else exc.description or exc.name,
                          headers=data.get("headers"))


_HTTP = {
    400: ("bad_request", lambda: _("The request is malformed; send a JSON object with the Content-Type "
                                   "application/json.")),
    401: ("unauthorized", lambda: _("Send your API token as «Authorization: Bearer <token>».")),
    403: ("forbidden", lambda: _("Access denied.")),
    404: ("not_found", lambda: _("There is no such resource.")),
    405: ("method_not_allowed", lambda: _("This method is not allowed here.")),
    406: ("not_acceptable", lambda: _("The API answers in JSON only.")),
    413: ("too_large", lambda: _("The request is too large.")),
    415: ("unsupported_media_type", lambda: _("Send the body as JSON (Content-Type: application/json).")),
    422: ("invalid", lambda: _("The request is not valid.")),
    500: ("server_error", lambda: _("Something went wrong on the server; the administrator has been told.")),
}


def api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def unstorable_request(exc: UnstorableRequest):
    """A NUL character in the query string (webui.guards): said as it is, not as a malformed body."""
    return error_response(400, "bad_request", exc.description)


def register(blueprint) -> None:
    """Handlers on the API blueprint: they are consulted before the web UI's HTML ones."""
    blueprint.register_error_handler(ApiError, api_error)
    blueprint.register_error_handler(UnstorableRequest, unstorable_request)
    blueprint.register_error_handler(EngineError, engine_error)
    for code in default_exceptions:
        blueprint.register_error_handler(code, http_error)
