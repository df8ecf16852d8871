"""Loading an instance under a lock and saving it back with its projections, inside the caller's transaction."""
from contextlib import contextmanager
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, inspect, or_, select, update
from sqlalchemy.orm import make_transient_to_detached, undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from . import clock, events, projection, runtime
from .bpmn import pruning, serializer
from .bpmn.messages import normalised
from .bpmn.spec_cache import bundle_cached, bundle_for
from .db import db, is_postgres
from .errors import ConflictError, NotFound, ProcessError
from .models import Deployment, HumanTask, InstanceWait, Notification, ProcessInstance
from .models.human_task import TaskStatus
from .models.instance import CORRELATION_LENGTH, InstanceStatus


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
    instance.failed_action = None
    instance.next_timer_at = seen.next_timer if instance.status not in InstanceStatus.FINAL else None
    if instance.status in InstanceStatus.FINAL and instance.completed_at is None:
        instance.completed_at = now
    text = seen.data.get("status_text")
    instance.status_text = str(text)[:500] if text is not None else None
    instance.submitted_on, instance.late_days = _hand_in(seen.data)
    new = instance.id is None
    if new:
        db.session.add(instance)
        db.session.flush()
    base = pruning.seq_base(workflow)  # human tasks cut from the tree: the engine order goes on after them
    for view in seen.views:
        view.instance_id = instance.id
        view.seq += base
    fresh, closed, ready, drafted = _sync_tasks(instance, seen.views, now, completed_by or {},
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
_SAVED = ("state", "serializer_version", "updated_at", "status", "error", "failed_action", "next_timer_at",
          "completed_at", "status_text", "submitted_on", "late_days", "waits")
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


_TASKS = HumanTask.__table__
_SHAPE = ("seq", "bpmn_id", "lane", "form_key", "state")
# role: a task's `role_expression` is evaluated only while it is READY; afterwards the row keeps that role.
_OFFER = ("name", "role", "unit_code", "due_at", "columns")
# A row in a final state changes only while the tree still holds its task (its seq): it is read only then.
_FINAL = (TaskStatus.COMPLETED, TaskStatus.CANCELLED)
_OPEN_ROWS = select(_TASKS).where(_TASKS.c.instance_id == bindparam("instance"),
                                  or_(_TASKS.c.state.notin_(_FINAL),
                                      _TASKS.c.id.in_(bindparam("ids", expanding=True))))
_ROWS_BY_ID = select(_TASKS).where(_TASKS.c.instance_id == bindparam("instance"),
                                   _TASKS.c.id.in_(bindparam("ids", expanding=True)))


def _sync_tasks(instance, views, now, completed_by, cut=None) -> tuple[set[str], set[str], list[dict], set[str]]:
    """Bring the instance's human_task rows in line with `views`, writing only rows that changed (with Core
    statements: this runs after every step and the ORM's unit of work cost more than the rest of the save).
    `cut`: {task id: TaskState} of tasks the engine removed from the tree in this step (engine.bpmn.pruning), whose
    rows take that state as if a view had shown it. A completed row whose task has left the tree is left alone.
    Returns the ids of the tasks that became READY and of those that left READY, the READY rows as written
    (every column, in engine order): what the caller would otherwise read back, and the ids of the closed tasks
    someone kept a draft of."""
    read = task_rows(instance, [v.id for v in views if v.state in _FINAL])
    old_rows = dict(read)
    clock.per_transaction(_ROWS).pop(instance.id)  # written below: whoever asks next reads them again
    inserts, updates, fresh, closed, ready = [], [], set(), set(), []
    for view in views:
        old = old_rows.pop(view.id, None)
        if view.state == TaskStatus.READY and (old is None or old.state != TaskStatus.READY):
            fresh.add(view.id)
        elif view.state != TaskStatus.READY and old is not None and old.state == TaskStatus.READY:
            closed.add(view.id)
        values = {name: getattr(view, name) for name in _SHAPE}
        if view.state == TaskStatus.READY or old is None or old.name is None:
            values.update({name: getattr(view, name) for name in _OFFER})  # the offer is set while READY
        if view.state == TaskStatus.COMPLETED and (old is None or old.state != TaskStatus.COMPLETED):
            values.update(completed_at=now, completed_by=completed_by.get(view.id))
        elif view.state == TaskStatus.CANCELLED and old is not None and old.state == TaskStatus.READY:
            values.update(completed_at=now)
        if old is None:
            inserts.append({"id": view.id, "instance_id": instance.id, "process_id": instance.process_id,
                            "created_at": now, **values})
            if view.state == TaskStatus.READY:
                ready.append({**dict.fromkeys(_TASKS.c.keys()), **inserts[-1]})
        else:
            if view.state == TaskStatus.READY:
                ready.append({**old._mapping, **values})
            if any(getattr(old, k) != v for k, v in values.items()):
                updates.append((old, values))
    gone = []
    for old in old_rows.values():  # gone from the tree: cut as history, a prediction dropped, or a reset
        state = _CUT_STATE.get((cut or {}).get(old.id))
        if state is not None:
            values = {"state": state}
            if state == TaskStatus.COMPLETED:
                values.update(completed_at=now, completed_by=completed_by.get(old.id))
            elif state == TaskStatus.CANCELLED and old.state == TaskStatus.READY:
                values.update(completed_at=now)
            if old.state == TaskStatus.READY:
                closed.add(old.id)
            updates.append((old, values))
        elif old.state == TaskStatus.WAITING:
            gone.append(old.id)
        elif old.state == TaskStatus.READY:
            closed.add(old.id)
            updates.append((old, {"state": TaskStatus.CANCELLED, "completed_at": now}))
    if gone:
        db.session.execute(delete(_TASKS).where(_TASKS.c.id.in_(gone)))
    if inserts:
        db.session.execute(_insert_rows(), inserts)
    if updates:
        # One statement for every changed row: each row sets the same columns, the unchanged ones to the values
        # they hold, so that the rows go as one executemany instead of a statement per set of changed columns.
        keys = sorted({k for _old, values in updates for k in values})
        rows = [{"_id": old.id, **{k: values[k] if k in values else getattr(old, k) for k in keys}}
                for old, values in updates]
        db.session.execute(_update_rows(tuple(keys)), rows)
    return fresh, closed, ready, {i for i in closed if read[i].drafted}


@lru_cache(maxsize=64)
def _update_rows(keys: tuple[str, ...]):
    """The UPDATE of human_task rows setting `keys`, built once per set of columns (a few sets occur)."""
    return update(_TASKS).where(_TASKS.c.id == bindparam("_id")).values({k: bindparam(k) for k in keys})


def _insert_rows():
    """INSERT of new human_task rows. A task the tree shows open again (reset to it after it was completed) still has
    its final row, which `task_rows` did not read: that row takes the task's shape and offer again, as an update
    would give it."""
    from sqlalchemy.dialects import postgresql, sqlite  # here: on SQLite, the PostgreSQL dialect is never imported
    statement = (postgresql.insert if is_postgres() else sqlite.insert)(_TASKS)
    return statement.on_conflict_do_update(index_elements=[_TASKS.c.id],
                                           set_={k: statement.excluded[k] for k in _SHAPE + _OFFER})


def task_rows(instance, final_ids=()) -> dict:
    """The instance's human_task rows that a step can change (every column, by id): the open ones, and those of
    `final_ids` (completed or cancelled tasks the workflow still holds). Read once per step after the lock (one
    statement), the guards of the step and its save reading the same rows; rows of `final_ids` not read yet are read
    by a second one. The completed rows of tasks gone from the tree are not read: a long loop leaves hundreds."""
    cache = clock.per_transaction(_ROWS)
    rows = cache.get(instance.id)
    if rows is None:
        rows = cache[instance.id] = {row.id: row for row in db.session.execute(
            _OPEN_ROWS, {"instance": instance.id, "ids": list(final_ids)})}
        return rows
    missing = [i for i in final_ids if i not in rows]
    if missing:
        rows.update((row.id, row) for row in db.session.execute(_ROWS_BY_ID, {"instance": instance.id,
                                                                               "ids": missing}))
    return rows


_ROWS = "gia_task_rows"  # session.info: the rows task_rows read in this transaction, by instance id
_CUT_STATE = {TaskState.COMPLETED: TaskStatus.COMPLETED, TaskState.CANCELLED: TaskStatus.CANCELLED,
              TaskState.ERROR: TaskStatus.ERROR}


def attached(rows: list[dict]) -> list[HumanTask]:
    """HumanTask objects for rows a step has just written (`Saved.ready`), in the session without reading them
    back: after the commit, as if loaded then. A row the session already holds is that object (read again)."""
    session, tasks = db.session(), []
    for row in rows:
        held = session.identity_map.get(session.identity_key(HumanTask, row["id"]))
        if held is None:
            held = HumanTask(**row)
            make_transient_to_detached(held)
            session.add(held)
        tasks.append(held)
    return tasks


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
