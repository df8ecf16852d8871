"""inbox indexes: the open tasks of one role in due order (human_task.state, role, due_at, id); no index on
due_at alone

A city-wide role (a department specialist) is offered its role's tasks in every unit: tens of thousands of open
tasks in a city, of which the inbox shows the 50 nearest to their due date. With this index those 50 are read in
page order and the scan stops there; without it PostgreSQL either sorts the role's whole set or walks
ix_human_task_due_at, completed tasks included, until it has met 50 matches (bench/inbox.py measured both).
That walk is the plan PostgreSQL picks whenever an index on due_at alone exists, and its cost grows with the
history; nothing else orders or filters by due_at alone, so that index goes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_role_due', ['state', 'role', 'due_at', 'id'], unique=False)
        batch_op.drop_index('ix_human_task_due_at')


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_due_at', ['due_at'], unique=False)
        batch_op.drop_index('ix_human_task_role_due')
