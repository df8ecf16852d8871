"""The cockpit's repair (issue 13): the element a failed step stopped at, batch jobs and their items, and saved
filters of the instance list beside the inbox's

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_element', sa.String(length=255), nullable=True))
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page', sa.String(length=20), server_default='inbox', nullable=False))
    op.create_table('batch_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_job'))
    )
    op.create_table('batch_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_batch_item_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['batch_job.id'], name=op.f('fk_batch_item_job_id_batch_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_item'))
    )
    with op.batch_alter_table('batch_item', schema=None) as batch_op:
        batch_op.create_index('ix_batch_item_job', ['job_id', 'outcome', 'instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('batch_item', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_item_job')
    op.drop_table('batch_item')
    op.drop_table('batch_job')
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_column('page')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('error_element')
