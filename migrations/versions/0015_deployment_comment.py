"""A deployment's comment: what changed in this version, written by whoever deployed it (issue 14 §4)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# Plain ADD and DROP COLUMN, not a batch: on SQLite a batch recreates the table, and dropping the old deployment
# with foreign keys on fails or cascades (its files, processes and instances refer to it); see 0010.
def upgrade():
    op.add_column('deployment', sa.Column('comment', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('deployment', 'comment')
