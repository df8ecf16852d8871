"""plan: the school year's programme (plan, plan_item) and the instances that run each item for a unit

process_instance gets plan_item_id (unique with unit_code: one instance of an item per unit, so that two sweeps
starting an item cannot both start it) and submitted_on / late_days, projected from the process data for
coverage and late-submission reports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('calendar', sa.JSON(), nullable=False),
    sa.Column('school_year_starts', sa.Date(), nullable=False),
    sa.Column('school_year_ends', sa.Date(), nullable=False),
    sa.Column('source_sha', sa.String(length=64), nullable=True),
    sa.Column('opened_by', sa.String(length=100), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan')),
    sa.UniqueConstraint('year', name=op.f('uq_plan_year'))
    )
    op.create_table('plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('section', sa.Integer(), nullable=False),
    sa.Column('section_title', sa.String(length=500), nullable=False),
    sa.Column('number', sa.String(length=10), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('deadline_text', sa.String(length=500), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('calendar_keys', sa.JSON(), nullable=False),
    sa.Column('starts', sa.Date(), nullable=True),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('executors_text', sa.String(length=500), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('lead_role', sa.String(length=50), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('process_id', sa.String(length=255), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('anomalies', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('start_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_item_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_item')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_plan_item_plan_id'))
    )
    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_item_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_item_starts'), ['starts'], unique=False)

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_item_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_on', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('late_days', sa.Integer(), nullable=True))
        batch_op.create_index('ix_process_instance_plan_unit', ['plan_item_id', 'unit_code'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_process_instance_plan_item_id_plan_item'), 'plan_item', ['plan_item_id'], ['id'])



def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_process_instance_plan_item_id_plan_item'), type_='foreignkey')
        batch_op.drop_index('ix_process_instance_plan_unit')
        batch_op.drop_column('late_days')
        batch_op.drop_column('submitted_on')
        batch_op.drop_column('plan_item_id')

    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_item_starts'))
        batch_op.drop_index(batch_op.f('ix_plan_item_plan_id'))

    op.drop_table('plan_item')
    op.drop_table('plan')
