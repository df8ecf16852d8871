"""The process data's top-level scalars kept beside each instance, for the instance list's conditions on any
variable (issue 13 §4), and an index for the list's default order (newest first)

Existing instances are filled from their serialized state, as engine.projection.kept_variables fills them at each
step (the rule is copied here as it stood, so that this migration means the same whatever the code becomes): the
data of the tasks where the tokens stand (in the process, then in its subprocesses), or the workflow's data once it
has ended.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

"""
import json
import math

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_WAITING_READY_STARTED = 8 | 16 | 32  # SpiffWorkflow's TaskState bits
_BATCH = 500


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variables', sa.JSON(), nullable=True))
        batch_op.create_index('ix_process_instance_created', ['created_at', 'id'], unique=False)
    instances = sa.table('process_instance', sa.column('id', sa.Integer), sa.column('state', sa.Text),
                         sa.column('status', sa.String), sa.column('variables', sa.JSON))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(instances.c.id, instances.c.state, instances.c.status)
                                  .where(instances.c.id > last).order_by(instances.c.id).limit(_BATCH)).all()
        if not rows:
            break
        for row in rows:
            kept = _kept(_data(row.state, row.status))
            if kept:
                connection.execute(instances.update().where(instances.c.id == row.id).values(variables=kept))
        last = rows[-1].id


def _data(state: str | None, status: str) -> dict:
    try:
        workflow = json.loads(state or "{}")
    except ValueError:
        return {}
    if status in ("completed", "cancelled") and workflow.get("data"):
        return workflow["data"]
    data = {}
    for tasks in [workflow.get("tasks") or {}] + [sub.get("tasks") or {} for sub in
                                                  (workflow.get("subprocesses") or {}).values()]:
        resolved = {}
        for task_id, task in tasks.items():
            if task.get("state", 0) & _WAITING_READY_STARTED:
                data.update(_task_data(tasks, task_id, resolved))
    return data


def _task_data(tasks: dict, task_id: str, resolved: dict) -> dict:
    """A task's data: SpiffWorkflow keeps a task's changes from its parent's data (`delta`), the data itself only
    where a task has no parent (or no change was recorded)."""
    chain, current = [], task_id
    while current in tasks and current not in resolved:
        chain.append(current)
        current = tasks[current].get("parent")
    for each in reversed(chain):
        task = tasks[each]
        parent, delta = task.get("parent"), task.get("delta")
        if delta and parent in resolved:
            data = dict(resolved[parent])
            data.update(delta.get("updates") or {})
            for key in delta.get("deletions") or ():
                data.pop(key, None)
        else:
            data = task.get("data") or {}
        resolved[each] = data
    return resolved[task_id]


def _kept(data: dict) -> dict | None:
    kept = {}
    for key, value in data.items():
        if len(kept) == 64:
            break
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 64:
            continue
        if isinstance(value, dict) and value.get("typename") in ("date", "datetime", "Decimal"):
            value = float(value["value"]) if value["typename"] == "Decimal" else str(value["value"])[:10]
        if isinstance(value, bool) or isinstance(value, int) and abs(value) < 2**53:
            kept[key] = value
        elif isinstance(value, float) and math.isfinite(value):
            kept[key] = value
        elif isinstance(value, str) and len(value) <= 200:
            kept[key] = value
    return kept or None


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_created')
        batch_op.drop_column('variables')
