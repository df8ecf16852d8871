"""E-mail for what a step did: a task offered to people, a reminder or escalation a diagram raised.

`queue_step` runs inside the step's transaction (`queue_saved_step`, a subscriber of the step event that
`store.save` emits) and writes EmailOutbox rows, so a message exists exactly when its step does: a step that
fails and rolls back leaves none. Each row has an `event_key` naming the event and the recipient
(`assign:<task>:<user>`, `note:<notification>:<user>`), unique in the table and inserted with ON CONFLICT DO
NOTHING, so one event never makes two messages for one person, whoever writes it and however often. Sending is
`engine.mail.outbox`, from Celery after the commit.

Who receives: the active users the task or notification is offered to (`access.offered_users`: holders of
the role in the unit, city-wide roles, deputies of absent holders) who have an address and have not opted out.
A task with neither role nor unit (offered to everyone) is mailed to no one. When a notification and a task
reach the same person in the same step (an escalation raises both), the notification's mail names the task and
links to it, and no separate «Новая задача» mail is written: one message for one event.

The texts are Russian plain-text Jinja templates in `templates/`: the first line is the subject. Links are
absolute, built from PUBLIC_BASE_URL (the engine knows no web request).
"""
from functools import lru_cache
from pathlib import Path

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import insert, select

from .. import clock, roles, store
from ..access import offer_shape, offered_ids
from ..db import db
from ..events import StepSaved
from ..models import EmailOutbox, Unit, User
from ..models.human_task import TaskStatus
from .outbox import wake_senders

TEMPLATES = Path(__file__).with_name("templates")
PROFILE_PATH = "/profile"  # where a user switches the e-mails off
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True, undefined=StrictUndefined)


def queue_saved_step(step: StepSaved) -> None:
    """Subscriber of `events.on_step_saved`: write the step's messages in its transaction and, when it wrote any,
    wake the senders once the transaction has committed (a worker must find the rows committed)."""
    if (step.fresh or step.notes) and queue_step(step.instance, step.views, step.fresh, step.notes):
        store.after_commit(wake_senders)


def queue_step(instance, views, fresh_ids: set[str], notes: list) -> int:
    """Write the messages for one step: `fresh_ids` are the human tasks that became READY in it, `notes` the
    Notification rows it raised (flushed: they have ids). Returns how many rows were written."""
    ctx = _Context(instance, views)
    rows, told = [], set()  # told: (task id, user id) already named in a notification's mail
    for note in notes:
        role = roles.canonical(note.role)
        if role is None and note.unit_code is None:
            continue
        related = [v for v in ctx.ready if _addressed_alike(v, role, note.unit_code)]
        for user in ctx.recipients(role, note.unit_code):
            told.update((v.id, user.id) for v in related if v.id in fresh_ids)
            rows.append(ctx.render(f"note:{note.id}:{user.id}", user, "notification.txt", kind=note.kind,
                                   text=note.text, unit_name=ctx.unit_name(note.unit_code or instance.unit_code),
                                   tasks=[ctx.task_data(v, v.id in fresh_ids) for v in related]))
    for view in ctx.ready:
        if view.id not in fresh_ids or (view.role is None and view.unit_code is None):
            continue
        for user in ctx.recipients(view.role, view.unit_code):
            if (view.id, user.id) not in told:
                rows.append(ctx.render(f"assign:{view.id}:{user.id}", user, "assignment.txt",
                                       task=ctx.task_data(view, True), link=ctx.task_link(view.id),
                                       unit_name=ctx.unit_name(view.unit_code or instance.unit_code)))
    return insert_rows(rows)


def insert_rows(rows: list[dict]) -> int:
    """Insert outbox rows, skipping any whose event_key is already there (race-safe: the unique index decides,
    a concurrent writer of the same key waits for the other transaction and then inserts nothing)."""
    if not rows:
        return 0
    # Imported here: the PostgreSQL dialect's modules cost more CPU to import than a short `flask gia` command
    # takes, and a process on SQLite never needs them.
    from sqlalchemy.dialects import postgresql, sqlite
    dialect = db.session.get_bind().dialect.name
    make = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if make is None:  # another database: check first (the unique index still refuses a duplicate)
        known = set(db.session.scalars(select(EmailOutbox.event_key)
                                       .where(EmailOutbox.event_key.in_([r["event_key"] for r in rows]))))
        rows = [r for r in rows if r["event_key"] not in known]
        return db.session.execute(insert(EmailOutbox), rows).rowcount if rows else 0
    statement = make(EmailOutbox).on_conflict_do_nothing(index_elements=["event_key"]).returning(EmailOutbox.id)
    return sum(len(db.session.execute(statement.values(**row)).all()) for row in rows)


def _plausible(address: str) -> bool:
    """An address that can go into an envelope and a To: header as it is (no spaces or line breaks)."""
    local, at, domain = address.rpartition("@")
    return bool(local and at and domain) and not any(c.isspace() or ord(c) < 32 for c in address)


@lru_cache(maxsize=None)
def _reachable(shape):
    return (select(User.id, User.email, User.full_name, User.login)
            .where(User.id.in_(offered_ids(shape)), User.email.isnot(None), User.email_opt_out.is_(False))
            .order_by(User.id))


def _addressed_alike(view, role, unit_code) -> bool:
    """Whether the READY task `view` goes to the people a notification to (role, unit) goes to."""
    if role is None:
        return view.role is None and view.unit_code == unit_code
    return view.role == role and (roles.is_city_wide(role) or unit_code is None or view.unit_code == unit_code)


class _Context:
    """What the messages of one step share: links, unit names, recipients per (role, unit), the time."""

    def __init__(self, instance, views):
        self.instance = instance
        self.ready = [v for v in views if v.state == TaskStatus.READY]
        self.base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        self.now = clock.now()
        self._people, self._units = {}, None
        self._codes = {instance.unit_code, *(v.unit_code for v in self.ready)}

    def recipients(self, role, unit_code) -> list:
        """(id, address, name) of the users offered what goes to (role, unit) who take e-mail."""
        key = (role, unit_code)
        if key not in self._people:
            shape, params = offer_shape(role, unit_code)
            seen, chosen = set(), []
            for user in db.session.execute(_reachable(shape), params):
                address = user.email.strip()
                if _plausible(address) and address.casefold() not in seen:
                    seen.add(address.casefold())  # two accounts with one address: one message
                    chosen.append(user)
            self._people[key] = chosen
        return self._people[key]

    def unit_name(self, code) -> str | None:
        if code is None:
            return None
        if self._units is None or code not in self._units:
            codes = self._codes | {code}
            self._units = dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
        return self._units.get(code) or code

    def task_link(self, task_id) -> str:
        return f"{self.base}/tasks/{task_id}"

    def task_data(self, view, new: bool) -> dict:
        due = view.due_at.astimezone(clock.local_zone()).strftime("%d.%m.%Y") if view.due_at else None
        return {"id": view.id, "name": view.name, "due": due, "new": new, "link": self.task_link(view.id)}

    def render(self, event_key, user, template, **values) -> dict:
        text = _env.get_template(template).render(
            user_name=user.full_name or user.login, process_name=self.instance.process_name or self.instance.process_id,
            instance_link=f"{self.base}/instances/{self.instance.id}", profile_link=self.base + PROFILE_PATH,
            **values)
        subject, _, body = text.partition("\n")
        return {"event_key": event_key[:200], "to_addr": user.email.strip()[:300],
                "subject": " ".join(subject.split())[:500], "body": body.lstrip("\n"), "created_at": self.now,
                "attempts": 0}
