"""The inbox is the page the staff open most: it costs a handful of SQL statements, however much it shows (its
rows, the tabs' counts, the filter bar's choices, the saved filters, the notifications). Issue 12 §5.

A count of statements, not a time: each statement is a round trip and its share of SQLAlchemy's Python."""
import sqlalchemy as sa

import engine
from engine import InboxQuery, clock
from engine.db import db
from engine.models import Notification
from tests.engine.a1 import start_check

MOST = 5


def as_a_server_begins_a_request():
    """The test's app context holds one session across the client's requests, so what a request reads once per
    transaction (the signed-in user, the memberships, the clock) would be left over from the last one."""
    db.session.remove()


class Statements:
    """The SQL statements sent while the block runs, less transaction control: SQLite's BEGIN IMMEDIATE (our
    choice of lock, engine.db) passes through the cursor, PostgreSQL's BEGIN does not."""

    def __init__(self):
        self.sent = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.sent.append(" ".join(statement.split())[:200])

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)

    def __str__(self):
        return "\n".join(f"{k + 1}. {s}" for k, s in enumerate(self.sent))


def a_full_inbox(login: str, role: str, unit: str | None):
    """Two open checks, a saved filter and a notification for the user: every part of the page has something."""
    for due in ("2031-03-19", "2031-03-26"):
        start_check("ppe-17", due=due)
    engine.save_filter(engine.user_by_login(login), "Срочные", "private", InboxQuery(overdue=True))
    db.session.add(Notification(created_at=clock.now(), kind="info", role=role, unit_code=unit,
                                text="Проверка назначена"))
    db.session.commit()


def test_a_unit_staff_members_inbox_runs_at_most_five_statements(site):
    a_full_inbox("tech17", "ppe_tech", "ppe-17")
    tech = site("tech17")
    tech.get("/")  # the first request of a client pays for what is cached per process (templates, statements)
    as_a_server_begins_a_request()
    with Statements() as seen:
        page = tech.get("/?tab=group&sort=-due").get_data(as_text=True)
    assert page.count("/tasks/") == 2 and "Срочные" in page and "Проверка назначена" in page
    assert len(seen.sent) <= MOST, f"{len(seen.sent)} statements:\n{seen}"


def test_a_department_specialists_inbox_filtered_to_nothing_runs_at_most_five_statements(site):
    """An empty page: the tabs' counts cannot come with its rows, and still the page stays within the count."""
    a_full_inbox("iao", "iao_specialist", None)
    specialist = site("iao")
    specialist.get("/")
    as_a_server_begins_a_request()
    with Statements() as seen:
        page = specialist.get("/?process_id=ppe_tech_check&due_to=2031-12-31").get_data(as_text=True)
    assert "/tasks/" not in page  # the checks wait for the PPE's technician, not for the department
    assert "Срочные" in page and "Проверка назначена" in page and 'value="ppe-17"' in page  # a unit to filter by
    assert len(seen.sent) <= MOST, f"{len(seen.sent)} statements:\n{seen}"

