"""Celery: the timer sweep that beat triggers, the plan item starts and the e-mail sender, run by workers inside
the Flask application context.

Each kind of work has a queue of its own (QUEUES), so that timers can be drained by workers of their own on as
many machines as needed while mail and plan starts go on beside them. Every task is safe to run on many workers
at once: sweeps claim each instance with SKIP LOCKED (engine/service/timers.py), a plan item starts once per unit
(a unique index), a message is sent at most once (engine/mail/outbox.py).

Timers are never scheduled as long Celery ETAs (a Redis broker re-delivers those after its visibility timeout);
beat triggers a sweep every TIMER_SWEEP_SECONDS and the sweep reads due instances from the database.
"""
import logging
import resource

from celery import Celery, Task, shared_task
from celery.schedules import crontab
from celery.signals import setup_logging, task_postrun, task_prerun, worker_process_init
from kombu import Exchange, Queue

from . import logs
from .mail import send_pending
from .ops.calls import timed
from .ops.ticks import record_tick
from .plan import start_due_items
from .service.batch import resume_stalled, run_batch as run_job
from .service.routing import drain, drain_stale
from .service.timers import advance_timers, has_backlog

log = logging.getLogger(__name__)

# Which queue (by kind of work) each task goes to; the queue is named "<CELERY_QUEUE>.<kind>".
QUEUES = {"gia.sweep_timers": "timers", "gia.start_plan_items": "plan", "gia.send_mail": "mail",
          "gia.clean_broker": "batch", "gia.run_batch": "batch", "gia.backup": "batch",
          # Messages between instances mostly start instances (a school's part of a collection), as plan starts do.
          "gia.drain_outbox": "plan"}


def init_celery(app) -> Celery:
    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["CELERY_BROKER_URL"]
    prefix = app.config["CELERY_QUEUE"]
    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.conf.update(
        broker_url=broker,
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_ignore_result=app.config["CELERY_RESULT_BACKEND"] is None,
        broker_connection_retry_on_startup=True,
        task_default_queue=prefix,
        # Each queue with an exchange and routing key of its own: Celery would otherwise bind them all to the
        # default exchange and key, and every message would reach every queue.
        task_queues=[Queue(name, Exchange(name), routing_key=name)
                     for name in [prefix, *(f"{prefix}.{kind}" for kind in dict.fromkeys(QUEUES.values()))]],
        task_routes={task: {"queue": f"{prefix}.{kind}"} for task, kind in QUEUES.items()},
        timezone="UTC",
        worker_prefetch_multiplier=1,
        task_time_limit=app.config.get("TASK_TIME_LIMIT_SECONDS", 600),
        task_soft_time_limit=app.config.get("TASK_SOFT_TIME_LIMIT_SECONDS", 540),
        beat_schedule={
            "sweep-timers": {"task": "gia.sweep_timers", "schedule": app.config["TIMER_SWEEP_SECONDS"]},
            "start-plan-items": {"task": "gia.start_plan_items", "schedule": app.config["PLAN_SWEEP_SECONDS"]},
            # Mail is sent right after each step (engine.mail.wake_senders); this catches the rest.
            "send-mail": {"task": "gia.send_mail", "schedule": app.config["MAIL_SWEEP_SECONDS"]},
            # Messages between instances are delivered right after each step (engine.service.routing); this
            # delivers what a process killed after its commit, or a request past GIA_OUTBOX_INLINE_LIMIT, left.
            "drain-outbox": {"task": "gia.drain_outbox",
                             "schedule": app.config["GIA_OUTBOX_SWEEP_SECONDS"]},
            # Batch jobs are queued when created (engine.service.batch); this runs one whose worker died.
            "resume-batches": {"task": "gia.run_batch", "schedule": app.config.get("GIA_BATCH_SWEEP_SECONDS", 60.0)},
        },
    )
    if app.config.get("BACKUP_DIR"):
        celery.conf.beat_schedule["backup"] = {"task": "gia.backup",
                                               "schedule": crontab(hour=app.config["BACKUP_HOUR_UTC"], minute=0)}
    if broker.startswith("sqla+"):
        # Without a broker server: poll the SQLite queue every 0.1 s instead of every second (VERIFIED-SETUP.md).
        from kombu.transport import sqlalchemy as kombu_sqla
        kombu_sqla.Transport.polling_interval = 0.1
        celery.conf.beat_schedule["clean-broker"] = {"task": "gia.clean_broker", "schedule": 3600.0}
    # SpiffWorkflow logs every task state change at INFO: a worker at --loglevel=INFO would write a dozen lines
    # for each timer fired. Its warnings and errors still show; configure the "spiff" logger to see more.
    spiff_log = logging.getLogger("spiff")
    if spiff_log.level == logging.NOTSET:
        spiff_log.setLevel(logging.WARNING)
    if app.config.get("LOG_FORMAT"):
        # A receiver here keeps Celery from putting its own handlers on the root logger at worker start: the lines
        # stay as engine/logs.py writes them (LOG_LEVEL, not --loglevel, sets the level then).
        setup_logging.connect(_logging_is_ours, weak=False)
    celery.set_default()
    app.extensions["celery"] = celery
    _memory_limit[0] = app.config.get("WORKER_MEMORY_LIMIT_MB", 2048)
    return celery


