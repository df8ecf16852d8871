"""Each request's id and user on its log lines (engine/logs.py), the id returned as X-Request-Id, and one line per
request: method, path (never the query string, which may hold a search for a pupil's name), status, time."""
import logging
import re
import time
import uuid

from flask import g, request

from engine import logs

log = logging.getLogger("gia.request")
# An id a proxy or client sent is kept when it looks like one (a trace can then follow it through), else replaced.
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def init_app(app) -> None:
    @app.before_request
    def _begin():
        given = request.headers.get("X-Request-Id", "")
        g.gia_request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex
        g.gia_log_token = logs.bind(request_id=g.gia_request_id)
        g.gia_log_started = time.perf_counter()

    @app.after_request
    def _end(response):
        request_id = g.get("gia_request_id")
        if request_id is None:
            return response
        response.headers["X-Request-Id"] = request_id
        log.info("%s %s %s %.0f ms", request.method, request.path, response.status_code,
                 (time.perf_counter() - g.gia_log_started) * 1000)
        return response

    @app.teardown_request
    def _forget(_exc):
        token = g.pop("gia_log_token", None)
        if token is not None:
            logs.unbind(token)


def bind_user(user) -> None:
    """Called once the request's user is known (webui/auth.py's loaders), so that engine lines carry them."""
    logs.bind(user_id=user.id, user=user.login)
