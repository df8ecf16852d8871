"""Read-only views for people: a task with its data and form, an instance with its trail (and what the operator's
page reads inside it: engine.service.instance_state), an activity's instances, a user's notifications. Every view
checks visibility through engine.access."""
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from uuid import UUID

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from .. import attachments, audit, clock, runtime, store
from ..access.denials import refuse
from ..access.guards import readable_task_in
from ..access.rules import can_view_instance, instance_filter, may_act, memberships, visible_units
from ..db import db
from ..directory.naming import natural_key, people_names, unit_names
from ..errors import NotFound
from ..models import (Attachment, AuditEvent, DeployedProcess, HumanTask, Notification, ProcessInstance,
                      TaskSubmission, User)
from ..models.instance import InstanceStatus
from ..roles import is_city_wide
from .exports import tables_of
from .instance_state import inside
from .instances import latest
from .jsonsafe import jsonsafe
from .progress import PROBLEMS, Progress, instance_states, progress_by
from .repair import movable
from .submitted import handed_in


@dataclass
class TaskPage:
    """A task as its page shows it. What only the workflow holds (the task's data, its instructions and
    documentation, what was handed in) is restored on first use, once: a POST that completes the task needs none
    of it (the engine restores the workflow under its lock), a page shown needs it once."""
    task: HumanTask
    instance: ProcessInstance
    may_act: bool
    user: User

    @cached_property
    def files(self) -> list:
        return _files(self.instance, self.user)

    @cached_property
    def unit_name(self) -> str | None:
        return unit_names([self.task.unit_code]).get(self.task.unit_code) if self.task.unit_code else None

    @cached_property
    def _workflow(self):
        return store.workflow_of(self.instance)

    @cached_property
    def spiff_task(self):
        """The workflow's task; None for a finished one the workflow has cut (engine.bpmn.pruning) or dropped."""
        try:
            return self._workflow.get_task_from_id(UUID(self.task.id))
        except Exception:
            return None

    @cached_property
    def _spec(self):
        """The task's element: from its task, else (a finished task cut from the tree) by its BPMN id."""
        if self.spiff_task is not None:
            return self.spiff_task.task_spec
        return runtime.element(self._workflow, self.task.bpmn_id)

    @cached_property
    def data(self) -> dict:
        return jsonsafe(self.spiff_task.data) if self.spiff_task else {}

    @property
    def instructions(self) -> str | None:
        """The instructions, while the workflow holds the task's data to fill them in: those of a finished task cut
        from the tree are left out rather than filled in with data of a later moment (what was handed in is
        shown either way)."""
        return self._extensions.get("instructionsForEndUser") if self.spiff_task else None

    @property
    def documentation(self) -> str | None:
        return getattr(self._spec, "documentation", None)

    @cached_property
    def handed_in(self) -> list:
        """What was submitted, as engine.submitted gives it, read from the workflow this page restored."""
        return handed_in(self.task, lambda: self.spiff_task)

    @property
    def _extensions(self) -> dict:
        return getattr(self._spec, "extensions", {}) or {}


def task_page(task_id: str, user: User) -> TaskPage:
    """The task's page, if `user` may see the task: otherwise NotFound as for a task that does not exist, the
    attempt audited (engine.readable_task), so that ids of another school's tasks cannot be probed."""
    task, instance = readable_task_in(task_id, user, with_state=True)  # a page shown restores it, a POST steps it
    return TaskPage(task=task, instance=instance, may_act=task.state == "READY" and may_act(user, task), user=user)


def _files(instance: ProcessInstance, user: User) -> list[Attachment]:
    """The instance's files the user may open (attachments.visible_to): all of them for whoever sees the
    instance, otherwise those of the tasks she may see."""
    files = db.session.scalars(select(Attachment).where(Attachment.instance_id == instance.id).order_by(Attachment.id))
    if can_view_instance(user, instance):
        return list(files)
    return [f for f in files if attachments.visible_to(f, user)]


def instance_page(instance_id: int, user: User) -> dict:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    if not can_view_instance(user, instance):
        refuse(user, "view instance", instance_id=instance.id)
    tasks = list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                    .order_by(HumanTask.created_at, HumanTask.seq)))
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                     .order_by(AuditEvent.id)))
    handed = _handed_in_by_task(instance_id)
    names = people_names({instance.started_by, *(t.completed_by for t in tasks), *(e.actor for e in events),
                          *(s.submitted_by for rows in handed.values() for s in rows)})
    state = instance_states([instance], {instance.id: [t for t in tasks if t.state == "READY"]}, clock.now())
    return {"instance": instance, "tasks": tasks, "trail": trail_rows(events, names), "names": names,
            "state": state[instance.id], "tables": tables_of(instance),
            "unit_name": unit_names([instance.unit_code]).get(instance.unit_code),
            # The operator's side (issue 13 §6): the workflow's variables, timers and waits, what was handed in
            # for each task, and which tasks can be skipped, returned to, or have their deadline moved.
            "inside": inside(store.workflow_of(instance), instance.status in InstanceStatus.FINAL),
            "handed_in": handed,
            "movable": {t.id for t in tasks if t.state == "READY" and movable(instance, t.bpmn_id)}}


