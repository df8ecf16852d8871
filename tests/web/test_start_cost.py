"""Launching an activity from its page costs the same however many instances the activity has: the POST starts
what was asked and redirects, without reading the activity's instances (issue 12 §6). Counted in SQL statements
(before_cursor_execute), not timed. The statements' text is compared too: the page read its instances in a
constant number of statements, one of them naming every instance's id (an IN list as long as the activity)."""
import sqlalchemy as sa

import engine
from engine.db import db
from tests.conftest import set_manual_clock
from tests.web.conftest import csrf

LAUNCH = {"units": "ppe-17", "check_due": "2021-03-19", "fix_days": "7", "recheck_days": "3"}


class Statements:
    def __init__(self):
        self.seen = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def _launch_statements(client, token) -> list[str]:
    with Statements() as counted:
        response = client.post("/activities/ppe_tech_check", data={"csrf_token": token, **LAUNCH})
    assert response.status_code == 302, response.get_data(as_text=True)
    return counted.seen


def _grow_to(count: int) -> None:
    have = engine.visible_instances(engine.user_by_login("iao"), process_id="ppe_tech_check").total
    for _ in range(count - have):
        engine.start("ppe_tech_check", {"check_due": "2021-03-19", "fix_days": 7, "recheck_days": 3},
                     unit="ppe-17", actor="iao")
    db.session.commit()


def test_a_launch_runs_as_many_statements_at_200_instances_as_at_10(site):
    set_manual_clock("2021-03-15T09:00:00+03:00")
    iao = site("iao")
    token = csrf(iao.get("/activities/ppe_tech_check"))
    _grow_to(10)
    _launch_statements(iao, token)  # caches warm (the spec, the form) before counting
    few = _launch_statements(iao, token)
    _grow_to(200)
    many = _launch_statements(iao, token)
    assert len(many) == len(few)
    assert many == few
