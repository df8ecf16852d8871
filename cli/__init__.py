"""`flask gia …`: the operator's command line, used by tests and by outside checks of third-party BPMN.

Every command is synchronous (it returns when the instance waits again), prints JSON with `--json`, and on
failure exits 1 with one `error: …` line per problem on stderr (`{"errors": [...]}` with `--json`).
"""
from flask.cli import AppGroup

gia = AppGroup("gia", help="GIA Flow operations: deploy, start, tasks, complete, timers, users, demo data.")


def register(app) -> None:
    from . import demo, events, people, processes, tasks  # noqa: F401  (they add their commands to `gia`)
    app.cli.add_command(gia)
