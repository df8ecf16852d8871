"""`flask gia …`: the operator's command line, used by tests and by outside checks of third-party BPMN.

Every command is synchronous (it returns when the instance waits again), prints JSON with `--json`, and on
failure exits 1 with one `error: …` line per problem on stderr (`{"errors": [...]}` with `--json`).
"""
from importlib import import_module

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


# command -> the module of this package that adds it to `gia`. A command imports its own module (and what that
# imports) when it is looked up, not the demo's city or the year's simulation (issue 12 §7).
COMMANDS = {
    "deploy": "processes", "start": "processes", "instance": "processes",
    "tasks": "tasks", "claim": "tasks", "complete": "tasks",
    "message": "events", "signal": "events", "timers": "events", "clock": "events",
    "user": "people", "plan": "plan", "demo": "demo", "simulate": "simulate",
    "backup": "ops", "restore": "ops", "check": "ops",
}


class _LazyGia(GiaGroup):
    def get_command(self, ctx, name):
        if name not in self.commands and name in COMMANDS:
            import_module(f".{COMMANDS[name]}", __name__)
        return super().get_command(ctx, name)

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self.commands})


gia = _LazyGia("gia", help="GIA Flow operations: deploy, start, tasks, complete, timers, users, demo data.")


def register(app) -> None:
    app.cli.add_command(gia)
