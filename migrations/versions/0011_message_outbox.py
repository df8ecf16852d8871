"""message_outbox: what a step throws (messages, signals), written in the step's transaction and delivered after its
commit, one row per event, so that a process killed between the commit and the end of the routing loses nothing
(issue 12 §1)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('source_instance_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('correlations', sa.JSON(), nullable=True),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_outbox'))
    )
    with op.batch_alter_table('message_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_message_outbox_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('message_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_message_outbox_created_at')
    op.drop_table('message_outbox')
