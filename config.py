"""Configuration from environment variables, with defaults that make `make run` work on a fresh machine.

Every setting can be overridden by an environment variable of the same name. The embedded defaults are an
SQLite file and a Celery broker kept in another SQLite file (kombu's SQLAlchemy transport), so nothing but
Python is needed to run the app.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GIA_VAR_DIR", BASE_DIR / "var"))


def _database_url(url: str) -> str:
    # SQLAlchemy picks psycopg2 for plain postgresql:// URLs; we ship psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'gia.sqlite3'}"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
    # Work goes to a queue by its kind (engine/jobs.py QUEUES), named "<CELERY_QUEUE>.<kind>": gia.timers,
    # gia.plan (plan item starts), gia.mail, gia.batch (maintenance), so that each kind can have workers of its
    # own; a worker started without -Q consumes them all. Installations (or test runs) sharing one broker keep
    # apart by giving each its own CELERY_QUEUE.
    CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "gia")
    # How often Celery beat sweeps for due timers (seconds).
    TIMER_SWEEP_SECONDS = float(os.environ.get("TIMER_SWEEP_SECONDS", "30"))
    # How often beat starts the plan items whose window has opened (engine.plan.running).
    PLAN_SWEEP_SECONDS = float(os.environ.get("PLAN_SWEEP_SECONDS", "300"))
    TIMER_SWEEP_BATCH = int(os.environ.get("TIMER_SWEEP_BATCH", "50"))

    # "real" uses the wall clock; "manual" lets only `flask gia timers tick --now` move the engine's time.
    GIA_CLOCK = os.environ.get("GIA_CLOCK", "real")
    # The department works in Moscow time (Makhachkala is UTC+3); dates in forms and timers are read in it.
    GIA_TIMEZONE = os.environ.get("GIA_TIMEZONE", "Europe/Moscow")

    # Limits that keep a diagram from running away with a worker. Each expression or script of a diagram may run
    # for SCRIPT_TIME_LIMIT_SECONDS and grow the process by SCRIPT_MEMORY_LIMIT_MB, wherever it runs (a web request,
    # the CLI, a Celery worker; engine/sandbox/limits.py).
    SCRIPT_TIME_LIMIT_SECONDS = float(os.environ.get("SCRIPT_TIME_LIMIT_SECONDS", "2"))
    SCRIPT_MEMORY_LIMIT_MB = float(os.environ.get("SCRIPT_MEMORY_LIMIT_MB", "256"))
    MAX_ENGINE_STEPS = int(os.environ.get("MAX_ENGINE_STEPS", "20000"))
    MAX_TASKS_PER_INSTANCE = int(os.environ.get("MAX_TASKS_PER_INSTANCE", "20000"))
    MAX_BPMN_BYTES = int(os.environ.get("MAX_BPMN_BYTES", str(5 * 1024 * 1024)))

    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", VAR_DIR / "uploads"))
    # Nightly backups by Celery beat (`flask gia backup`, engine/ops/backup.py) into this folder when set, the newest
    # BACKUP_KEEP kept.
    BACKUP_DIR = os.environ.get("BACKUP_DIR", "")
    BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "7"))
    BACKUP_HOUR_UTC = int(os.environ.get("BACKUP_HOUR_UTC", "23"))  # 02:00 in Moscow, when nobody works on the plan
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES * 4

    # How many reverse proxies in front of the app set X-Forwarded-For (0: the header is ignored and the peer
    # address is the client's; the sign-in throttle counts failures per client address).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "ru")
    BABEL_DEFAULT_TIMEZONE = GIA_TIMEZONE
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "webui" / "translations")
    WTF_CSRF_ENABLED = _bool("WTF_CSRF_ENABLED", True)
    WTF_I18N_ENABLED = True

    # E-mail on assignment, reminder and escalation (engine/mail/: queue.py, outbox.py). Messages are
    # written to the outbox in the step's transaction and sent by Celery after the commit; with SMTP_HOST empty
    # nothing is sent and the messages wait in the outbox until it is set.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    SMTP_SSL = _bool("SMTP_SSL", False)  # TLS from the first byte (port 465) instead of STARTTLS
    SMTP_TIMEOUT_SECONDS = float(os.environ.get("SMTP_TIMEOUT_SECONDS", "20"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "GIA Flow <gia-flow@localhost>")
    # Absolute links in e-mails point here (the engine knows no web request).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # A message is sent at once; when that fails, attempt 2, 3, ... is made this many minutes after the message
    # was written, and after the last one it is given up.
    MAIL_RETRY_MINUTES = [float(m) for m in os.environ.get("MAIL_RETRY_MINUTES", "1,5,15,60,180,720").split(",")]
    MAIL_BATCH = int(os.environ.get("MAIL_BATCH", "100"))
    # Beat's safety net: how often workers look for unsent mail besides the nudge after each step.
    MAIL_SWEEP_SECONDS = float(os.environ.get("MAIL_SWEEP_SECONDS", "60"))
    # Messages between instances (engine.service.routing): how many a request or worker delivers itself after its
    # step (the rest go to a worker), how old a row must be for the sweep to take it as left behind by a killed
    # process, and how often beat sweeps.
    GIA_OUTBOX_INLINE_LIMIT = int(os.environ.get("GIA_OUTBOX_INLINE_LIMIT", "100000"))
    GIA_OUTBOX_STALE_SECONDS = float(os.environ.get("GIA_OUTBOX_STALE_SECONDS", "10"))
    GIA_OUTBOX_SWEEP_SECONDS = float(os.environ.get("GIA_OUTBOX_SWEEP_SECONDS", "10"))

    # Health and metrics (webui/health.py, engine/ops): /readyz fails when the broker does not answer within
    # READY_BROKER_TIMEOUT_SECONDS, when no timer sweep ran for READY_BEAT_MAX_AGE_SECONDS, or when a due timer
    # waits longer than READY_TIMER_LAG_SECONDS. /metrics answers a Bearer METRICS_TOKEN or a client address in
    # METRICS_ALLOW (comma-separated addresses or networks; empty: the token only). Behind a reverse proxy on this
    # machine every client looks like 127.0.0.1: set TRUSTED_PROXIES, or METRICS_ALLOW to the scraper's address.
    READY_BROKER_TIMEOUT_SECONDS = float(os.environ.get("READY_BROKER_TIMEOUT_SECONDS", "2"))
    READY_BEAT_MAX_AGE_SECONDS = float(os.environ.get("READY_BEAT_MAX_AGE_SECONDS", "300"))
    READY_TIMER_LAG_SECONDS = float(os.environ.get("READY_TIMER_LAG_SECONDS", "600"))
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.1,::1")

    # Logs (engine/logs.py): "json" one JSON object per line with the request, user, instance and task ids; "text"
    # the same in words; empty: as flask, gunicorn or celery set logging up. Pupils' data is never logged.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    PROCESSES_DIR = Path(os.environ.get("PROCESSES_DIR", BASE_DIR / "processes"))
    FORMS_DIR = Path(os.environ.get("FORMS_DIR", BASE_DIR / "forms" / "definitions"))
