"""Printing results and failures the same way for every command."""
import functools
import json
import os
import sys
import traceback
from datetime import datetime

import click

from engine.errors import EngineError


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def emit(result, as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, default=_default, indent=None))
    else:
        click.echo(text if text is not None else json.dumps(result, ensure_ascii=False, default=_default,
                                                                 indent=2))


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def fail(problems: list[str], as_json: bool, **extra) -> None:
    """Exit 1 reporting `problems`: `error: …` lines on stderr, or {"errors": [...]} (on stderr, and on stdout
    for pipelines that read only one stream) with --json."""
    if as_json:
        payload = json.dumps({"errors": problems, **extra}, ensure_ascii=False, default=_default)
        click.echo(payload, err=True)
        click.echo(payload)
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
    sys.exit(1)


def guarded(func):
    """Turn engine errors and bad arguments into the failure format instead of a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return func(*args, **kwargs)
        except EngineError as exc:
            extra = {"instance_id": exc.instance_id} if getattr(exc, "instance_id", None) else {}
            fail([p if not extra else f"instance {extra['instance_id']}: {p}" for p in exc.problems()],
                 as_json, **extra)
        except click.BadParameter as exc:
            fail([exc.format_message()], as_json)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug or an unforeseen library failure still ends as the contract says
            if os.environ.get("GIA_DEBUG"):
                traceback.print_exc()
            fail([f"internal error: {type(exc).__name__}: {exc}"], as_json)
    return wrapper


def parse_json(text: str | None, what: str = "--data", want_object: bool = True):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc}") from None
    if want_object and not isinstance(value, dict):
        raise click.BadParameter(f"{what} must be a JSON object")
    return value


def parse_moment(text: str | None):
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"--now is not an ISO-8601 date or time: {text!r}") from None


def task_json(task) -> dict:
    return {"id": task.id, "instance_id": task.instance_id, "bpmn_id": task.bpmn_id, "name": task.name,
            "state": task.state, "due": task.due_at.isoformat() if task.due_at else None,
            "role": task.role, "unit": task.unit_code, "form": task.form_key}
