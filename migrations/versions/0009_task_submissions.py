"""task_submission: the task history, what each person handed in for a task (who, when, the data, the files, how
late), written with every completion (issue 12, point 3; the cockpit's heatmap reads it, issue 13)

Carried over from the audit trail: each completion it recorded (action complete or complete_as_admin, with a task)
becomes a row, so that an upgraded database shows the same «Что сдано». The trail kept a trimmed copy of the data
(long texts and lists cut, marked "…"); a completion whose copy was trimmed is not carried over, and «Что сдано» of
that task goes on reading the workflow (then the trail) as before. Completions the trail did not record as such
(those completed by a retry) are not carried over either.

The lateness and file rules are copied here, not imported, so that this revision keeps doing what it did when
engine.service.history changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08

"""
from datetime import timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from flask import current_app


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_TRIMMED = "…"  # engine.audit.summarize's mark
_MAX_TEXT, _MAX_ITEMS = 300, 50


def upgrade():
    op.create_table('task_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('bpmn_id', sa.String(length=255), nullable=True),
    sa.Column('task_name', sa.String(length=500), nullable=True),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('as_admin', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('late_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_task_submission_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_submission'))
    )
    with op.batch_alter_table('task_submission', schema=None) as batch_op:
        batch_op.create_index('ix_task_submission_task_id', ['task_id', 'id'], unique=False)
        batch_op.create_index('ix_task_submission_instance_id', ['instance_id', 'submitted_at'], unique=False)
        batch_op.create_index('ix_task_submission_submitted_at', ['submitted_at'], unique=False)
    _carry_over()


def downgrade():
    with op.batch_alter_table('task_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_task_submission_submitted_at')
        batch_op.drop_index('ix_task_submission_instance_id')
        batch_op.drop_index('ix_task_submission_task_id')
    op.drop_table('task_submission')


def _carry_over():
    meta = sa.MetaData()
    audit = sa.Table('audit_event', meta, sa.Column('id', sa.Integer), sa.Column('at', sa.DateTime),
                     sa.Column('actor', sa.String), sa.Column('action', sa.String),
                     sa.Column('instance_id', sa.Integer), sa.Column('task_id', sa.String),
                     sa.Column('bpmn_id', sa.String), sa.Column('task_name', sa.String), sa.Column('summary', sa.JSON))
    task = sa.Table('human_task', meta, sa.Column('id', sa.String), sa.Column('due_at', sa.DateTime))
    instance = sa.Table('process_instance', meta, sa.Column('id', sa.Integer))
    target = sa.Table('task_submission', meta, sa.Column('task_id', sa.String), sa.Column('instance_id', sa.Integer),
                      sa.Column('bpmn_id', sa.String), sa.Column('task_name', sa.String),
                      sa.Column('submitted_by', sa.String), sa.Column('submitted_at', sa.DateTime),
                      sa.Column('as_admin', sa.Boolean), sa.Column('data', sa.JSON), sa.Column('files', sa.JSON),
                      sa.Column('late_days', sa.Integer))
    query = (sa.select(audit, task.c.due_at)
             .join(instance, instance.c.id == audit.c.instance_id)  # an instance deleted since: nothing to show
             .outerjoin(task, task.c.id == audit.c.task_id)
             .where(audit.c.action.in_(('complete', 'complete_as_admin')), audit.c.task_id.isnot(None))
             .order_by(audit.c.id))
    zone = ZoneInfo(current_app.config.get('GIA_TIMEZONE') or 'Europe/Moscow')
    bind, batch = op.get_bind(), []
    for row in bind.execute(query):
        data = row.summary if isinstance(row.summary, dict) else {}
        if _trimmed(data):
            continue
        batch.append({'task_id': row.task_id, 'instance_id': row.instance_id, 'bpmn_id': row.bpmn_id,
                      'task_name': row.task_name, 'submitted_by': row.actor, 'submitted_at': row.at,
                      'as_admin': row.action == 'complete_as_admin', 'data': data, 'files': _files(data),
                      'late_days': _late(row.due_at, row.at, zone)})
        if len(batch) == 1000:
            bind.execute(target.insert(), batch)
            batch = []
    if batch:
        bind.execute(target.insert(), batch)


def _trimmed(value, depth=0) -> bool:
    """Whether engine.audit.summarize cut something of it."""
    if depth > 6:
        return True
    if isinstance(value, dict):
        return len(value) >= _MAX_ITEMS or any(_trimmed(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return (len(value) > _MAX_ITEMS and value[-1] == _TRIMMED) or any(_trimmed(v, depth + 1) for v in value)
    return isinstance(value, str) and len(value) == _MAX_TEXT + 1 and value.endswith(_TRIMMED)


def _files(data, field=''):
    if isinstance(data, dict):
        if 'attachment_id' in data:
            return [{'field': field, 'attachment_id': data['attachment_id'], 'filename': data.get('filename')}]
        return [ref for key, value in data.items() for ref in _files(value, f'{field}.{key}' if field else key)]
    if isinstance(data, list):
        return [ref for n, value in enumerate(data) for ref in _files(value, f'{field}.{n}')]
    return []


def _late(due, done, zone):
    """Stored naive UTC, as engine.db.UTCDateTime keeps them."""
    if due is None or done is None:
        return None
    due, done = (v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v for v in (due, done))
    if done <= due:
        return 0
    return max(1, (done.astimezone(zone).date() - due.astimezone(zone).date()).days)
