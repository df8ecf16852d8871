"""The inbox through the service layer: tabs, filters, paging, substitution, snooze, reassignment, saved filters,
comments, and a deactivated user's tasks going back to the group."""
from datetime import date, datetime

import pytest

import engine
from engine import InboxQuery
from engine.db import db
from engine.models import AuditEvent, HumanTask
from tests.engine.a1 import checklist, only, start_check


def ids(page):
    return [t.id for t in page.items]


@pytest.fixture
def two_checks(org, clock_at):
    """Checks for PPE 17 (due 19 Mar) and PPE 12 (due 26 Mar), started on 15 Mar 2021."""
    clock_at("2021-03-15T10:00:00+03:00")
    first = start_check("ppe-17", due="2021-03-19")
    second = start_check("ppe-12", due="2021-03-26")
    return only(first, "checklist"), only(second, "checklist")


def test_tabs_show_claimed_group_and_all_available_tasks(org, two_checks):
    check17, _ = two_checks
    tech = org["tech17"]
    assert ids(engine.inbox(tech, InboxQuery(tab="group"))) == [check17.id]
    assert ids(engine.inbox(tech, InboxQuery(tab="mine"))) == []
    engine.claim(check17.id, tech)
    assert ids(engine.inbox(tech, InboxQuery(tab="mine"))) == [check17.id]
    assert ids(engine.inbox(tech, InboxQuery(tab="group"))) == []
    assert ids(engine.inbox(tech, InboxQuery(tab="available"))) == [check17.id]
    assert ids(engine.inbox(org["tech12"], InboxQuery(tab="available"))) != [check17.id]


def test_department_filters_by_unit_overdue_text_and_sorts_by_due_date(org, two_checks, clock_at):
    check17, check12 = two_checks
    engine.ensure_user("iao_tech", "ppe_tech", "ppe-12")
    engine.ensure_user("iao_tech", "ppe_tech", "ppe-17")
    watcher = engine.user_by_login("iao_tech")
    assert ids(engine.inbox(watcher)) == [check17.id, check12.id]  # nearest deadline first
    assert ids(engine.inbox(watcher, InboxQuery(sort="-due"))) == [check12.id, check17.id]
    assert ids(engine.inbox(watcher, InboxQuery(unit="ppe-12"))) == [check12.id]
    assert ids(engine.inbox(watcher, InboxQuery(text="№12"))) == [check12.id]
    assert ids(engine.inbox(watcher, InboxQuery(text="100%_"))) == []  # LIKE wildcards are literal
    assert ids(engine.inbox(watcher, InboxQuery(due_from=date(2021, 3, 20)))) == [check12.id]
    assert ids(engine.inbox(watcher, InboxQuery(due_to=date(2021, 3, 19)))) == [check17.id]
    assert ids(engine.inbox(watcher, InboxQuery(overdue=True))) == []
    clock_at("2021-03-21T10:00:00+03:00")
    assert ids(engine.inbox(watcher, InboxQuery(overdue=True))) == [check17.id]
    assert ids(engine.inbox(watcher, InboxQuery(process_id="other"))) == []


