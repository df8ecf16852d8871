"""process_instance.parent_id: the instance whose message started this one (a school's part of a department's
collection), so that cancelling the collection cancels its parts; human_task.drafted: someone keeps a draft of the
task, so that only a step closing a drafted task deletes drafts (issue 12 §1 and §4)

Existing tasks with drafts are marked drafted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


# Plain ADD COLUMN, not a batch: on SQLite a batch recreates the table, and dropping the old process_instance (or
# human_task) with foreign keys on would delete, by cascade, every row that refers to it. SQLite cannot add a
# foreign key to an existing table, so the parent link is enforced on PostgreSQL only.
def upgrade():
    op.add_column('process_instance', sa.Column('parent_id', sa.Integer(), nullable=True))
    op.create_index('ix_process_instance_parent_id', 'process_instance', ['parent_id'], unique=False)
    if op.get_bind().dialect.name != 'sqlite':
        op.create_foreign_key(op.f('fk_process_instance_parent_id_process_instance'), 'process_instance',
                              'process_instance', ['parent_id'], ['id'])
    op.add_column('human_task', sa.Column('drafted', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE human_task SET drafted = true WHERE id IN (SELECT task_id FROM task_draft)")


def downgrade():
    op.drop_column('human_task', 'drafted')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_process_instance_parent_id_process_instance'), 'process_instance',
                           type_='foreignkey')
    op.drop_index('ix_process_instance_parent_id', table_name='process_instance')
    op.drop_column('process_instance', 'parent_id')
