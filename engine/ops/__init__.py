"""Operating the installation (issue 16 §4, §5, §7): is it ready (`readiness`), what it is doing (`snapshot`, read
from the database at scrape time, and the engine calls this process made, `calls.ENGINE_CALLS`), and the marks the
background work leaves (`record_tick` by the timer sweep; `last_backup_at`, written by the backup). The year's
backup, restore and check are modules of their own here (`backup`, `restore`, `check`), imported by name.

Each name is imported when first used, as in `engine`: the engine's face wraps its verbs with `calls.timed`, and a
`flask gia …` command must not pay for the readiness checks (Alembic, kombu) or the Prometheus collectors.
"""
from importlib import import_module

_PROVIDERS = {"ENGINE_CALLS": "calls", "timed": "calls", "record_tick": "ticks", "TICK_KEY": "ticks",
              "BACKUP_KEY": "ticks", "Check": "readiness", "readiness": "readiness", "CHECK_TITLES": "readiness",
              "Snapshot": "gauges", "snapshot": "gauges"}


def __getattr__(name: str):
    if name not in _PROVIDERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_PROVIDERS[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = sorted(_PROVIDERS)
