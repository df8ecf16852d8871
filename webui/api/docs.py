"""/api/v1/docs: the API's page for people, Swagger UI over /api/v1/openapi.json.

Swagger UI's files come from the pinned PyPI package swagger-ui-bundle and are served by the app, never from a CDN.
The page is ours (not flask-smorest's Swagger UI route, whose template has an inline script and takes its files
from a URL): webui/templates/api_docs.html starts Swagger UI with a script file (webui/static/swagger-init.js), so
the app's Content-Security-Policy (webui.security) holds as it is: no inline script; Swagger UI's style sheet
draws its icons as `data:` images, which that policy's img-src allows.
"""
from flask import Blueprint, abort, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"})
CONFIG = {
    "validatorUrl": None,  # Swagger UI would otherwise send the document to validator.swagger.io
    "docExpansion": "list",
    "defaultModelsExpandDepth": 0,
    "persistAuthorization": False,  # a pasted token is not kept in the browser's storage
}

bp = Blueprint("api-docs-ui", __name__, url_prefix="/api/v1/docs")


@bp.route("")
def page():
    return render_template("api_docs.html", spec_url=url_for("api-docs.openapi_json"), config=CONFIG)


@bp.route("/static/<path:filename>")
def file(filename):
    """Only the files the page loads (not the bundle's demo index.html or its OAuth2 redirect page)."""
    if filename not in FILES:
        abort(404)
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
