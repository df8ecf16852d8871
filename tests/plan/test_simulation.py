"""The simulated year on a small city: every item starts, reminders and escalations fire, tasks are done with
data generated from their forms (some late, some checks faulty, some drafts returned), and nothing errs."""
import pytest
from sqlalchemy import func, select

from cli.simulation import simulate_year
from engine.db import db
from engine.errors import EngineError
from engine.models import PlanItem, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from engine.service import plans


def test_a_small_city_runs_the_whole_year_without_an_error(app):
    report = simulate_year("2020/21", schools=3, ppe=1, late_share=0.2, seed=7)

    assert report.days == 365 and not report.refused and not report.failed_starts
    assert sorted(report.sections) == [1, 2, 3, 4, 5]
    for number, section in report.sections.items():
        assert section.completed > 0 and section.errors == 0, (number, section)
    assert sum(s.late for s in report.sections.values()) > 0
    assert sum(s.escalations for s in report.sections.values()) > 0

    not_started = db.session.scalars(select(PlanItem.number).where(PlanItem.started_at.is_(None))).all()
    assert not_started == ["3.45"]  # «По отдельному графику»: waits for a date in the calendar
    statuses = set(db.session.scalars(select(ProcessInstance.status)))
    assert "error" not in statuses and "stalled" not in statuses
    checks = db.session.scalars(select(ProcessInstance.status_text).join(PlanItem)
                                .where(PlanItem.number == "3.32")).all()
    assert checks == ["готов"]  # the PPE check went through its faults, fixes and re-checks to acceptance
    late = db.session.scalars(select(ProcessInstance.status_text).where(ProcessInstance.late_days > 0)).all()
    assert late and any(text.startswith("сдано с опозданием на ") for text in late)


def test_simulating_over_an_open_plan_is_refused(app):
    plans.open_plan(plan_catalogue.load_default(), actor="iao")  # as a year simulated before would have left it
    with pytest.raises(EngineError, match="уже открыта"):
        simulate_year("2020/21", schools=1, ppe=1, late_share=0, seed=1)
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0  # nothing started