_memory_limit = [2048]
_job_contexts: dict = {}


def _logging_is_ours(**_kwargs):
    pass


@task_prerun.connect
def _job_on_log_lines(task_id=None, task=None, **_kwargs):
    # Every line a task causes says which run of which job (the engine adds the instance and task it acts on).
    _job_contexts[task_id] = logs.bind(request_id=task_id, job=getattr(task, "name", None))


@task_postrun.connect
def _job_done(task_id=None, **_kwargs):
    token = _job_contexts.pop(task_id, None)
    if token is not None:
        logs.unbind(token)


@worker_process_init.connect
def _limit_memory(**_kwargs):
    # A backstop only: the sandbox holds each script to SCRIPT_MEMORY_LIMIT_MB in every process
    # (engine/sandbox/limits.py); this caps the whole prefork child against anything it cannot see.
    limit = _memory_limit[0] * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        log.warning("could not limit worker memory to %s MB", _memory_limit[0])


@shared_task(name="gia.sweep_timers")
def sweep_timers() -> dict:
    if has_backlog():
        # More is due than one batch: another sweep lets an idle worker join in now rather than at the next beat.
        # Each sweep asks for at most one, when it starts, so the sweeps queued stay fewer than the workers + 1.
        sweep_timers.apply_async()
    record_tick()  # /readyz and gia_beat_last_tick_age_seconds: beat, the broker and a worker are alive
    result = timed("advance_timers")(advance_timers)()
    if result.fired or result.failed:
        # Counts, and the failures in full: a sweep that drains a backlog fires thousands.
        log.info("timer sweep at %s: fired %s, failed %s", result.now.isoformat(), len(result.fired), result.failed)
    return {"fired": len(result.fired), "failed": len(result.failed)}


@shared_task(name="gia.start_plan_items")
def start_plan_items() -> dict:
    """Start the plan items whose window has opened (engine.plan.running)."""
    result = start_due_items()
    if result.started or result.failed:
        log.info("plan: started %s, failed %s, pending %s", len(result.started), len(result.failed),
                 result.pending)
    return result.as_dict()


@shared_task(name="gia.send_mail")
def send_mail() -> dict:
    """Send the e-mail outbox (at most once per message; see engine.mail.outbox)."""
    result = send_pending()
    if result.sent or result.failed or result.given_up:
        log.info("mail: sent %s, failed %s, given up %s", len(result.sent), len(result.failed),
                 len(result.given_up))
    return result.as_dict()


@shared_task(name="gia.drain_outbox")
def drain_outbox(ids: list[int] | None = None) -> dict:
    """Deliver the message outbox rows `ids` (a request left them past its inline limit), or, from beat, those
    older than GIA_OUTBOX_STALE_SECONDS (left by a process killed after its commit). Exactly once per row."""
    result = drain(ids, inline_limit=len(ids)) if ids else drain_stale()
    if result.delivered or result.failed:
        log.info("outbox: delivered %s, skipped %s, failed %s", result.delivered, result.skipped, result.failed)
    return {"delivered": result.delivered, "skipped": result.skipped, "failed": len(result.failed)}


@shared_task(name="gia.run_batch")
def run_batch(job_id: int | None = None) -> dict:
    """Run batch job `job_id` (engine.service.batch.run_batch: safe beside another worker on the same job), or,
    from beat, the jobs nobody has advanced for GIA_BATCH_STALE_SECONDS (a worker killed half-way)."""
    if job_id is not None:
        return run_job(job_id)
    from flask import current_app
    resumed = resume_stalled(current_app.config.get("GIA_BATCH_STALE_SECONDS", 120.0))
    if resumed:
        log.info("batch: resumed stalled jobs %s", resumed)
    return {"resumed": len(resumed)}


@shared_task(name="gia.backup", time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def backup() -> dict:
    """The nightly backup into BACKUP_DIR, keeping the newest BACKUP_KEEP (engine.ops.backup)."""
    from pathlib import Path
    from flask import current_app
    from .ops.backup import backup as take_backup
    result = take_backup(Path(current_app.config["BACKUP_DIR"]), keep=current_app.config["BACKUP_KEEP"])
    log.info("backup: %s, %s bytes in %.1f s, removed %s", result.path, result.size, result.seconds, result.removed)
    return {"path": str(result.path), "size": result.size, "removed": result.removed}


@shared_task(name="gia.clean_broker")
def clean_broker() -> int:
    """kombu's SQLAlchemy transport keeps consumed messages; drop them."""
    from flask import current_app
    from sqlalchemy import create_engine, text
    url = current_app.config["CELERY_BROKER_URL"][len("sqla+"):]
    with create_engine(url).begin() as conn:
        return conn.execute(text("DELETE FROM kombu_message WHERE visible = 0")).rowcount
