"""Rendering the instructions a diagram writes for a task (Jinja text over the task data).

Designer-supplied templates run in Jinja's sandbox with autoescaping: they can show data, not reach Python."""
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from engine.sandbox.helpers import HELPERS

_env = SandboxedEnvironment(autoescape=True)
# What the diagram's other expressions may call, so that a text reads like a task's due or title: its helpers but
# those that act (notify, unique_id), and max/min, which Jinja has only as filters.
_env.globals.update({name: f for name, f in HELPERS.items() if name not in ("notify", "unique_id")}, max=max, min=min)


def render(template: str | None, data: dict) -> Markup | None:
    if not template:
        return None
    try:
        text = _env.from_string(template).render(**data)
    except Exception as exc:  # a broken template must not hide the task
        text = f"{template}\n\n[{type(exc).__name__}: {exc}]"
        return Markup("<br>".join(escape(line) for line in text.split("\n")))
    return Markup("<br>".join(text.split("\n")))
