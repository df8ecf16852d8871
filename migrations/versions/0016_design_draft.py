"""design_draft: the process designer's drafts of BPMN files, saved from the browser modeller (issue 14 §1, §7)

One row per process id, with a revision that each save bumps (a save naming an older revision is refused).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('design_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bpmn_id', sa.String(length=255), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('saved_by', sa.String(length=100), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_design_draft')),
    sa.UniqueConstraint('bpmn_id', name=op.f('uq_design_draft_bpmn_id'))
    )


def downgrade():
    op.drop_table('design_draft')
