"""`flask gia …`: the operator's command line, used by tests and by outside checks of third-party BPMN.

Every command is synchronous (it returns when the instance waits again), prints JSON with `--json`, and on
failure exits 1 with one `error: …` line per problem on stderr (`{"errors": [...]}` with `--json`).
"""
import click
from flask.cli import AppGroup


class GiaCommand(click.Command):
    """A missing or malformed option is a failure like any other: exit 1 with `error: …` (click would exit 2)."""

    def make_context(self, info_name, args, parent=None, **extra):
        from .output import fail
        as_json = "--json" in args
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            fail([exc.format_message()], as_json)


class GiaGroup(AppGroup):
    command_class = GiaCommand

    def group(self, *args, **kwargs):
        kwargs.setdefault("cls", GiaGroup)
        return super().group(*args, **kwargs)


gia = GiaGroup("gia", help="GIA Flow operations: deploy, start, tasks, complete, timers, users, demo data.")


def register(app) -> None:
    from . import demo, events, people, plan, processes, simulation, tasks  # noqa: F401  (they add their commands to `gia`)
    app.cli.add_command(gia)
