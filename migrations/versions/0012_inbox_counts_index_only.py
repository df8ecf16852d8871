"""inbox counts read indexes only: the role's open tasks with what the inbox tests of each (its assignee, its
instance, its activity) in ix_human_task_role_due, and the suspended and failed instances in a partial index

The inbox counts a city-wide role's open tasks (up to 1,001 per tab) on every page. Each counted task used to cost
a visit to the human_task heap for the columns the index lacked, and a probe into process_instance for its status
(bench/inbox.py --explain: ~5,300 buffers per count, ~15,000 for a department specialist's page). With the
columns in the index (INCLUDE, PostgreSQL 11+) and the hidden instances in an index of their own, read once per
statement (engine/service/inbox.py), a count reads the index's leaf pages: ~1,200 buffers for the whole page.
SQLite has no INCLUDE: there the index stays as it was.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

HIDDEN = "status IN ('suspended', 'error')"


def upgrade():
    op.drop_index('ix_human_task_role_due', table_name='human_task')
    op.create_index('ix_human_task_role_due', 'human_task', ['state', 'role', 'due_at', 'id'], unique=False,
                    postgresql_include=['assignee_id', 'instance_id', 'process_id'])
    op.create_index('ix_process_instance_hidden', 'process_instance', ['id'], unique=False,
                    postgresql_where=sa.text(HIDDEN), sqlite_where=sa.text(HIDDEN))


def downgrade():
    op.drop_index('ix_process_instance_hidden', table_name='process_instance')
    op.drop_index('ix_human_task_role_due', table_name='human_task')
    op.create_index('ix_human_task_role_due', 'human_task', ['state', 'role', 'due_at', 'id'], unique=False)
