"""What each batch action does to one instance (engine.service.batch runs them): the statuses it can act in, read
from the status column for the preview and before acting, why it refuses the others, and the act itself, through
the instance verbs with the operator's reason. `params` are checked once, when the job is created."""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, store
from ..access.rules import offered_to
from ..db import db
from ..directory.people import user_by_login
from ..errors import EngineError, NotFound
from ..models import Deployment, HumanTask
from ..models.human_task import TaskStatus
from ..models.instance import InstanceStatus
from .. import actions
from . import instances

MAX_SHIFT_DAYS = 365
# Statuses in which an instance can have open (READY) human tasks: running, or held with its tasks hidden.
_WITH_OPEN_TASKS = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, InstanceStatus.ERROR)


@dataclass(frozen=True)
class BatchAction:
    """`allowed`: the statuses it can act in; `why_not`: the reason shown in the preview for the others;
    `refusal`: the message an item gets for one (with %(id)s and %(status)s); `act(instance_id, job)` acts on one
    instance inside the caller's transaction, raises an EngineError to refuse, and may return a note for the
    item (what it could not do beside what it did). `check(instance_id, params)`, where the status alone does not
    tell, says why one instance would be refused (None: it would be done): the preview gives each instance its
    verdict from it."""
    name: str
    title: object
    allowed: tuple
    why_not: object
    refusal: object
    act: Callable
    check: Callable | None = None


def _verb(verb):
    def act(instance_id: int, job) -> None:
        verb(instance_id, job.created_by, reason=job.reason)
    return act


def _reassign(instance_id: int, job) -> None:
    """Give every open human task of the instance to the named user, where the task is offered to her (role and
    unit): an operator's verb, audited "reassign" per task with the reason. Refused when none could be given."""
    target = user_by_login(job.params["assignee"])
    instance = store.lock(instance_id)  # no step changes its tasks meanwhile
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.state == TaskStatus.READY)
                               .order_by(HumanTask.seq)).all()
    if not target.active:
        raise EngineError(_l("%(name)s is deactivated; tasks cannot be given to them."),
                          name=target.full_name or target.login)
    given = [task for task in tasks if offered_to(target, task)]
    if not given:
        raise EngineError(_l("The instance has no open task that %(name)s may take."),
                          name=target.full_name or target.login)
    for task in given:
        previous = task.assignee_id
        task.assignee_id = target.id
        audit.record("reassign", job.created_by, instance_id=instance.id, task=task, message=job.reason,
                     summary={"to": target.login, "from_assignee": previous, "batch": job.id})
    db.session.flush()


def _move_due(instance_id: int, job) -> str | None:
    """Every open task's deadline moved by `days`, or set to `due` (engine.service.repair.move_task_due, a step
    per task). Refused when no task moved; the tasks refused beside one that moved are named in the item."""
    from .repair import move_task_due
    tasks = db.session.execute(select(HumanTask.id, HumanTask.name, HumanTask.due_at).where(
        HumanTask.instance_id == instance_id, HumanTask.state == TaskStatus.READY)
        .order_by(HumanTask.seq)).all()
    moved, problems = 0, []
    for task_id, name, due_at in tasks:
        if "due" in job.params:
            due = date.fromisoformat(job.params["due"])
        elif due_at is not None:
            due = due_at.astimezone(clock.local_zone()).date() + timedelta(days=job.params["days"])
        else:
            problems.append(str(_l("«%(task)s» has no deadline to move.", task=name)))
            continue
        try:
            move_task_due(task_id, due, job.created_by, job.reason)
            moved += 1
        except EngineError as exc:
            problems.append(f"«{name}»: {exc.message}")
    if not moved:
        raise EngineError(_l("No deadline was moved: %(why)s"),
                          why="; ".join(problems) or str(_l("Instance %(id)s has no open task.", id=instance_id)))
    return "; ".join(problems) or None


def _migrate(instance_id: int, job) -> None:
    """Move the instance to the version `version` (engine.service.migration): refused, with the reason, when its
    token sits on an element the version removed or changed."""
    from .migration import migrate
    migrate(instance_id, job.params["version"], job.created_by, job.reason)


def _migration_check(instance_id: int, params: dict) -> str | None:
    from .migration import migration_check
    return migration_check(instance_id, params["version"])


def _has_repair() -> bool:
    try:
        from . import repair
    except ImportError:
        return False
    return hasattr(repair, "move_task_due")


_ACTIONS = [
    BatchAction("retry", _l("Repeat the failed step"), actions.Retry.allowed, _l("not in error"),
                actions.Retry.refusal, _verb(instances.retry)),
    BatchAction("suspend", _l("Suspend the instances"), actions.Suspend.allowed, _l("not running"),
                actions.Suspend.refusal, _verb(instances.suspend)),
    BatchAction("resume", _l("Resume the instances"), actions.Resume.allowed, _l("not suspended"),
                actions.Resume.refusal, _verb(instances.resume)),
    BatchAction("cancel", _l("Cancel the instances"), actions.Cancel.allowed, _l("already completed or cancelled"),
                actions.Cancel.refusal, _verb(instances.cancel)),
    BatchAction("reassign", _l("Hand open tasks over"), _WITH_OPEN_TASKS, _l("no open tasks"),
                _l("Instance %(id)s has no open task."), _reassign),
    BatchAction("move_due", _l("Move due dates"), _WITH_OPEN_TASKS, _l("no open tasks"),
                _l("Instance %(id)s has no open task."), _move_due),
    BatchAction("migrate", _l("Move to another version"), InstanceStatus.ACTIVE, _l("not running"),
                _l("Instance %(id)s is %(status)s: only a running instance moves to another version."), _migrate,
                check=_migration_check),
]
ACTIONS = {a.name: a for a in _ACTIONS if a.name != "move_due" or _has_repair()}


def action(name: str) -> BatchAction:
    if name not in ACTIONS:
        raise EngineError(_l("Unknown batch action %(action)s."), action=name)
    return ACTIONS[name]


def checked_params(name: str, params: dict | None) -> dict:
    """The parameters `name` takes, checked and normalised: reassign {"assignee": login of an active user};
    move_due {"days": ±1..365} or {"due": ISO date not in the past}; migrate {"version": a deployed version};
    the others none."""
    params = params or {}
    if name == "migrate":
        version = str(params.get("version", "")).strip()
        if not version.isdigit() or len(version) > 9 or db.session.get(Deployment, int(version)) is None:
            raise EngineError(_l("Choose the version to move the instances to."))
        return {"version": int(version)}
    if name == "reassign":
        login = str(params.get("assignee") or "").strip()
        try:
            user = user_by_login(login)
        except NotFound:
            user = None
        if user is None or not user.active:
            raise EngineError(_l("Choose an active user to hand the tasks to."))
        return {"assignee": user.login}
    if name == "move_due":
        if params.get("due"):
            try:
                due = date.fromisoformat(str(params["due"]))
            except ValueError:
                raise EngineError(_l("The new due date is not a date.")) from None
            if due < clock.now().astimezone(clock.local_zone()).date():
                raise EngineError(_l("The new due date is in the past."))
            return {"due": due.isoformat()}
        try:
            days = int(str(params.get("days", "")).strip())
        except ValueError:
            raise EngineError(_l("Give the number of days to move the due dates by, or a new date.")) from None
        if days == 0 or abs(days) > MAX_SHIFT_DAYS:
            raise EngineError(_l("Move the due dates by 1 to %(max)s days, forward or back."), max=MAX_SHIFT_DAYS)
        return {"days": days}
    return {}
