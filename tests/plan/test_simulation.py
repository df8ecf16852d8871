"""The simulated year on a small city: every item starts, reminders and escalations fire, tasks are done with
data generated from their forms (some late, some checks faulty, some drafts returned), and nothing errs."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from cli.demo import load_plan_demo
from cli.simulate import simulate_year
from cli.simulation import YearSimulation
from engine import clock
from engine.db import db
from engine.errors import EngineError
from engine.models import PlanItem, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from engine.plan import running as plans


def test_a_small_city_runs_the_whole_year_without_an_error(app):
    report = simulate_year("2020/21", schools=3, ppe=1, late_share=0.2, seed=7)

    assert report.days == 365 and not report.refused and not report.failed_starts
    assert sorted(report.sections) == [1, 2, 3, 4, 5]
    for number, section in report.sections.items():
        assert section.completed > 0 and section.errors == 0, (number, section)
    assert sum(s.late for s in report.sections.values()) > 0
    assert sum(s.escalations for s in report.sections.values()) > 0

    not_started = db.session.scalars(select(PlanItem.number).where(PlanItem.started_at.is_(None))).all()
    # «По отдельному графику» and «согласно графику от МОН РД»: they wait for a date in the calendar
    assert not_started == ["3.45", "5.4", "5.5"]
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


def test_living_the_plan_prints_a_line_per_simulated_week_on_stderr(app, capsys):
    capsys.readouterr()
    YearSimulation(1, 1, late_share=0, seed=3).run(plan_catalogue.load_default(), until=date(2020, 10, 6))

    out, err = capsys.readouterr()
    assert out == ""  # stdout is the command's result: JSON with --json
    line = re.compile(r"Моделирование: неделя (\d+), по (\d\d\.\d\d\.\d{4}) — выполнено задач: ([\d\xa0]+), (\d+) с")
    first, *lines = [text for text in err.splitlines() if text.startswith("Моделирование")]
    assert first == "Моделирование плана 2020/21 с 01.09.2020: строка на каждую неделю"
    weeks = [line.fullmatch(text) for text in lines]
    assert weeks and all(weeks), err
    assert [(m[1], m[2]) for m in weeks] == [("1", "07.09.2020"), ("2", "14.09.2020"), ("3", "21.09.2020"),
                                             ("4", "28.09.2020"), ("5", "05.10.2020"), ("6", "06.10.2020")]
    done = [int(m[3].replace("\xa0", "")) for m in weeks]
    assert done == sorted(done) and done[-1] > 0


def test_a_demo_stopped_halfway_is_lived_on_to_its_date(app, capsys):
    # What Ctrl-C during a first `make run` leaves: the plan open, the clock on the day it was living.
    YearSimulation(1, 1, late_share=0, seed=3).run(plan_catalogue.load_default(), until=date(2020, 9, 9))
    capsys.readouterr()

    load_plan_demo(date(2020, 9, 15))

    assert clock.now().astimezone(clock.local_zone()).date() == date(2020, 9, 15)
    lines = [text for text in capsys.readouterr().err.splitlines() if text.startswith("Моделирование")]
    assert lines[0] == "Моделирование плана 2020/21 с 09.09.2020: строка на каждую неделю"
    assert [text.split(" — ")[0] for text in lines[1:]] == ["Моделирование: неделя 2, по 14.09.2020",
                                                           "Моделирование: неделя 3, по 15.09.2020"]
    assert load_plan_demo(date(2020, 9, 15)) == {"plan": "open already"}  # lived to its date: nothing more to do
