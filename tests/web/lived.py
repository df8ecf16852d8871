"""A lived plan for the page tests: the 2020/21 plan lived by a small city on the manual clock (the demo's city
of load_org, with simulated staff for schools №1 and №2 and PPE №17), so that pages show what people meet: plan
items a page long, reports handed in (some late), open tasks past their deadline, reminders and escalations about
schools nobody answers for (№3, №5, №8, №33). head17 and tech17 do their own units' work in the simulation."""
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select

from cli.simulation import YearSimulation
from engine.db import db
from engine.models import HumanTask
from engine.plan import catalogue
from tests.conftest import PRIMARY, make_app
from tests.web.conftest import populated

DEMO_DAY = date(2020, 12, 4)


def live_plan(until: date = DEMO_DAY):
    """Live the plan up to `until` (the clock stays there, 09:30 Moscow time). The same seed lives the same year at
    every run, so what the page tests find (e.g. a few open tasks for ИАО on 4 December) does not depend on luck."""
    report = YearSimulation(2, 1, late_share=0.3, seed=3, ppe_hosts=[17]).run(catalogue.load_default(), until=until)
    db.session.commit()
    return report


def tasks(*conditions) -> list[HumanTask]:
    db.session.rollback()
    return list(db.session.scalars(select(HumanTask).where(*conditions).order_by(HumanTask.id)))


@contextmanager
def lived_site(backends, tmp_path_factory):
    """A module's lived plan on the primary backend, signed-in clients by login (`site` of tests/web/conftest.py,
    lived once per module instead of once per test: its tests only read it, and living it takes a minute)."""
    tmp = tmp_path_factory.mktemp("lived")
    app = make_app(backends(PRIMARY).fresh(tmp), tmp)
    with app.app_context():
        client_for = populated(app)
        live_plan()
        yield client_for
        db.session.remove()
        db.engine.dispose()
