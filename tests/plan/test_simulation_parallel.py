"""The simulated year lived by two processes side by side on PostgreSQL (`flask gia simulate --workers 2`), as a
region runs several workers on one database: the same year as one process lives, and no task done twice."""
from datetime import date

import pytest
from sqlalchemy import func, select

from cli.simulation import YearSimulation
from cli.simulation_parallel import ParallelYear
from engine.db import db
from engine.errors import EngineError
from engine.models import AuditEvent, HumanTask
from engine.plan import catalogue as plan_catalogue
from tests.conftest import PRIMARY, make_app

UNTIL = date(2020, 12, 31)


def _live(simulation) -> tuple:
    report = simulation.run(plan_catalogue.load_default(), progress=lambda *_: None, until=UNTIL)
    sections = {number: vars(stats) for number, stats in sorted(report.sections.items())}
    done_twice = db.session.execute(
        select(AuditEvent.task_id).where(AuditEvent.action == "complete").group_by(AuditEvent.task_id)
        .having(func.count() > 1)).all()
    completed = db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "COMPLETED"))
    return report, sections, done_twice, completed


@pytest.mark.skipif(PRIMARY != "postgresql", reason="several writers need PostgreSQL")
def test_two_processes_live_the_same_year_as_one(backends, tmp_path):
    outcomes = []
    for simulation in (lambda: ParallelYear(3, 1, late_share=0.2, seed=7, workers=2),
                       lambda: YearSimulation(3, 1, late_share=0.2, seed=7)):
        app = make_app(backends(PRIMARY).fresh(tmp_path), tmp_path)
        with app.app_context():
            outcomes.append(_live(simulation()))
            db.session.remove()
            db.engine.dispose()
    (parallel, sections, twice, completed), (single, single_sections, _, single_completed) = outcomes

    assert parallel.completions > 50 and not parallel.refused and not parallel.failed_starts
    assert twice == []
    assert (parallel.completions, parallel.tasks, completed) == (single.completions, single.tasks, single_completed)
    assert sections == single_sections


def test_several_workers_are_refused_on_sqlite(backends, tmp_path):
    app = make_app(backends("sqlite").fresh(tmp_path), tmp_path)
    with app.app_context():
        with pytest.raises(EngineError, match="PostgreSQL"):
            ParallelYear(1, 1, late_share=0, seed=1, workers=2)
