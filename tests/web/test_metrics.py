"""/metrics (issue 16 §5) and the alert rules (§7): refused without the token or an allowed address; the values
follow the data (an overdue task, a failed sign-in, a request, an engine call, a late timer, the last backup);
every alert of deploy/prometheus-alerts.yml names a metric /metrics exports; the operators' page in Russian."""
import math
import re
from datetime import timedelta

import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from config import BASE_DIR
from engine import clock
from engine.db import db
from engine.models import EngineSetting
from engine.ops import BACKUP_KEY
from engine.ops.ticks import wall_now
from tests.conftest import set_manual_clock
from tests.engine.a1 import only, start_check
from tests.web.conftest import csrf, populated

ALERTS = BASE_DIR / "deploy" / "prometheus-alerts.yml"


def _scrape(client) -> dict:
    """{(sample name, ((label, value), ...)): value} of one scrape."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_answer_the_token_or_an_allowed_address_and_no_one_else(primary_app):
    client = primary_app.test_client()
    primary_app.config.update(METRICS_TOKEN="s3cret-token", METRICS_ALLOW="")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-tokeN"}).status_code == 403
    served = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert served.status_code == 200 and served.mimetype == "text/plain"
    assert "gia_instances{" in served.get_data(as_text=True)
    primary_app.config.update(METRICS_TOKEN="", METRICS_ALLOW="10.0.0.0/8, 192.168.1.7")
    assert client.get("/metrics").status_code == 403  # the test client comes from 127.0.0.1
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403  # no token set
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.8"}).status_code == 403


def test_metrics_follow_the_data(app):
    """On both databases: the gauges are SQL of each dialect, read at the scrape."""
    populated(app)  # the organisation and the processes
    set_manual_clock("2021-03-25T09:00:00+03:00")
    scraper = app.test_client()
    before = _scrape(scraper)
    assert _value(before, "gia_last_backup_age_seconds") == math.inf  # never backed up
    assert _value(before, "gia_beat_last_tick_age_seconds") == math.inf

    instance_id = start_check("ppe-17", due="2021-03-19")  # the checklist was due six days ago
    role = only(instance_id, "checklist").role
    intruder = app.test_client()
    intruder.post("/login", data={"login": "tech17", "password": "wrong", "csrf_token": csrf(intruder.get("/login"))})
    late = clock.now() - timedelta(minutes=15)
    db.session.execute(text("UPDATE process_instance SET next_timer_at = :at WHERE id = :id"),
                       {"at": late, "id": instance_id})
    db.session.add(EngineSetting(key=BACKUP_KEY, value=wall_now().isoformat()))  # as the backup writes it
    db.session.commit()
    after = _scrape(scraper)

    assert _value(after, "gia_tasks_open", role=role) == _value(before, "gia_tasks_open", role=role) + 1
    assert _value(after, "gia_tasks_overdue", role=role) == _value(before, "gia_tasks_overdue", role=role) + 1
    assert _value(after, "gia_instances", status="running") == _value(before, "gia_instances", status="running") + 1
    assert _value(after, "gia_timers_due") == 1 and _value(after, "gia_timer_lag_seconds") >= 900
    assert _value(after, "gia_login_failures_total", reason="wrong") == \
        _value(before, "gia_login_failures_total", reason="wrong") + 1
    assert _value(after, "gia_login_failures_last_hour") == _value(before, "gia_login_failures_last_hour") + 1
    login = {"route": "/login", "method": "POST", "status": "200"}
    assert _value(after, "gia_http_requests_total", **login) == _value(before, "gia_http_requests_total", **login) + 1
    assert _value(after, "gia_http_request_duration_seconds_count", route="/login", method="POST") >= 1
    started = {"verb": "start", "outcome": "ok"}
    assert _value(after, "gia_engine_calls_total", **started) == _value(before, "gia_engine_calls_total", **started) + 1
    assert _value(after, "gia_engine_call_duration_seconds_bucket", le="+Inf", **started) == \
        _value(after, "gia_engine_calls_total", **started)
    assert 0 <= _value(after, "gia_last_backup_age_seconds") < 3600
    assert _value(after, "gia_outbox_pending", outbox="message") == 0
    if app.config["CELERY_BROKER_URL"].startswith("redis://"):
        assert ("gia_celery_queue_depth", (("queue", "gia.timers"),)) in after
    # Nothing of any person or unit in the labels: roles, statuses, routes, verbs.
    assert "ППЭ" not in str(after) and "tech17" not in str(after) and "ppe-17" not in str(after)


def test_every_alert_names_a_metric_that_metrics_exports(primary_app):
    exported = {name for name, _labels in _scrape(primary_app.test_client())}
    rules = [rule for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"] for rule in group["rules"]]
    names = {rule["alert"] for rule in rules}
    assert {"GiaTimerLag", "GiaErrorInstancesRising", "GiaOutboxStuck", "GiaNoTimerSweep", "GiaBackupTooOld"} <= names
    for rule in rules:
        used = set(re.findall(r"\bgia_[a-z_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, f"{rule['alert']} uses {used - exported}, which /metrics does not export"
        assert rule["annotations"]["summary"] and rule["labels"]["severity"]


def test_the_operators_page_shows_the_checks_in_russian_to_the_department_and_not_to_a_school(site):
    iao = site("iao").get("/ops/")
    page = iao.get_data(as_text=True)
    assert iao.status_code == 200
    assert "Состояние системы" in page and "База данных отвечает" in page and 'data-check="broker"' in page
    assert 'id="timers-due"' in page and "Открытые задачи по ролям" in page
    assert site("operator").get("/ops/").status_code == 200
    assert site("head17").get("/ops/").status_code == 403


def test_queue_depths_are_read_from_the_embedded_broker(tmp_path):
    """The embedded broker of `make run` (kombu's tables in SQLite): a queued task counts in its queue."""
    from kombu import Connection
    from engine.ops.gauges import queue_depths
    from tests.conftest import make_app
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    application = make_app(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path, CELERY_BROKER_URL=broker)
    with application.app_context():
        assert queue_depths() is None  # no worker has created the broker's tables yet
        with Connection(broker) as connection:  # kombu itself: Celery would take CELERY_BROKER_URL from the env
            queue = connection.SimpleQueue("gia.mail")
            queue.put({"probe": 1})
            queue.close()
        depths = queue_depths()
    assert depths["gia.mail"] == 1 and depths["gia.timers"] == 0
