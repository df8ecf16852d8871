"""How engine errors and refused requests look to people: a message in their language, nothing lost."""
from flask import flash, render_template, request
from flask_babel import gettext as _

from engine.errors import NotFound, PermissionDenied
from . import api
from .guards import UnstorableRequest


def init_app(app):
    @app.errorhandler(NotFound)
    def not_found(exc):
        return render_template("error.html", title=_("Not found"), message=exc.message), 404

    @app.errorhandler(PermissionDenied)
    def denied(exc):
        return render_template("error.html", title=_("Access denied"), message=exc.message), 403

    @app.errorhandler(404)
    def page_not_found(_exc):
        if api.is_api_request(request):  # a URL under /api/v1 that names nothing: JSON, as the API answers
            return api.errors.http_error(_exc)
        return render_template("error.html", title=_("Not found"), message=_("There is no such page.")), 404

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return api.errors.http_error(exc) if api.is_api_request(request) else exc

    @app.errorhandler(413)
    def too_large(_exc):
        return render_template("error.html", title=_("The upload is too large"),
                               message=_("The files sent together are too large. Send smaller files.")), 413

    @app.errorhandler(UnstorableRequest)
    def unstorable(exc):
        return render_template("error.html", title=_("The request was refused"), message=exc.description), 400

    @app.errorhandler(400)
    def bad_request(exc):
        return render_template("error.html", title=_("The request was refused"),
                               message=_("The form has expired or was sent twice. Go back, reload the page "
                                         "and send it again.")), 400


def flash_error(exc) -> None:
    """Show an engine error on the next page. A refusal of access is not a message but a 403/404 page."""
    if isinstance(exc, (PermissionDenied, NotFound)):
        raise exc
    flash(getattr(exc, "message", str(exc)), "error")
