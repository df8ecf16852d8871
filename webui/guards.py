"""What no request may bring to the database, refused once for the UI and the API before any view runs.

PostgreSQL refuses a NUL character in text and an integer beyond its column's range; a view that passed either on
to a query would fail with a 500. So every `<int:…>` of every route stops at the column's range (a larger id names
nothing: 404), a NUL in the path is 404 (it names nothing either), and a NUL in the query string or in a posted
form is 400 with a message. (JSON bodies are the API's: webui/api checks them field by field.)
"""
from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from engine.access import MAX_ID

NUL = "\x00"


class DatabaseInteger(IntegerConverter):
    """`<int:…>`: a whole number from 0 to the database's largest integer, else the route does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        largest = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits, min, largest, signed)


class UnstorableRequest(BadRequest):
    """A query string or form with a NUL character: nobody types one, and the database cannot keep it."""
    description = _l("The request contains a NUL character, which no field may hold. Remove it and send again.")


def refuse_nul() -> None:
    """before_request of the whole app."""
    if NUL in request.path:
        abort(404)
    sent = (request.args, request.form, request.files)
    # A multipart part whose name werkzeug cannot read (a bare line break) comes with the key None.
    if any(NUL in (key or "") or any(NUL in value for value in values if isinstance(value, str))
           for multidict in sent for key, values in multidict.lists()):
        raise UnstorableRequest()


def init_app(app) -> None:
    """Before any blueprint is registered: the converter is looked up when a route is added."""
    app.url_map.converters["int"] = DatabaseInteger
    app.before_request(refuse_nul)
