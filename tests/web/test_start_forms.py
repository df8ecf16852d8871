"""Starting a process from /activities: a school's coordinator is offered only her own school on the start form
and a post naming another school is refused with nothing started (scenario A12's appeal, started by the school)."""
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import ProcessInstance
from tests.conftest import set_manual_clock
from tests.web.conftest import csrf

APPEAL = {"pupil": "Закиров З.З.", "exam": "ЕГЭ", "subject": "Математика", "results_on": "2021-06-21",
          "appeal_on": "2021-06-22"}


def appeals() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(ProcessInstance.unit_code).where(ProcessInstance.process_id == "score_appeal")))


def test_a_school_starts_an_appeal_for_itself_only(site):
    set_manual_clock("2021-06-22T10:00:00+03:00")
    engine.ensure_user("coord12", "school_coordinator", "school-12", password="demo")
    db.session.commit()
    coordinator = site("coord12")
    page = coordinator.get("/activities/score_appeal")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "СОШ №12" in body and "СОШ №17" not in body

    other = coordinator.post("/activities/score_appeal",
                             data={"csrf_token": csrf(page), "units": "school-17", **APPEAL})
    assert other.status_code in (200, 422) and appeals() == []
    assert "Закиров З.З." in other.get_data(as_text=True)  # the input is kept

    own = coordinator.post("/activities/score_appeal", data={"csrf_token": csrf(page), "units": "school-12", **APPEAL})
    assert own.status_code == 302 and appeals() == ["school-12"]
