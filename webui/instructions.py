"""Rendering the instructions a diagram writes for a task (Jinja text over the task data).

Designer-supplied templates run in Jinja's sandbox with autoescaping: they can show data, not reach Python."""
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from engine.sandbox.helpers import add_days, calendar_date, format_date

_env = SandboxedEnvironment(autoescape=True)
_env.globals.update(format_date=format_date, add_days=add_days, calendar_date=calendar_date)


def render(template: str | None, data: dict) -> Markup | None:
    if not template:
        return None
    try:
        text = _env.from_string(template).render(**data)
    except Exception as exc:  # a broken template must not hide the task
        text = f"{template}\n\n[{type(exc).__name__}: {exc}]"
        return Markup("<br>".join(escape(line) for line in text.split("\n")))
    return Markup("<br>".join(text.split("\n")))
