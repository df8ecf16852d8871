"""production_calendar_day: the Russian production calendar supervisors keep (issue 15 §1)

Seeded from processes/plan/production-calendar.json (2020–2022), and marked seeded in engine_setting so that a
supervisor who later removes every day is not given the file's days back.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

"""
import json
from datetime import date, datetime, timezone
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

DATA_FILE = Path(__file__).resolve().parents[2] / "processes" / "plan" / "production-calendar.json"
SEEDED = "production_calendar_seeded"


def upgrade():
    table = op.create_table('production_calendar_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_calendar_day')),
    sa.UniqueConstraint('day', name=op.f('uq_production_calendar_day_day'))
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    years = {k: v for k, v in json.loads(DATA_FILE.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    op.bulk_insert(table, [
        {"day": date.fromisoformat(day), "working": working, "note": note, "changed_by": None, "changed_at": now}
        for year in years.values()
        for working, days in ((False, year["days_off"]), (True, year["working_days"]))
        for day, note in days.items()])
    setting = sa.table('engine_setting', sa.column('key', sa.String), sa.column('value', sa.Text))
    op.bulk_insert(setting, [{"key": SEEDED, "value": "0018"}])


def downgrade():
    op.execute(f"DELETE FROM engine_setting WHERE key = '{SEEDED}'")
    op.drop_table('production_calendar_day')
