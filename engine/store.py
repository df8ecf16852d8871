"""Loading an instance under a lock and saving it back with its projections, inside the caller's transaction."""
from contextlib import contextmanager
from typing import NamedTuple
from uuid import UUID

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, inspect, select, update
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from . import clock, events, projection, runtime
from .bpmn import pruning, serializer
from .bpmn.messages import normalised
from .bpmn.spec_cache import bundle_cached, bundle_for
from .db import db, is_postgres
from .errors import ConflictError, NotFound, ProcessError
from .models import Deployment, InstanceWait, Notification, ProcessInstance
from .models.instance import CORRELATION_LENGTH, InstanceStatus
from .task_rows import sync_tasks


@contextmanager
def transaction():
    """One engine call = one transaction: commit when the block ends, roll everything back on any error.

    What the caller read just before (a web request loading the user) joins this transaction rather than being
    thrown away and read again: on SQLite every transaction already holds the write lock from its first
    statement (BEGIN IMMEDIATE), and on PostgreSQL the instance row is locked and re-read by `lock`. The whole
    call sees one instant of the engine clock (`clock.one_instant`). Callbacks registered with `after_commit`
    run once this transaction (the outermost one, when they nest) has committed."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes in the session before an engine call")
    depth = session.info.get(_DEPTH, 0)
    if depth == 0:
        session.info[_AFTER_COMMIT] = []
    session.info[_DEPTH] = depth + 1
    try:
        with _committed(session):
            yield session
    except BaseException:
        session.info.pop(_AFTER_COMMIT, None)  # rolled back: what was to follow the commit is dropped
        raise
    finally:
        session.info[_DEPTH] = depth
    if depth == 0:
        for callback in session.info.pop(_AFTER_COMMIT, []):
            callback()


def after_commit(callback) -> None:
    """Run `callback()` once the current transaction has committed: after the OUTERMOST `transaction()` block, not
    an inner one, and never when it rolls back (the callbacks are then dropped). A callback registered twice in one
    transaction runs once (several steps of one call wake the mail senders once).

    Why (Viewflow's `lock.after_lock_released` is the model): a side effect outside the database, such as a Celery
    task that reads the rows this transaction writes, must not start before they are committed, or the worker
    finds nothing (or, after a rollback, acts on rows that never existed); and it must not hold the transaction
    open while a broker is reached. Outside any transaction it waits for the next one to start, which drops it."""
    pending = db.session.info.setdefault(_AFTER_COMMIT, [])
    if callback not in pending:
        pending.append(callback)


_DEPTH = "gia_transaction_depth"  # session.info: how many transaction() blocks are open
_AFTER_COMMIT = "gia_after_commit"  # session.info: callbacks for the outermost commit


@contextmanager
def _committed(session):
    """Commit when the block ends; roll back on any error, turning a conflict into a ConflictError."""
    try:
        with clock.one_instant():
            yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(_l("The process was changed by someone else at the same moment; try again.")) from exc
    except IntegrityError as exc:
        # a unique row another transaction wrote first (one plan item's instance per unit, say)
        session.rollback()
        raise ConflictError(_l("Someone else recorded the same thing at the same moment; reload and try "
                               "again.")) from exc
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc).lower() or "deadlock" in str(exc).lower():
            raise ConflictError(_l("The database is busy; try again.")) from exc
        raise
    except BaseException:
        session.rollback()
        raise


def lock(instance_id: int, skip_locked: bool = False) -> ProcessInstance | None:
    """The instance row, locked for this transaction: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
    transaction already holds the write lock (BEGIN IMMEDIATE) and lock_version guards the update. With
    `skip_locked`, None when another transaction holds the row.

    An instance this transaction has already read whole under its lock is taken as it is, nobody can have changed
    it since: on SQLite any read of it (the task page reads it so, the write lock was held before), on PostgreSQL
    one read by `lock` or `claim`, or given to `remember_locked`."""
    held = _read_whole(instance_id)
    if held is not None and (not is_postgres() or instance_id in clock.per_transaction(_LOCKED)):
        return held
    query = (select(ProcessInstance).where(ProcessInstance.id == instance_id)
             .options(undefer(ProcessInstance.state)).execution_options(populate_existing=True))
    if is_postgres():
        query = query.with_for_update(skip_locked=skip_locked)
    instance = db.session.execute(query).scalar_one_or_none()
    if instance is None:
        if skip_locked and db.session.get(ProcessInstance, instance_id) is not None:
            return None
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    remember_locked(instance)
    return instance


def claim(instance_id: int, *criteria) -> ProcessInstance | None:
    """The instance, locked and read whole for this transaction if it still meets `criteria` (a timer still due);
    None when it does not, or when another transaction holds it (PostgreSQL: SKIP LOCKED). A step that follows
    in the same transaction takes it from `lock` without reading it again."""
    query = (select(ProcessInstance).where(ProcessInstance.id == instance_id, *criteria)
             .options(undefer(ProcessInstance.state)).execution_options(populate_existing=True))
    if is_postgres():
        query = query.with_for_update(skip_locked=True)
    instance = db.session.execute(query).scalar_one_or_none()
    if instance is not None:
        remember_locked(instance)
    return instance


def remember_locked(instance: ProcessInstance) -> None:
    """`instance` was read whole under its lock in this transaction: `lock` takes it as it is. (Held here, not only
    in the session's identity map, which forgets an object nobody else refers to.)"""
    clock.per_transaction(_LOCKED)[instance.id] = instance


_LOCKED = "gia_locked"  # clock.per_transaction: the instances this transaction locked and read whole, by id


def _read_whole(instance_id: int) -> ProcessInstance | None:
    session = db.session()
    held = session.identity_map.get(session.identity_key(ProcessInstance, instance_id))
    if held is None or held in session.dirty or inspect(held).unloaded & _COLUMNS:
        return None  # not read, changed in memory, or expired (a commit or rollback since): read it now
    return held


_COLUMNS = frozenset(ProcessInstance.__mapper__.column_attrs.keys())


def startable_of(instance: ProcessInstance):
    bundle = bundle_cached(instance.definition_sha) if instance.definition_sha else None
    if bundle is None:
        deployment = db.session.get(Deployment, instance.deployment_id)
        bundle = bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"])
    return bundle.get(instance.process_id)


def workflow_of(instance: ProcessInstance):
    startable = startable_of(instance)
    return runtime.restore(instance.state, instance.serializer_version, startable.spec, startable.subprocess_specs)


def task_of(instance: ProcessInstance, task_id: str):
    """The task in the instance's restored workflow; None when the workflow no longer holds it (removed by a
    reset)."""
    workflow = workflow_of(instance)
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:
        return None


def save(instance: ProcessInstance, workflow, outcome=None, *, completed_by: dict | None = None,
         status: str | None = None) -> "Saved":
    """Serialize `workflow` into `instance` and rebuild every projection from it, read in one pass. `status`
    overrides the one the workflow shows (a cancelled workflow looks finished, a suspended one running). Returns
    the task views and the READY rows (Saved)."""
    now = clock.now()
    try:
        instance.state = runtime.dump(workflow)
    except (TypeError, ValueError) as exc:
        raise ProcessError(_l("The process data holds a value that cannot be stored: %(detail)s"),
                           detail=str(exc)) from exc
    instance.serializer_version = serializer.FORMAT_VERSION
    instance.updated_at = now
    # Every column of the instance is set before the first statement below, so that it is written (and its
    # lock_version checked and bumped) by one INSERT or UPDATE, not an UPDATE per autoflush.
    seen = projection.project(workflow, instance.unit_code)
    instance.status = status or seen.status
    instance.error = None
    instance.error_element = seen.stopped_at if instance.status == InstanceStatus.STALLED else None
    instance.failed_action = None
    instance.next_timer_at = seen.next_timer if instance.status not in InstanceStatus.FINAL else None
    if instance.status in InstanceStatus.FINAL and instance.completed_at is None:
        instance.completed_at = now
    text = seen.data.get("status_text")
    instance.status_text = str(text)[:500] if text is not None else None
    instance.submitted_on, instance.late_days = _hand_in(seen.data)
    instance.variables = projection.kept_variables(seen.data)
    new = instance.id is None
    if new:
        db.session.add(instance)
        db.session.flush()
    base = pruning.seq_base(workflow)  # human tasks cut from the tree: the engine order goes on after them
    for view in seen.views:
        view.instance_id = instance.id
        view.seq += base
    fresh, closed, ready, drafted = sync_tasks(instance, seen.views, now, completed_by or {},
                                       pruning.cut_human_tasks(workflow))
    _sync_waits(instance, seen.waits)
    if not new:
        _write_columns(instance)
    notes = [Notification(created_at=now, instance_id=instance.id, kind=note["kind"][:30], role=note["role"],
                          unit_code=note["unit"], text=note["text"])
             for note in (outcome.notifications if outcome else [])]
    if notes:
        db.session.add_all(notes)
        db.session.flush()
    # What else the step causes in this transaction (e-mail for the tasks offered and the notifications raised,
    # drafts of the closed tasks deleted) is up to the subscribers of the step event (engine.events).
    events.step_saved(events.StepSaved(instance, seen.views, fresh, closed, notes, drafted))
    return Saved(seen.views, ready)


_INSTANCES = ProcessInstance.__table__
# What a save sets on an instance that exists: written by one Core UPDATE (the ORM's unit of work for the one row
# cost as much as the rest of the save's statements); any other column a caller changed is left to the ORM's flush.
_SAVED = ("state", "serializer_version", "updated_at", "status", "error", "error_element", "failed_action",
          "next_timer_at", "completed_at", "status_text", "submitted_on", "late_days", "variables", "waits")
_UPDATE_SAVED = (update(_INSTANCES)
                 .where(_INSTANCES.c.id == bindparam("_id"), _INSTANCES.c.lock_version == bindparam("_version"))
                 .values({**{k: bindparam(k) for k in _SAVED}, "lock_version": bindparam("_next")}))


def _write_columns(instance: ProcessInstance) -> None:
    """UPDATE the saved columns of an existing instance, checking and bumping lock_version as the ORM does (a row
    changed meanwhile is a StaleDataError: a ConflictError), and mark them written, so that no flush writes them."""
    version = instance.lock_version
    values = {k: getattr(instance, k) for k in _SAVED}
    written = db.session.connection().execute(_UPDATE_SAVED, {**values, "_id": instance.id, "_version": version,
                                                              "_next": version + 1}).rowcount
    if written != 1:
        raise StaleDataError(f"process_instance {instance.id}: expected lock_version {version}; changed meanwhile")
    for key, value in values.items():
        set_committed_value(instance, key, value)
    set_committed_value(instance, "lock_version", version + 1)
    state = inspect(instance)
    if not state.committed_state:
        # Nothing else changed: clear the modified flag too, or every later query's autoflush would walk the
        # unit of work for a row it has nothing to write.
        state._commit_all(state.dict, db.session().identity_map)


class Saved(NamedTuple):
    views: list  # the task views (engine.projection)
    ready: list[dict]  # the READY human_task rows as written, every column (see `attached`)


def _hand_in(data: dict) -> tuple[str | None, int | None]:
    """When the unit handed in its work and how many days late, where the diagram records them."""
    submitted, late = data.get("submitted_on"), data.get("late_days")
    submitted = str(submitted)[:10] if submitted else None
    return submitted, late if isinstance(late, int) and not isinstance(late, bool) else None


def _sync_waits(instance, waits: list[dict]):
    """Index the messages and signals the instance waits for, with the correlation values awaited; rows are
    rewritten only when the set changes (the instance keeps the set it last indexed in `waits`)."""
    wanted = [] if instance.status in InstanceStatus.FINAL else sorted(
        {(w["type"], w["name"], normalised(w.get("correlation")) or "") for w in waits
         if w["type"] in ("message", "signal")})
    wanted = [[kind, name, correlation or None] for kind, name, correlation in wanted]
    if wanted == (instance.waits or []):
        return
    too_long = next((c for _kind, _name, c in wanted if c and len(c) > CORRELATION_LENGTH), None)
    if too_long:
        raise ProcessError(_l("The correlation values awaited are too long to be indexed: %(values)s"),
                           values=too_long[:100] + "…")
    if instance.waits:
        db.session.execute(delete(InstanceWait).where(InstanceWait.instance_id == instance.id))
    for kind, name, correlation in wanted:
        db.session.add(InstanceWait(instance_id=instance.id, kind=kind, name=name, correlation=correlation))
    instance.waits = wanted
