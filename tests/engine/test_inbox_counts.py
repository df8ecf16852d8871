"""The inbox's counts and pages against a recount in Python, after claims, snoozes, a suspension and a change of
memberships; and, on PostgreSQL, the indexes its counts read instead of the table (issue 12 §5).

Each user's page statement is built once per shape of query and reused (engine.service.inbox._built): what it is
built from (the user, their memberships) must reach it, what changes per request (the time, the filters' values)
must come as parameters. The recount below reads every READY task and applies the rule of engine.access."""
from datetime import date

import pytest
import sqlalchemy as sa

import engine
from engine import InboxQuery
from engine.access import offered_to
from engine.db import db
from engine.models import HumanTask, ProcessInstance, TaskSnooze
from tests.engine.a1 import only, start_check


def recount(user) -> dict[str, list[str]]:
    """Each tab's task ids by brute force, nearest deadline first."""
    now = engine.clock.now()
    hidden = set(db.session.scalars(sa.select(ProcessInstance.id).where(
        ProcessInstance.status.in_(("suspended", "error")))))
    snoozed = set(db.session.scalars(sa.select(TaskSnooze.task_id).where(TaskSnooze.user_id == user.id,
                                                                         TaskSnooze.until > now)))
    ready = [t for t in db.session.scalars(sa.select(HumanTask).where(HumanTask.state == "READY"))
             if t.instance_id not in hidden and t.id not in snoozed]
    ready.sort(key=lambda t: (t.due_at is None, t.due_at, t.id))
    offered = [t for t in ready if offered_to(user, t)]
    return {"mine": [t.id for t in ready if t.assignee_id == user.id],
            "group": [t.id for t in offered if t.assignee_id is None],
            "available": [t.id for t in ready if t.assignee_id == user.id or t in offered]}


def agrees(user):
    db.session.expire_all()
    expected = recount(user)
    assert engine.inbox_counts(user) == {tab: len(found) for tab, found in expected.items()}
    for tab, found in expected.items():
        page = engine.inbox(user, InboxQuery(tab=tab), with_counts=True)
        assert [t.id for t in page.items] == found and page.total == len(found), tab
        assert page.counts == {t: len(f) for t, f in expected.items()}


def test_counts_and_pages_agree_with_a_recount_after_claims_snoozes_and_a_suspension(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    checks = [start_check(unit, due=f"2021-03-{day}") for unit, day in
              (("ppe-17", 19), ("ppe-17", 22), ("ppe-12", 26), ("ppe-17", 29))]
    tasks = [only(check, "checklist") for check in checks]
    tech, iao = org["tech17"], org["iao"]
    agrees(tech)
    engine.claim(tasks[1].id, tech)
    agrees(tech)
    engine.snooze(tasks[0].id, tech, date(2021, 3, 20))
    agrees(tech)
    engine.suspend(checks[3], "admin")
    agrees(tech)
    agrees(iao)
    engine.resume(checks[3], "admin")
    clock_at("2021-03-21T10:00:00+03:00")  # the snooze is over: the same statement, another time
    agrees(tech)
    assert [t.id for t in engine.inbox(tech, InboxQuery(overdue=True)).items] == [tasks[0].id]


def test_a_users_page_follows_their_memberships_and_the_filters_values(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    check12 = only(start_check("ppe-12", due="2021-03-26"), "checklist")
    check17 = only(start_check("ppe-17", due="2021-03-19"), "checklist")
    engine.ensure_user("watcher", "ppe_tech", "ppe-12")
    watcher = engine.user_by_login("watcher")
    assert [t.id for t in engine.inbox(watcher).items] == [check12.id]
    engine.ensure_user("watcher", "ppe_tech", "ppe-17")  # the same user, the same query, one more unit
    db.session.commit()
    assert [t.id for t in engine.inbox(watcher).items] == [check17.id, check12.id]
    assert [t.id for t in engine.inbox(watcher, InboxQuery(unit="ppe-12")).items] == [check12.id]
    assert [t.id for t in engine.inbox(watcher, InboxQuery(unit="ppe-17")).items] == [check17.id]
    assert engine.inbox(watcher, InboxQuery(page=2, per_page=1)).items[0].id == check12.id


def test_the_role_index_holds_what_the_counts_read_on_postgresql(app):
    """A count of a city-wide role's tasks reads ix_human_task_role_due alone (an index-only scan) when the index
    holds every column it tests, and the hidden instances come from an index of their own."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("INCLUDE and index-only scans are PostgreSQL's")
    definitions = dict(db.session.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname IN ('ix_human_task_role_due', 'ix_process_instance_hidden')")).all())
    assert "INCLUDE (assignee_id, instance_id, process_id)" in definitions["ix_human_task_role_due"]
    assert "WHERE" in definitions["ix_process_instance_hidden"]
