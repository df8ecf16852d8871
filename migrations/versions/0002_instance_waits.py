"""process_instance.waits (the message and signal names an instance is indexed under) and definition_sha

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waits', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('definition_sha', sa.String(length=64), nullable=True))
    op.execute("UPDATE process_instance SET definition_sha = "
               "(SELECT sha256 FROM deployment WHERE deployment.id = process_instance.deployment_id)")
    # Existing instances: mirror what instance_wait already holds.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT instance_id, kind, name FROM instance_wait ORDER BY kind, name"))
    waits = {}
    for instance_id, kind, name in rows:
        waits.setdefault(instance_id, []).append([kind, name])
    table = sa.table('process_instance', sa.column('id', sa.Integer), sa.column('waits', sa.JSON))
    for instance_id, pairs in waits.items():
        connection.execute(table.update().where(table.c.id == instance_id).values(waits=pairs))


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('definition_sha')
        batch_op.drop_column('waits')
