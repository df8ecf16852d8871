"""/healthz and /readyz (issue 16 §4): no sign-in, JSON, nothing secret; ready once a timer sweep has run, and
503 naming the failing check when the schema is not the code's, the broker does not answer or a timer is late."""
import socket
from datetime import timedelta

from sqlalchemy import text

from engine import clock, jobs
from engine.db import db
from engine.ops import ticks

CHECKS = {"database", "migrations", "broker", "beat", "timers"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _no_secrets(app, body: str) -> None:
    # Neither the database's nor the broker's address (host, port, user, password) nor the driver's words.
    for url in (app.config["SQLALCHEMY_DATABASE_URI"], app.config["CELERY_BROKER_URL"]):
        for part in filter(None, url.replace("@", "/").replace(":", "/").replace("?", "/").split("/")):
            if len(part) > 3 and part not in ("redis", "test"):
                assert part not in body, f"{part!r} of a URL is in the answer"
    assert "Traceback" not in body and "OperationalError" not in body


def test_healthz_answers_without_signing_in(primary_app):
    response = primary_app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_waits_for_the_first_timer_sweep_then_is_ready_and_says_nothing_secret(app, monkeypatch):
    """On both databases: the sweep's tick is an insert-or-update of each dialect."""
    client = app.test_client()
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.get_json()["failing"] == ["beat"], before.get_json()
    monkeypatch.setattr(ticks, "_last_written", [float("-inf")])  # this process may have written one already
    jobs.sweep_timers.run()  # what a worker runs when beat asks
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failing"] == [] and set(body["checks"]) == CHECKS
    assert all(check["ok"] and check["title"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["database"] == body["checks"]["migrations"]["code"] != []
    assert body["checks"]["beat"]["age_seconds"] < 60
    _no_secrets(app, response.get_data(as_text=True))
    jobs.sweep_timers.run()  # a second tick updates the row (throttled within a process: force it)
    ticks.record_tick(force=True)
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_naming_the_schema_when_the_database_is_not_at_the_codes_revision(primary_app):
    ticks.record_tick(force=True)
    (current,) = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
    db.session.execute(text("UPDATE alembic_version SET version_num = 'older0001'"))
    db.session.commit()
    try:
        response = primary_app.test_client().get("/readyz")
    finally:  # the PostgreSQL schema serves the session's other tests
        db.session.rollback()
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()
    body = response.get_json()
    assert response.status_code == 503 and body["failing"] == ["migrations"], body
    assert body["checks"]["migrations"]["database"] == ["older0001"]
    assert body["checks"]["migrations"]["code"] == [current]


def test_readyz_fails_naming_the_broker_when_it_does_not_answer(primary_app):
    ticks.record_tick(force=True)
    primary_app.config["CELERY_BROKER_URL"] = f"redis://gia:pa55word@127.0.0.1:{_closed_port()}/0"
    response = primary_app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failing"] == ["broker"], body
    assert body["checks"]["broker"]["reason"] == "unreachable"
    assert "pa55word" not in response.get_data(as_text=True)
    _no_secrets(primary_app, response.get_data(as_text=True))


def test_readyz_fails_naming_the_timers_when_a_due_timer_waits_past_the_threshold(site, primary_app):
    from tests.engine.a1 import start_check
    ticks.record_tick(force=True)
    instance_id = start_check("ppe-17", due="2031-03-19")
    late = clock.now() - timedelta(minutes=20)
    db.session.execute(text("UPDATE process_instance SET next_timer_at = :at WHERE id = :id"),
                       {"at": late, "id": instance_id})
    db.session.commit()
    body = primary_app.test_client().get("/readyz").get_json()
    assert body["failing"] == ["timers"], body
    assert body["checks"]["timers"]["due"] == 1 and body["checks"]["timers"]["lag_seconds"] >= 1200
    primary_app.config["READY_TIMER_LAG_SECONDS"] = 3600
    assert primary_app.test_client().get("/readyz").status_code == 200
