"""Moving a running instance to a later version of its process (issue 14 §5), with SpiffWorkflow 3.2's
SpiffWorkflow.bpmn.util.diff: the instance's workflow is compared with the target version's spec (its tasks aligned
by BPMN id), and it moves only when nothing under its tokens changed.

`migration_check` says why an instance cannot move (None when it can); `migrate` moves it inside the caller's
transaction (a batch job's item: engine.service.batch_actions "migrate"). The old state is replaced only by the save
of the new one, in that transaction: a refusal or a failure rolls back and leaves the instance byte for byte as it
was. What the database keeps beside the state (its human tasks, timers, waits) is rebuilt by store.save, as after
any step, so the inbox shows the moved instance's tasks as the new version defines them.
"""
import threading
from collections import OrderedDict

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import undefer

from .. import audit, events, runtime, store
from ..bpmn import serializer
from ..bpmn.spec_cache import bundle_for
from ..db import db
from ..errors import EngineError, NotFound
from ..models import DeployedProcess, Deployment, ProcessInstance
from ..models.instance import InstanceStatus

# Instances with a live token can move; a suspended or errored one is repaired first, a finished one has nothing to
# move.
MOVABLE = InstanceStatus.ACTIVE
_TOKEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# A spec's wiring (which flows enter and leave it) changes whenever a task is inserted next to it; the tokens'
# successors are predicted again by migrate_workflow, so only the element's own attributes count as a change.
_WIRING = frozenset({"inputs", "outputs"})


class MigrationRefused(EngineError):
    """The instance cannot move to that version; the message says why, in words an operator acts on."""


def migration_check(instance_id: int, target_version: int) -> str | None:
    """Why instance `instance_id` cannot move to version `target_version` (a Russian sentence naming the element
    in the way), or None when it can. Reads only; the instance is not locked."""
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                                  .options(undefer(ProcessInstance.state))).first()
    if instance is None:
        return str(NotFound(_l("Instance %(id)s not found."), id=instance_id).message)
    try:
        _moved(instance, target_version)  # in memory only: the same work as the move, short of running and saving
    except MigrationRefused as exc:
        return exc.message
    return None


def migrate(instance_id: int, target_version: int, actor: str | None, reason: str | None = None) -> int:
    """Move the instance to version `target_version` inside the caller's transaction: lock it, migrate its
    workflow, save the new state with the new version (and the projections), audit "migrate" {from, to, reason}.
    Raises MigrationRefused (nothing changed) when it cannot move. Returns the version it came from."""
    instance = store.lock(instance_id)
    moved, target, deployment = _moved(instance, target_version)
    outcome = runtime.advance(moved)  # what the new version makes runnable at once (ProcessError: rolled back)
    source = instance.deployment_id
    instance.deployment_id = deployment.id
    instance.definition_sha = deployment.sha256
    if target.name:
        instance.process_name = target.name[:500]
    store.save(instance, moved, outcome)
    audit.record("migrate", actor, instance_id=instance.id, message=reason,
                 summary={"from": source, "to": deployment.id, **({"reason": reason} if reason else {})})
    events.step_taken(events.StepTaken(instance.id, actor, outcome.events))
    return source


def _moved(instance: ProcessInstance, target_version: int):
    """(the instance's workflow moved to the target version, as restored from its new state, the target's
    startable, its deployment); MigrationRefused naming what stands in the way."""
    workflow, target, deployment = _plan(instance, target_version)
    try:  # the new state must load with the target's specs before it may replace the old one
        moved = runtime.restore(runtime.dump(workflow), serializer.FORMAT_VERSION, target.spec,
                                target.subprocess_specs)
    except Exception as exc:  # noqa: BLE001 - any failure to load is a refusal, the old state is kept
        raise MigrationRefused(_l("Its state does not fit version %(version)s: %(detail)s"), version=target_version,
                               detail=f"{type(exc).__name__}: {exc}") from exc
    return moved, target, deployment


def _plan(instance: ProcessInstance, target_version: int):
    """(the workflow migrated in memory, the target's startable, its deployment); MigrationRefused naming what
    stands in the way."""
    if instance.status not in MOVABLE:
        raise MigrationRefused(_l("Instance %(id)s is %(status)s: only a running instance moves to another "
                                  "version."), id=instance.id, status=InstanceStatus.word(instance.status))
    if target_version <= instance.deployment_id:
        raise MigrationRefused(_l("It runs on version %(current)s: it can move only to a later version, not to "
                                  "%(version)s."), current=instance.deployment_id, version=target_version)
    deployment = db.session.get(Deployment, target_version)
    held = deployment is not None and db.session.scalar(select(DeployedProcess.id).where(
        DeployedProcess.deployment_id == target_version, DeployedProcess.bpmn_id == instance.process_id).limit(1))
    if not held:
        raise MigrationRefused(_l("Version %(version)s does not hold the process %(process)s."),
                               version=target_version, process=instance.process_id)
    target = bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"]).get(instance.process_id)
    workflow = store.workflow_of(instance)
    spec_diff = _spec_diff(workflow.spec, target.spec)
    top = WorkflowDiff(workflow, spec_diff)
    _refuse_tokens_in_the_way(top, spec_diff, target_version)
    subs = _subprocess_diffs(workflow, target, target_version)
    snapshot = {task.id: (task.data, task.internal_data) for task in runtime.all_tasks(workflow)
                if task.state & _TOKEN}
    migrate_workflow(top, workflow, target.spec)
    for sub_id, diff in subs.items():
        migrate_workflow(diff, workflow.subprocesses[sub_id], target.subprocess_specs[diff.spec_name])
    workflow.subprocess_specs = target.subprocess_specs
    # migrate_workflow resets each READY and WAITING task to predict its successors again from the new spec, which
    # gives it its parent's data and forgets its internal data: a deadline moved on the task or a timer's due time
    # would be lost. The tokens keep what they held.
    for task in runtime.all_tasks(workflow):
        if task.id in snapshot:
            task.data, task.internal_data = snapshot[task.id]
    return workflow, target, deployment