def test_paging_returns_each_task_once_with_the_total(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    for n in range(7):
        start_check("ppe-17", due=f"2021-03-{16 + n}")
    tech = org["tech17"]
    pages = [engine.inbox(tech, InboxQuery(per_page=3, page=p)) for p in (1, 2, 3)]
    assert [p.total for p in pages] == [7, 7, 7] and [p.has_next for p in pages] == [True, True, False]
    seen = [t.due_at.date() for p in pages for t in p.items]
    assert len(seen) == 7 and seen == sorted(seen)
    assert pages[0].items[0].columns == {"ППЭ": "ППЭ №17 (на базе СОШ №17)", "Раунд": 1}


def test_query_parameters_survive_a_round_trip_and_bad_values_fall_back():
    query = InboxQuery(tab="group", unit="ppe-12", overdue=True, due_to=date(2021, 3, 19), sort="-due")
    assert InboxQuery.from_params(query.params()) == query
    junk = InboxQuery.from_params({"tab": "everything", "sort": "drop table", "page": "-3", "due_from": "32.13",
                                   "per_page": "100000", "overdue": "yes"})
    assert (junk.tab, junk.sort, junk.page, junk.due_from, junk.per_page, junk.overdue) == (
        "available", "due", 1, None, 200, True)


def test_deputy_gets_an_absent_colleagues_tasks_only_during_the_absence(org, two_checks, clock_at):
    check17, _ = two_checks
    engine.ensure_user("tech5", "ppe_tech", "ppe-12")
    deputy = engine.user_by_login("tech5")
    assert check17.id not in ids(engine.inbox(deputy))
    engine.set_absence(org["tech17"], "tech5", date(2021, 3, 16), date(2021, 3, 18))
    assert check17.id not in ids(engine.inbox(deputy))  # 15 March: not yet
    clock_at("2021-03-16T08:00:00+03:00")
    assert check17.id in ids(engine.inbox(deputy))
    result = engine.complete(check17.id, deputy, checklist())
    assert result.next_tasks[0].bpmn_id == "accept"
    clock_at("2021-03-19T08:00:00+03:00")
    assert engine.inbox(deputy).total == 1  # only PPE 12's own check again


def test_a_deputy_never_inherits_administrator_rights(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    engine.ensure_user("clerk", "school_coordinator", "school-33")
    engine.set_absence(org["admin"], "clerk", date(2021, 3, 1), date(2021, 3, 31))
    check = only(start_check("ppe-17"), "checklist")
    with pytest.raises(engine.PermissionDenied):
        engine.complete(check.id, engine.user_by_login("clerk"), checklist())


def test_absence_needs_a_real_deputy_and_dates_in_order(org):
    with pytest.raises(engine.EngineError):
        engine.set_absence(org["tech17"], "tech17", date(2021, 3, 1), date(2021, 3, 2))
    with pytest.raises(engine.EngineError):
        engine.set_absence(org["tech17"], "tech12", date(2021, 3, 5), date(2021, 3, 2))
    with pytest.raises(engine.NotFound):
        engine.set_absence(org["tech17"], "nobody", date(2021, 3, 1), date(2021, 3, 2))
    assert engine.absences(org["tech17"]) == []


def test_snoozed_task_leaves_the_inbox_until_its_date(org, two_checks, clock_at):
    check17, _ = two_checks
    tech = org["tech17"]
    with pytest.raises(engine.EngineError):
        engine.snooze(check17.id, tech, date(2021, 3, 14))  # in the past
    engine.snooze(check17.id, tech, date(2021, 3, 17))
    assert engine.inbox(tech).total == 0
    snoozed = engine.inbox(tech, InboxQuery(snoozed=True))
    assert ids(snoozed) == [check17.id] and snoozed.snoozed_until[check17.id].date() == date(2021, 3, 16)
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17")
    assert check17.id in ids(engine.inbox(engine.user_by_login("tech17b")))  # snoozed for me only
    clock_at("2021-03-17T00:30:00+03:00")
    assert ids(engine.inbox(tech)) == [check17.id]
    with pytest.raises(engine.PermissionDenied):
        engine.snooze(check17.id, org["head12"], date(2021, 3, 20))


def test_reassign_only_to_a_colleague_with_the_same_role_and_unit_with_a_reason(org, two_checks):
    check17, _ = two_checks
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17")
    with pytest.raises(engine.EngineError):
        engine.reassign(check17.id, org["tech17"], "tech17b", "")
    with pytest.raises(engine.EngineError) as refused:
        engine.reassign(check17.id, org["tech17"], "tech12", "уезжаю")
    assert "Технический специалист" in refused.value.message or "ppe_tech" in refused.value.message
    with pytest.raises(engine.PermissionDenied):
        engine.reassign(check17.id, org["head12"], "tech17b", "не моя")
    engine.reassign(check17.id, org["tech17"], "tech17b", "Ухожу на больничный")
    colleague = engine.user_by_login("tech17b")
    assert db.session.get(HumanTask, check17.id).assignee_id == colleague.id
    with pytest.raises(engine.PermissionDenied):
        engine.complete(check17.id, org["tech17"], checklist())
    trail = db.session.query(AuditEvent).filter_by(action="reassign").one()
    assert trail.message == "Ухожу на больничный" and trail.summary["to"] == "tech17b"


def test_saved_filters_are_private_or_shared_with_a_unit_or_the_department(org):
    query = InboxQuery(overdue=True, sort="-due")
    engine.save_filter(org["tech17"], "Мои просроченные", "private", query)
    engine.save_filter(org["tech17"], "Для ППЭ 17", "unit", query, unit="ppe-17")
    engine.save_filter(org["iao"], "Город: просрочено", "department", query)
    with pytest.raises(engine.PermissionDenied):
        engine.save_filter(org["tech17"], "Чужой ППЭ", "unit", query, unit="ppe-12")
    with pytest.raises(engine.PermissionDenied):
        engine.save_filter(org["head17"], "На весь город", "department", query)
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17")
    names = lambda login: [f.name for f in engine.saved_filters(engine.user_by_login(login))]
    assert names("tech17") == ["Для ППЭ 17", "Мои просроченные"]
    assert names("tech17b") == ["Для ППЭ 17"]
    assert names("iao_head") == ["Город: просрочено"]
    assert InboxQuery.from_params(engine.saved_filters(org["iao"])[0].params) == query


def test_comments_are_kept_in_order_and_only_for_who_may_see_the_task(org, two_checks):
    check17, _ = two_checks
    engine.comment(check17.id, org["tech17"], "Генератор проверим в пятницу")
    engine.comment(check17.id, org["iao"], "Хорошо")
    assert [(c.author, c.text) for c in engine.comments(check17.id)] == [
        ("tech17", "Генератор проверим в пятницу"), ("iao", "Хорошо")]
    with pytest.raises(engine.PermissionDenied):
        engine.comment(check17.id, org["head12"], "подсматриваю")
    with pytest.raises(engine.EngineError):
        engine.comment(check17.id, org["tech17"], "   ")
    assert db.session.query(AuditEvent).filter_by(action="denied", actor="head12").count() == 1


def test_deactivated_user_keeps_history_and_hands_claimed_tasks_back(org, two_checks):
    check17, _ = two_checks
    engine.claim(check17.id, org["tech17"])
    engine.deactivate("tech17", actor="admin")
    assert db.session.get(HumanTask, check17.id).assignee_id is None
    assert engine.authenticate("tech17", "demo") is None
    with pytest.raises(engine.PermissionDenied):
        engine.complete(check17.id, engine.user_by_login("tech17"), checklist())
    assert db.session.query(AuditEvent).filter_by(actor="tech17", action="claim").count() == 1
