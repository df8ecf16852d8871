"""Who is calling the API: a personal token sent as `Authorization: Bearer <token>`, nothing else (the web UI's
session cookie is not accepted, so the API needs no CSRF token). The language it answers in is webui.i18n's."""
from flask import g, request
from flask_babel import gettext as _
from flask_babel import refresh

import engine
from engine.models import User
from .errors import ApiError
from .. import logging_setup


def authenticate() -> None:
    """before_request of every API blueprint: set `g.api_user` or refuse with 401."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise ApiError(401, "unauthorized", _("Send your API token as «Authorization: Bearer <token>»; create a "
                                              "token on your profile page."))
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "unauthorized", _("The Authorization header must be «Bearer <token>»."))
    g.api_user = engine.check_token(value.strip())
    logging_setup.bind_user(g.api_user)  # the request's log lines say who (engine/logs.py)
    refresh()  # the user's own language may now apply (webui.i18n.api_locale)


def api_user() -> User:
    return g.api_user