@dataclass
class HandedIn:
    """One submission of a task (engine.service.history) as the instance page shows it: its data as JSON text."""
    submitted_by: str
    submitted_at: datetime
    late_days: int | None
    as_admin: bool
    data_json: str


def _handed_in_by_task(instance_id: int) -> dict[str, list[HandedIn]]:
    """The instance's submissions by task, in the order they were made."""
    found = {}
    for row in db.session.scalars(select(TaskSubmission).where(TaskSubmission.instance_id == instance_id)
                                  .order_by(TaskSubmission.submitted_at, TaskSubmission.id)):
        found.setdefault(row.task_id, []).append(HandedIn(
            row.submitted_by, row.submitted_at, row.late_days, row.as_admin,
            json.dumps(row.data, ensure_ascii=False, indent=2, sort_keys=True)))
    return found


@dataclass
class TrailRow:
    """One line of an audit trail as people read it: who by name (`login` for a tooltip) and what in words."""
    at: datetime
    who: str
    login: str
    what: str
    task_name: str | None
    detail: str | None


def trail_rows(events: list[AuditEvent], names: dict[str, str] | None = None) -> list[TrailRow]:
    names = people_names({e.actor for e in events}) if names is None else names
    return [TrailRow(at=e.at, who=names.get(e.actor, e.actor), login=e.actor, what=audit.label(e.action),
                     task_name=e.task_name,
                     detail=audit.attempt(e.message) if e.action == "denied" else e.message or _reason(e.summary))
            for e in events]


def _reason(summary) -> str | None:
    """The reason an operator gave for a repair (engine.service.repair), shown beside it in the trail."""
    reason = summary.get("reason") if isinstance(summary, dict) else None
    return str(reason) if reason else None


def activities(user: User) -> list[dict]:
    """The latest version of each deployed process, with its progress over the instances `user` may see (read
    as a plan item's is: engine.service.progress)."""
    rows = {}
    for row in db.session.scalars(select(DeployedProcess).where(DeployedProcess.kind == "process")
                                  .order_by(DeployedProcess.deployment_id)):
        rows[row.bpmn_id] = row
    units = visible_units(user)
    found = progress_by(ProcessInstance.process_id, ProcessInstance.process_id.in_(list(rows)),
                        *(() if units is None else (instance_filter(units),)), now=clock.now())
    return [{"bpmn_id": bpmn_id, "name": row.name or bpmn_id, "version": row.deployment_id,
             "progress": found.get(bpmn_id, Progress())}
            for bpmn_id, row in sorted(rows.items(), key=lambda kv: natural_key(kv[1].name or kv[0]))]


def activity_page(bpmn_id: str, user: User, problems_only: bool = False) -> dict:
    process = latest(bpmn_id)
    instances = _visible_instances(user, bpmn_id)
    return {"process": process, **instance_table(instances, problems_only)}


def instance_table(instances: list[ProcessInstance], problems_only: bool = False) -> dict:
    """What a table of instances by unit shows: the instances in the natural order of their units' names (№2
    before №10), each one's state (engine.service.progress) and open tasks (nearest due first), and the names
    of their units. `problems_only`: only the overdue and those in error."""
    open_tasks = {}
    for task in db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id.in_([i.id for i in instances]), HumanTask.state == "READY")
            .order_by(HumanTask.due_at)):
        open_tasks.setdefault(task.instance_id, []).append(task)
    names = unit_names({i.unit_code for i in instances})
    states = instance_states(instances, open_tasks, clock.now())
    shown = [i for i in instances if not problems_only or states[i.id] in PROBLEMS]
    shown.sort(key=lambda i: (natural_key(names.get(i.unit_code, i.unit_code or "")), i.id))
    return {"instances": shown, "open_tasks": open_tasks, "unit_names": names, "states": states,
            "problems_only": problems_only, "total": len(instances)}


def _visible_instances(user: User, bpmn_id: str) -> list[ProcessInstance]:
    """The instances of `bpmn_id` that `user` may see (the rule of engine.access.can_view_instance, in SQL)."""
    query = select(ProcessInstance).where(ProcessInstance.process_id == bpmn_id)
    units = visible_units(user)
    if units is not None:
        query = query.where(instance_filter(units))
    return list(db.session.scalars(query.order_by(ProcessInstance.unit_code, ProcessInstance.id)))


def notifications(user: User, limit: int = 20, held: list | None = None) -> list[Notification]:
    """The latest notifications addressed to a role `user` holds (in its unit, or city-wide). `held`: the
    user's memberships when the caller has just read them (saves the query)."""
    addressed = notification_filter(memberships(user) if held is None else held)
    if addressed is None:
        return []
    return list(db.session.scalars(select(Notification).where(addressed)
                                   .order_by(Notification.id.desc()).limit(limit)))


def notification_filter(held: list):
    """The notifications addressed to a role of `held` as a condition on Notification; None when none can be."""
    clauses = [Notification.role == h.role if is_city_wide(h.role)
               else and_(Notification.role == h.role, Notification.unit_code == h.unit) for h in held]
    return or_(*clauses) if clauses else None
