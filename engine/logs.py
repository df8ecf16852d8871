"""Log lines that say whose request and which instance and task they are about, and nothing about pupils.

LOG_FORMAT (config.py): "json" writes one JSON object per line (time, level, logger, message, and where known
request_id, user_id, user, instance_id, task_id, job; exception); "text" the same in words; empty (the default)
leaves logging as whatever runs the app sets it up (flask, gunicorn, celery).

Who and what a line is about comes from context variables: the web request sets request_id and the user
(webui/logging_setup.py), a Celery task its id (engine/jobs.py), the engine's step frame the instance and task it
acts on (engine/service/execution.py). Lines log ids, never the data people hand in; as a safety net every line
has СНИЛС and passport-like numbers replaced (REDACTED) before it is written, an exception's text included.
Loggers that would write data wholesale at DEBUG (SQLAlchemy's statements with their parameters, SpiffWorkflow's
task records carrying task data) are kept at WARNING unless configured otherwise.
"""
import json
import logging
import re
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

FIELDS = ("request_id", "user_id", "user", "instance_id", "task_id", "job")
_context: ContextVar[dict] = ContextVar("gia_log_context", default={})

# СНИЛС 123-456-789 01 (also written without separators), passport series and number 45 12 345678 / 4512 345678.
SNILS = re.compile(r"(?<!\d)\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}(?!\d)")
PASSPORT = re.compile(r"(?<!\d)\d{2} ?\d{2} ?(?:№ ?)?\d{6}(?!\d)")
REDACTED = "[скрыто]"
QUIET = ("sqlalchemy", "spiff")  # at DEBUG they would write SQL parameters and task data


def bind(**fields) -> object:
    """Add `fields` to what every line logged in this context carries; returns a token for `unbind`."""
    return _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


def unbind(token) -> None:
    _context.reset(token)


@contextmanager
def context(**fields):
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def current() -> dict:
    return dict(_context.get())


def redact(text: str) -> str:
    return PASSPORT.sub(REDACTED, SNILS.sub(REDACTED, text))


class ContextFilter(logging.Filter):
    """Puts the context's ids on the record (as gia_<field>: SpiffWorkflow's records have a task_id of their own)
    and redacts the message and the exception's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            setattr(record, f"gia_{name}", value)
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; only the fields named here, never a record's extras (which may hold data)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            value = getattr(record, f"gia_{name}", None)
            if value is not None:
                line[name] = value
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{name}={getattr(record, f'gia_{name}')}" for name in FIELDS
                       if getattr(record, f"gia_{name}", None) is not None)
        text = (f"{datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec='seconds')} "
                f"{record.levelname} {record.name}: {record.getMessage()}" + (f" [{ids}]" if ids else ""))
        return text + ("\n" + record.exc_text if record.exc_text else "")


class _Handler(logging.StreamHandler):
    """Ours, so that configuring again replaces it rather than adding a second."""


def configure(log_format: str, level: str = "INFO", stream=None) -> None:
    """Send every log line to `stream` (stderr) in `log_format` ("json" or "text"); "" changes nothing."""
    if not log_format:
        return
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(handler)
    handler = _Handler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET:
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
    # werkzeug's access lines carry query strings (a search for a pupil's name): the request line of
    # webui/logging_setup.py says the same with the path alone.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
