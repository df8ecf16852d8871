"""The correctness check of bench/inbox.py: a fast inbox is worth nothing if it shows the wrong tasks.

engine.service.inbox builds one SQL statement out of several branches (the user's units, each city-wide role),
each ordered and limited on its own, then merged. This module recomputes the same first pages without any of
that: it reads every READY task once, decides in Python with engine.access.offered_to (the rule the task
page applies to a single task) which are offered to the user, applies the tab, the filter, the hidden
instances and the snoozes in plain Python, and sorts. It also checks that engine.access.offered_filter, the
rule in SQL, selects the same set as offered_to. Both sides run under one pinned clock, so "overdue" means the
same instant on both. It prints OK or MISMATCH per case; it is not a test and raises nothing.
"""
from datetime import datetime, time, timedelta

HIDDEN_STATUSES = ("suspended", "error")  # the instance statuses whose tasks the inbox leaves out


def check(personas: dict[str, int], cases: list[tuple[str, str, dict]]) -> list[tuple[str, str, str]]:
    """`personas`: key → user id; `cases`: (label, persona key, InboxQuery kwargs) with the default sort (due).
    Returns (persona key, label, verdict) rows."""
    import engine
    from engine import InboxQuery, clock
    from engine.access import memberships, offered_filter, offered_to
    from engine.db import db
    from engine.models import HumanTask, ProcessInstance, TaskSnooze, User
    from engine.service.inbox import COUNT_CAP, TABS
    from sqlalchemy import select

    db.session.rollback()
    t = HumanTask.__table__.c
    ready = db.session.execute(select(t.id, t.role, t.unit_code, t.assignee_id, t.due_at, t.process_id,
                                      t.instance_id).where(t.state == "READY")).all()
    hidden = set(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.status.in_(HIDDEN_STATUSES))))
    out = []
    with clock.pinned(clock.now()) as now:
        for persona, uid in personas.items():
            user = db.session.get(User, uid)
            held = memberships(user, on=now.astimezone(clock.local_zone()).date())
            snoozed = set(db.session.scalars(select(TaskSnooze.task_id).where(
                TaskSnooze.user_id == uid, TaskSnooze.until > now)))
            offered = {r.id for r in ready if offered_to(user, r, held)}
            in_sql = set(db.session.scalars(select(HumanTask.id).where(HumanTask.state == "READY",
                                                                       offered_filter(user, held))))
            out.append((persona, "offered_filter (SQL) = offered_to (Python)",
                        f"OK ({len(offered):,} tasks)" if in_sql == offered else
                        f"MISMATCH: {len(in_sql - offered)} only in SQL, {len(offered - in_sql)} only in Python"))

            def expected(query):
                rows = [r for r in ready if r.instance_id not in hidden and _in_tab(r, query.tab, uid, offered)
                        and (r.id in snoozed) == query.snoozed and _matches(r, query, now)]
                return sorted(rows, key=lambda r: (r.due_at is None, r.due_at or now, r.id))

            for label, key, kwargs in cases:
                if key != persona:
                    continue
                query = InboxQuery(**kwargs)
                assert query.sort == "due" and query.page == 1 and not query.text, "the oracle: due order, page 1"
                rows = expected(query)
                page = engine.inbox(user, query, held)
                want_ids, got_ids = [r.id for r in rows[:query.per_page]], [task.id for task in page.items]
                want_total = (min(len(rows), COUNT_CAP), len(rows) > COUNT_CAP)
                if got_ids != want_ids:
                    verdict = (f"MISMATCH: first page differs at row {_first_difference(got_ids, want_ids) + 1} "
                               f"({len(got_ids)} ids, expected {len(want_ids)})")
                elif (page.total, page.total_capped) != want_total:
                    verdict = f"MISMATCH: total {page.total}, expected {want_total[0]}"
                else:
                    verdict = f"OK ({len(got_ids)} ids in order; total {len(rows):,}, shown as " \
                              f"{page.total}{'+' if page.total_capped else ''})"
                out.append((persona, label, verdict))
            counts = engine.inbox_counts(user, held)
            want = {tab: min(len(expected(InboxQuery(tab=tab))), COUNT_CAP) for tab in TABS}
            out.append((persona, "inbox_counts (3 tabs)", f"OK {_slashed(counts)}" if counts == want else
                        f"MISMATCH: {_slashed(counts)}, expected {_slashed(want)}"))
    db.session.rollback()
    return out


def _in_tab(row, tab, uid, offered) -> bool:
    if tab == "mine":
        return row.assignee_id == uid
    if tab == "group":
        return row.assignee_id is None and row.id in offered
    return row.id in offered or row.assignee_id == uid


def _matches(row, query, now) -> bool:
    from engine import clock

    def day_start(day):
        return datetime.combine(day, time(0, 0), tzinfo=clock.local_zone())
    due = row.due_at
    return ((not query.process_id or row.process_id == query.process_id)
            and (not query.unit or row.unit_code == query.unit)
            and (not query.overdue or (due is not None and due < now))
            and (not query.due_from or (due is not None and due >= day_start(query.due_from)))
            and (not query.due_to or (due is not None and due < day_start(query.due_to + timedelta(days=1)))))


def _first_difference(a, b) -> int:
    return next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _slashed(counts: dict) -> str:
    return "mine/group/available = " + "/".join(str(counts[tab]) for tab in ("mine", "group", "available"))
