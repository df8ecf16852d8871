"""What the installation holds right now, read from the database (and the broker's queues) when asked: the
gauges of /metrics and the operators' page. A handful of aggregate statements over indexed columns, no workflow
restored, nothing about any person or unit (counts by role and status only).

Engine time (`clock.now`) decides what is due and overdue, as the sweep does; wall-clock time measures how old
the background work's marks and the outboxes' rows are.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, create_engine, func, or_, select, text

from .. import clock
from ..db import db
from ..models import EmailOutbox, HumanTask, LoginAttempt, ProcessInstance
from ..models.human_task import TaskStatus
from ..models.instance import InstanceStatus
from ..service.routing import outbox_backlog
from ..service.timers import due as timer_due
from .ticks import BACKUP_KEY, TICK_KEY, age_seconds, marks, wall_now

FAILED_LOGIN_WINDOW = timedelta(hours=1)


@dataclass
class Snapshot:
    tasks_open: dict[str, int] = field(default_factory=dict)  # by role ("" for none)
    tasks_overdue: dict[str, int] = field(default_factory=dict)
    instances: dict[str, int] = field(default_factory=dict)  # by status, every status present (0 when none)
    timers_due: int = 0
    timer_lag_seconds: float = 0.0  # how late the oldest due timer is (0 when none is due)
    outbox: dict[str, dict] = field(default_factory=dict)  # "message"/"email": pending, given_up, oldest_seconds
    mail_enabled: bool = False
    queues: dict[str, int] | None = None  # Celery queue depths; None when the broker is not Redis or is down
    beat_tick_age_seconds: float | None = None  # None: never recorded
    backup_age_seconds: float | None = None
    failed_logins_last_hour: int = 0


def snapshot(queues: bool = True) -> Snapshot:
    """Everything above, read in one transaction that is then ended (a read keeps no snapshot open)."""
    now, wall = clock.now(), wall_now()
    result = Snapshot(mail_enabled=bool(current_app.config.get("SMTP_HOST")))
    try:
        _tasks(result, now)
        _instances(result, now)
        result.outbox["email"] = _email(now)
        seen = marks()
        result.beat_tick_age_seconds = age_seconds(seen[TICK_KEY], wall)
        result.backup_age_seconds = age_seconds(seen[BACKUP_KEY], wall)
        result.failed_logins_last_hour = db.session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= now - FAILED_LOGIN_WINDOW)) or 0
    finally:
        db.session.rollback()
    message = outbox_backlog()  # ends its own read
    result.outbox["message"] = {"pending": message["pending"], "given_up": message["given_up"],
                                "oldest_seconds": message["oldest_seconds"] or 0.0}
    if queues:
        result.queues = queue_depths()
    return result


def _tasks(result: Snapshot, now) -> None:
    ht = HumanTask
    rows = db.session.execute(
        select(ht.role, func.count(), func.count().filter(ht.due_at < now))
        .where(ht.state == TaskStatus.READY).group_by(ht.role)).all()
    for role, count, overdue in rows:
        result.tasks_open[role or ""] = count
        result.tasks_overdue[role or ""] = overdue


def _instances(result: Snapshot, now) -> None:
    pi = ProcessInstance
    result.instances = {status: 0 for status in (*InstanceStatus.ACTIVE, InstanceStatus.ERROR,
                                                 InstanceStatus.SUSPENDED, *InstanceStatus.FINAL)}
    result.instances.update(db.session.execute(select(pi.status, func.count()).group_by(pi.status)).all())
    result.timers_due, result.timer_lag_seconds = due_timers(now)


def due_timers(now) -> tuple[int, float]:
    """How many instances have a due timer and how late the oldest is (seconds; 0 when none): the sweep's own
    condition (engine.service.timers.due)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(ProcessInstance.next_timer_at)).where(timer_due(now))).one()
    return count, max(0.0, (now - clock.aware(oldest)).total_seconds()) if oldest else 0.0


def _email(now) -> dict:
    """Unsent e-mail that will still be tried (engine.mail.outbox: not claimed, uncertain or rejected, attempts
    left) and what was given up, with the age of the oldest waiting one: in engine time, as the outbox writes its
    rows and schedules their retries (the message outbox's rows are in wall-clock time)."""
    eo = EmailOutbox
    attempts = len(current_app.config["MAIL_RETRY_MINUTES"]) + 1
    waiting = and_(eo.sent_at.is_(None), or_(eo.last_error.is_(None), eo.last_error.notlike("[%")),
                   eo.attempts < attempts)
    pending, given_up, oldest = db.session.execute(
        select(func.count().filter(waiting), func.count().filter(and_(eo.sent_at.is_(None), ~waiting)),
               func.min(eo.created_at).filter(waiting))).one()
    age = max(0.0, (now - clock.aware(oldest)).total_seconds()) if oldest else 0.0
    return {"pending": pending, "given_up": given_up, "oldest_seconds": age}


def queue_names() -> list[str]:
    """The Celery queues of this installation (engine.jobs declares them on the app's Celery)."""
    celery = current_app.extensions.get("celery")
    if celery is not None and celery.conf.task_queues:
        return [queue.name for queue in celery.conf.task_queues]
    return [current_app.config["CELERY_QUEUE"]]


def queue_depths() -> dict[str, int] | None:
    """How many messages wait in each queue: on Redis (kombu keeps a queue as a list of that name, and one more per
    priority step) and on the embedded broker (kombu's SQLAlchemy tables); None on another broker or when the
    broker does not answer within the readiness timeout."""
    url = current_app.config["CELERY_BROKER_URL"]
    if url.startswith("sqla+"):
        return _table_depths(url[len("sqla+"):])
    if not url.startswith(("redis://", "rediss://")):
        return None
    timeout = current_app.config.get("READY_BROKER_TIMEOUT_SECONDS", 2.0)
    try:
        client = _redis(url, timeout)
        pipe = client.pipeline(transaction=False)
        names = queue_names()
        for name in names:
            for step in _PRIORITY_SUFFIXES:
                pipe.llen(name + step)
        counts = pipe.execute()
    except Exception:  # noqa: BLE001 - the broker's own check (/readyz) says what is wrong with it
        return None
    per = len(_PRIORITY_SUFFIXES)
    return {name: sum(counts[i * per:(i + 1) * per]) for i, name in enumerate(names)}


_DEPTHS = text("SELECT q.name, count(m.id) FROM kombu_queue q LEFT JOIN kombu_message m "
               "ON m.queue_id = q.id AND m.visible = :visible WHERE q.name IN :names GROUP BY q.name"
               ).bindparams(bindparam("names", expanding=True))


def _table_depths(url: str) -> dict[str, int] | None:
    names = queue_names()
    try:
        with _broker_engine(url).connect() as connection:
            found = dict(connection.execute(_DEPTHS, {"visible": True, "names": names}).all())
    except Exception:  # noqa: BLE001 - no tables yet (no worker has started) or the file is unreadable
        return None
    return {name: found.get(name, 0) for name in names}


def _broker_engine(url: str):
    engine = _clients.get(url)
    if engine is None:
        engine = _clients[url] = create_engine(url)
    return engine


# kombu's Redis transport: priority 0 in the queue's own list, steps 3, 6, 9 in "<name>\x06\x16<step>".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_clients: dict = {}


def _redis(url: str, timeout: float):
    # One client (and its connection pool) per URL for the process, not a new connection per scrape.
    client = _clients.get((url, timeout))
    if client is None:
        import redis
        client = _clients[(url, timeout)] = redis.Redis.from_url(url, socket_connect_timeout=timeout,
                                                                  socket_timeout=timeout)
    return client
