"""design_form_draft: forms edited in the process designer, one draft per process and form (issue 14 §6)

A form is versioned with the process that uses it: the draft is deployed with the process's next version.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('design_form_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bpmn_id', sa.String(length=255), nullable=False),
    sa.Column('form_key', sa.String(length=100), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('saved_by', sa.String(length=100), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_design_form_draft')),
    sa.UniqueConstraint('bpmn_id', 'form_key', name=op.f('uq_design_form_draft_bpmn_id'))
    )


def downgrade():
    op.drop_table('design_form_draft')
