"""The process data's top-level scalars kept beside each instance (process_instance.variables), which the instance
list's conditions read: what is kept and what is left out, that each step keeps them in step with the data, and that
the upgrade fills them for the instances that existed before (migration 0014) as a step would have."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import ProcessInstance
from engine.projection import VARIABLES_KEPT, kept_variables
from tests.conftest import BACKENDS, own_database
from tests.engine.a1 import checklist, only, start_check


def variables_of(instance_id: int) -> dict | None:
    db.session.expire_all()
    return db.session.scalar(select(ProcessInstance.variables).where(ProcessInstance.id == instance_id))


def test_numbers_yes_no_dates_and_short_texts_are_kept_and_the_rest_left_out():
    data = {"fix_days": 7, "share": 0.5, "ready": True, "checked_on": date(2021, 3, 15),
            "at": datetime(2021, 3, 15, 9, 30), "price": Decimal("2.50"), "school": "СОШ №12", "empty": "",
            "long": "x" * 201, "rooms": [1, 2], "jammer": {"status": "ok"}, "none": None, "huge": 2**60,
            "nan": float("nan"), "bad key": 1, 5: "five"}
    assert kept_variables(data) == {"fix_days": 7, "share": 0.5, "ready": True, "checked_on": "2021-03-15",
                                    "at": "2021-03-15", "price": 2.5, "school": "СОШ №12", "empty": ""}
    assert kept_variables({"rooms": [1]}) is None
    many = {f"v{n}": n for n in range(VARIABLES_KEPT + 10)}
    assert kept_variables(many) == {f"v{n}": n for n in range(VARIABLES_KEPT)}  # the first ones, in order


def test_each_step_keeps_the_variables_in_step_with_the_process_data(org):
    check = start_check(fix_days=5)
    assert variables_of(check).items() >= {"check_due": "2021-03-19", "fix_days": 5, "recheck_days": 3}.items()
    engine.complete(only(check, "checklist").id, engine.user_by_login("tech17"),
                    checklist(faulty=["jammer"], checked_on="2021-03-15"))
    kept = variables_of(check)
    assert kept["fix_days"] == 5 and kept["status_text"].startswith("неисправности")
    assert "checklist" not in kept and "faults" not in kept  # a mapping, a list: the list filters on scalars only
    assert all(value == engine.detail(check)["data"][key] for key, value in kept.items())


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_fills_the_variables_of_the_instances_it_finds_as_a_step_would(backend, tmp_path):
    with own_database(backend, tmp_path):
        from tests.conftest import load_org
        load_org()
        running = start_check(fix_days=5)
        engine.complete(only(running, "checklist").id, engine.user_by_login("tech17"),
                        checklist(faulty=["jammer"], checked_on="2021-03-15"))
        quiet = engine.start("ppe_tech_check", {"check_due": "2021-03-19", "fix_days": 2, "recheck_days": 1,
                                                "notes": ["a"], "about": "x" * 300},
                             unit="ppe-12", actor="iao").instance_id
        cancelled = start_check(fix_days=9)
        engine.cancel(cancelled, "iao")
        db.session.commit()
        expected = {i: variables_of(i) for i in (running, quiet, cancelled)}
        assert all(expected.values()) and expected[quiet]["fix_days"] == 2 and "notes" not in expected[quiet]
        db.session.remove()

        downgrade(revision="0013")
        upgrade()
        assert {i: variables_of(i) for i in expected} == expected
