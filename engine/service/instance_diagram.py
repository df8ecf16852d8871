"""One instance on its version's diagram (issue 13 §3): the path it took (the elements passed, in order, from the
workflow's trail and its task rows), how often it passed each, where it stands now (people's tasks ready, timers
and messages awaited, the element a failed or stalled step stopped at), and its tasks. One workflow restored: the
trail is kept in it (engine.runtime.stamp), since finished tasks are cut from the tree."""
from collections import Counter
from uuid import UUID

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from .. import runtime, store
from ..access.guards import readable_instance
from ..db import db
from ..directory.naming import people_names, unit_names
from ..models import DeployedProcess, HumanTask, User
from ..models.instance import InstanceStatus
from ..projection import kind_of
from .diagrams import diagram_xml, element_names


UNNAMED = {"StartEvent": _l("Start event"), "EndEvent": _l("End event"), "ExclusiveGateway": _l("Exclusive gateway"),
           "ParallelGateway": _l("Parallel gateway"), "InclusiveGateway": _l("Inclusive gateway"),
           "EventBasedGateway": _l("Event-based gateway")}


def instance_diagram(instance_id: int, user: User) -> dict:
    """{instance, process, xml, path: [bpmn id, ...] oldest first, elements: {bpmn id: {name, passes}},
    current: [bpmn id, ...], stopped: bpmn id or None, tasks, who: {task id: login}, names: {login: name},
    unit_name}. NotFound for an instance `user`
    may not see, as for one that does not exist."""
    instance = readable_instance(instance_id, user)
    process = db.session.scalar(select(DeployedProcess).where(DeployedProcess.bpmn_id == instance.process_id,
                                                              DeployedProcess.deployment_id == instance.deployment_id))
    tasks = list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                    .order_by(HumanTask.created_at, HumanTask.seq)))
    workflow = store.workflow_of(instance)
    trail = runtime.trail(workflow) or []
    path = [bpmn for bpmn, *_ in trail]
    if not trail:  # an instance saved before the trail was kept: the people's tasks done, in order
        path = [t.bpmn_id for t in sorted((t for t in tasks if t.completed_at), key=lambda t: t.completed_at)]
    # The trail keeps the last elements only (runtime.TRAIL_LENGTH): the task rows count people's tasks in full.
    passes = Counter(path)
    for bpmn, done in Counter(t.bpmn_id for t in tasks if t.state == "COMPLETED").items():
        passes[bpmn] = max(passes[bpmn], done)
    current = [t.bpmn_id for t in tasks if t.state == "READY"]
    # A task inside a subprocess or a called process is not on this process's drawing: the element holding it is.
    current += [_on_top(spiff, workflow) for t in tasks if t.state == "READY"
                if (spiff := workflow.get_task_from_id(UUID(t.id))) is not None and spiff.workflow is not workflow]
    if instance.status not in InstanceStatus.FINAL:
        current += [bpmn for t in runtime.all_tasks(workflow)
                    if t.state == TaskState.WAITING and _awaits_event(t.task_spec)
                    for bpmn in {t.task_spec.bpmn_id, _on_top(t, workflow)}]
    stopped = instance.error_element if instance.status in (InstanceStatus.ERROR, InstanceStatus.STALLED) else None
    names = element_names(instance.deployment_id, instance.process_id)
    for bpmn, kind, *_ in trail:  # an unnamed start, end or gateway is called by what it is
        if bpmn not in names and kind in UNNAMED:
            names[bpmn] = str(UNNAMED[kind])
    elements = {bpmn: {"name": names.get(bpmn) or bpmn, "passes": passes.get(bpmn, 0)}
                for bpmn in {*passes, *current, *([stopped] if stopped else [])}}
    # .tuples().all(): dict() of a Result would take it for a mapping (it has keys()) and index it
    claimed = dict(db.session.execute(select(User.id, User.login).where(
        User.id.in_({t.assignee_id for t in tasks if t.assignee_id}))).tuples().all()) \
        if any(t.assignee_id for t in tasks) else {}
    # who: the person who did a task, or who has taken an open one
    who = {t.id: t.completed_by or claimed.get(t.assignee_id) for t in tasks}
    return {"instance": instance, "process": process, "xml": diagram_xml(process), "path": path,
            "elements": elements, "current": sorted(set(current)), "stopped": stopped, "tasks": tasks, "who": who,
            "names": people_names({login for login in who.values() if login}),
            "unit_name": unit_names([instance.unit_code]).get(instance.unit_code)}


def _on_top(task, workflow) -> str:
    """The element of the instance's own process that holds `task` (a subprocess or a call activity)."""
    while task.workflow is not workflow:
        task = workflow.get_task_from_id(task.workflow.parent_task_id)
    return task.task_spec.bpmn_id


def _awaits_event(spec) -> bool:
    """A timer, message or signal catch (a boundary event or an intermediate one)."""
    definition = getattr(spec, "event_definition", None)
    return any(kind_of(inner) for inner in [definition, *(getattr(definition, "event_definitions", None) or [])])
