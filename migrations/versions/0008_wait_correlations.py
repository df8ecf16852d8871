"""instance_wait.correlation: the correlation values a waiting message catch awaits, indexed with its kind and name

A message reaches the instances whose awaited values it carries (issue 12, point 2), found by the index rather
than by restoring every instance waiting for the name. Existing rows keep NULL (any message of the name); each
instance indexes its values at its next step.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instance_wait', schema=None) as batch_op:
        batch_op.add_column(sa.Column('correlation', sa.String(length=500), nullable=True))
        batch_op.drop_index('ix_instance_wait_lookup')
        batch_op.create_index('ix_instance_wait_lookup', ['kind', 'name', 'correlation'], unique=False)


def downgrade():
    with op.batch_alter_table('instance_wait', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_wait_lookup')
        batch_op.create_index('ix_instance_wait_lookup', ['kind', 'name'], unique=False)
        batch_op.drop_column('correlation')
