"""The human_task rows of an instance, kept in line with its workflow by every save (engine.store): read once per
transaction, written with Core statements, and handed back as rows the caller can use without reading them again."""
from functools import lru_cache

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import make_transient_to_detached

from . import clock
from .db import db, is_postgres
from .models import HumanTask
from .models.human_task import TaskStatus


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


def sync_tasks(instance, views, now, completed_by, cut=None) -> tuple[set[str], set[str], list[dict], set[str]]:
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
