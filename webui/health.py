"""Health, readiness and metrics (issue 16 §4, §5): what a load balancer, systemd or Prometheus asks, without
signing in.

/healthz: the process answers (no database, nothing else: cheap enough for every second).
/readyz: engine.ops.readiness in JSON, 200 when every check passes, else 503 naming the failing checks.
/metrics: the Prometheus text format, for a Bearer token equal to METRICS_TOKEN or a client address in
METRICS_ALLOW (addresses or networks, default 127.0.0.1 and ::1), else 403. The requests of this process by route
(the URL rule, never the raw path: ids would make a series per object) and status with their latency, its failed
sign-ins, its engine calls (engine.ops.calls), and the installation's state read from the database at each scrape
(engine.ops.metrics). Nothing in them names a person, a unit or a server. With PROMETHEUS_MULTIPROC_DIR set
(`make run`, the systemd units) the counters are those of every process of the machine (all gunicorn workers, the
Celery workers), read from their files at each scrape; without it, this process's own.
"""
import hmac
import ipaddress
import time

from flask import Blueprint, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from engine.ops import ENGINE_CALLS, readiness
from engine.ops.metrics import EngineCallsCollector, StateCollector, multiprocess_dir

bp = Blueprint("health", __name__)

# One registry for the process, made when this module is first imported: the app factory may run many times in
# one process (the tests), and a metric registers once.
REGISTRY = CollectorRegistry()
REQUESTS = Counter("gia_http_requests", "HTTP requests answered", ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("gia_http_request_duration_seconds", "Time to answer HTTP requests",
                    ["route", "method"], registry=REGISTRY,
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
LOGIN_FAILURES = Counter("gia_login_failures", "Failed sign-ins on the login page (wrong: a wrong "
                         "login or password; throttled: refused for too many attempts)", ["reason"],
                         registry=REGISTRY)
# In multiprocess mode the metrics above (and calls.SHARED) write to files instead, and a scrape reads those.
REGISTRY.register(EngineCallsCollector())
REGISTRY.register(StateCollector())
UNMATCHED = "<unmatched>"  # the route label of a path no rule matched (404): one series, not one per path


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    checks = readiness(migrations_dir())
    failing = [check.name for check in checks if not check.ok]
    body = {"status": "fail" if failing else "ok", "failing": failing,
            "checks": {check.name: check.as_dict() for check in checks}}
    return jsonify(body), 503 if failing else 200


def migrations_dir() -> str | None:
    migrate = current_app.extensions.get("migrate")
    return getattr(migrate, "directory", None)


@bp.route("/metrics")
def metrics():
    if not _may_scrape():
        return Response("Forbidden: a Bearer token (METRICS_TOKEN) or an allowed address (METRICS_ALLOW).\n",
                        status=403, mimetype="text/plain")
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    """This process's registry, or one made for this scrape: the files of every process, and the database's state."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    registry.register(StateCollector())
    return registry


def engine_calls() -> dict[tuple[str, str], tuple[int, float]]:
    """{(verb, outcome): (calls, seconds in all)}: of every process when they share the multiprocess directory (the
    operators' page then agrees with /metrics), else of this process."""
    path = multiprocess_dir()
    if path is None:
        return {key: (count, total) for key, (_buckets, total, count) in ENGINE_CALLS.series().items()}
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    found: dict[tuple[str, str], list] = {}
    for metric in registry.collect():
        for sample in metric.samples:
            if sample.name in ("gia_engine_call_duration_seconds_count", "gia_engine_call_duration_seconds_sum"):
                slot = found.setdefault((sample.labels["verb"], sample.labels["outcome"]), [0, 0.0])
                slot[0 if sample.name.endswith("_count") else 1] += sample.value
    return {key: (int(count), total) for key, (count, total) in found.items()}


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[len("Bearer "):].encode(), token.encode()):
        return True
    return _allowed_address(request.remote_addr, current_app.config.get("METRICS_ALLOW", ""))


def _allowed_address(address: str | None, allowed: str) -> bool:
    try:
        client = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    for entry in (part.strip() for part in allowed.split(",")):
        try:
            if entry and client in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a mistyped entry allows nothing
    return False


def _started():
    g.gia_request_started = time.perf_counter()


def _observe(response):
    _count(response.status_code)
    return response


def _count(status) -> None:
    started = g.pop("gia_request_started", None)
    if started is None:
        return
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    REQUESTS.labels(route, request.method, str(status)).inc()
    LATENCY.labels(route, request.method).observe(time.perf_counter() - started)


def _failed(exc):
    if exc is not None:  # an exception Flask did not turn into a response: the client got a 500
        _count(500)


def init_app(app) -> None:
    """Before the other hooks (the NUL guard may refuse a request: its answer is counted too)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_observe)
    app.teardown_request(_failed)
    app.register_blueprint(bp)