def _refuse_tokens_in_the_way(diff: WorkflowDiff, spec_diff: SpecDiff, version: int) -> None:
    """A token on an element the target removed or changed, or wrapped in new boundary events, stops the move; so
    does a finished task still kept in the tree whose element is gone (its state would not load)."""
    changed = [task for task in diff.changed if set(spec_diff.changed[task.task_spec]) - _WIRING]
    for task in diff.removed:
        if task.state & _TOKEN:
            raise MigrationRefused(_l("Its token is at «%(name)s» (%(element)s), which version %(version)s no longer "
                                      "has."), **_named(task), version=version)
    for task in changed:
        if task.state & _TOKEN:
            raise MigrationRefused(_l("Its token is at «%(name)s» (%(element)s), which is changed in version "
                                      "%(version)s."), **_named(task), version=version)
    for task in diff.alignment:
        new = diff.alignment[task]
        # The token would stand outside the split that the new boundary events hang from, and the join after the
        # task would look for that split among its ancestors in vain (the instance would fail at its completion).
        if task.state & _TOKEN and new is not None and any(
                isinstance(spec, BoundaryEventSplit) and spec in spec_diff.added for spec in new.inputs):
            raise MigrationRefused(_l("In version %(version)s a boundary event is added to «%(name)s» (%(element)s), "
                                      "where its token is."), **_named(task), version=version)
    for task in diff.removed:
        if task.state & TaskState.FINISHED_MASK:
            raise MigrationRefused(_l("It has passed «%(name)s» (%(element)s), which version %(version)s no longer "
                                      "has, and keeps that step in its history."), **_named(task), version=version)


def _subprocess_diffs(workflow, target, version: int) -> dict:
    """{subworkflow id: its WorkflowDiff} for the subprocesses running in it; a subprocess whose definition the
    target lacks or changed stops the move (its tokens run on the definition they started with)."""
    diffs = {}
    for sub_id, sub in workflow.subprocesses.items():
        new = target.subprocess_specs.get(sub.spec.name)
        if new is None:
            raise MigrationRefused(_l("The subprocess %(name)s running in it is not in version %(version)s."),
                                   name=_spec_title(sub.spec), version=version)
        spec_diff = _spec_diff(sub.spec, new)
        if spec_diff.added or spec_diff.removed or any(set(c) - _WIRING for c in spec_diff.changed.values()):
            raise MigrationRefused(_l("The subprocess %(name)s running in it is changed in version %(version)s."),
                                   name=_spec_title(sub.spec), version=version)
        diff = WorkflowDiff(sub, spec_diff)
        diff.spec_name = sub.spec.name
        diffs[sub_id] = diff
    return diffs


def _named(task) -> dict:
    spec = task.task_spec
    element = getattr(spec, "bpmn_id", None) or spec.name
    return {"name": getattr(spec, "bpmn_name", None) or element, "element": element}


def _spec_title(spec) -> str:
    return f"«{spec.description}» ({spec.name})" if getattr(spec, "description", None) else spec.name


# --- the comparison of two specs, once per pair -------------------------------------------------------------------
# A batch moves many instances of one version to another: the specs are the spec cache's objects, shared by all of
# them, and their comparison (every aligned task spec serialized twice) is the same for each. Kept with the specs it
# compares, so that an id is never reused while its entry lives.

_diffs: "OrderedDict[tuple[int, int], tuple[object, object, SpecDiff]]" = OrderedDict()
_diffs_lock = threading.Lock()
_MAX_DIFFS = 64


def _spec_diff(old, new) -> SpecDiff:
    key = (id(old), id(new))
    with _diffs_lock:
        held = _diffs.get(key)
        if held is not None and held[0] is old and held[1] is new:
            _diffs.move_to_end(key)
            return held[2]
    diff = SpecDiff(serializer.SERIALIZER.registry, old, new)
    with _diffs_lock:
        _diffs[key] = (old, new, diff)
        while len(_diffs) > _MAX_DIFFS:
            _diffs.popitem(last=False)
    return diff
