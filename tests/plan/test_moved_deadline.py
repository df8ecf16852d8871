"""A supervisor moves a running item's deadline later (issue 15 §10): the escalations raised for the schools that
missed the old deadline are withdrawn, and the schools that had handed in may correct their reports until the new
one, while the plan keeps counting them as handed in (engine.plan.dates, engine.plan.corrections)."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

import engine
from cli.demo import deploy_processes
from engine.db import db
from engine.models import AuditEvent, HumanTask, PlanItem, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from engine.plan import dates as plan_dates, running as plans

NUMBER = "3.28"  # passports and SNILS of the 11th-graders, each school by 30 Dec 2020


@pytest.fixture
def opened(org, clock_at):
    clock_at("2020-09-01T09:30:00+03:00")
    deploy_processes()
    return plans.open_plan(plan_catalogue.load_default(), actor="iao")


def item() -> PlanItem:
    db.session.rollback()
    return db.session.scalar(select(PlanItem).where(PlanItem.number == NUMBER))


def reports() -> dict[str, int]:
    return dict(db.session.execute(select(ProcessInstance.unit_code, ProcessInstance.id).join(PlanItem)
                                   .where(PlanItem.number == NUMBER)).tuples().all())


def open_tasks(bpmn_id, unit=None) -> list[HumanTask]:
    """The item's open tasks (its reports' and their corrections'): the schools have other items' too."""
    db.session.rollback()
    ids = list(reports().values())
    ids += db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.parent_id.in_(ids))).all()
    query = select(HumanTask).where(HumanTask.bpmn_id == bpmn_id, HumanTask.state == "READY",
                                    HumanTask.instance_id.in_(ids))
    return list(db.session.scalars(query if unit is None else query.where(HumanTask.unit_code == unit)))


def sweep(clock_at, moment):
    clock_at(moment)
    for _ in range(2):  # a due timer is made ready by one sweep and run by the next
        engine.advance_timers()


def hand_in(org, login, unit, counts):
    task = open_tasks("report_task", unit)[0]
    engine.complete(task.id, org[login], {"summary": "Паспорта и СНИЛС проверены", "count_done": counts[0],
                                          "count_total": counts[1]})


@pytest.fixture
def overdue(opened, org, clock_at):
    """3.28 running for every school; school 12 handed in on time, school 17 late, school 33 not at all."""
    assert item().due == date(2020, 12, 30)
    clock_at(f"{item().starts.isoformat()}T09:30:00+03:00")
    plans.start_due_items()
    clock_at("2020-12-28T10:00:00+03:00")
    hand_in(org, "head12", "school-12", (25, 26))
    sweep(clock_at, "2020-12-31T09:30:00+03:00")
    assert {t.unit_code for t in open_tasks("report_escalate")} == set(reports()) - {"school-12"}
    clock_at("2021-01-02T10:00:00+03:00")
    hand_in(org, "head17", "school-17", (30, 30))
    return reports()


def test_extending_an_items_deadline_withdraws_the_escalations_of_the_schools_still_late(overdue, clock_at):
    clock_at("2021-01-04T10:00:00+03:00")
    result = plan_dates.set_item_window(item(), item().starts, date(2021, 1, 15), actor="iao")
    late = set(overdue) - {"school-12", "school-17"}
    assert result["instances"] == len(late) and result["failed"] == []
    assert open_tasks("report_escalate") == []
    for unit in late:
        task = open_tasks("report_task", unit)[0]
        assert task.due_at == datetime.fromisoformat("2021-01-15T23:59:59+03:00")
        assert "Эскалация отозвана: срок перенесён" in [h["name"] for h in engine.detail(overdue[unit])["history"]]
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == overdue[unit],
                                                        AuditEvent.action == "reschedule")).one()
    assert moved.actor == "iao" and moved.summary["reason"] == (
        f"Пункт плана 3.28: срок теперь {item().starts:%d.%m.%Y}–15.01.2021.")

    sweep(clock_at, "2021-01-16T09:30:00+03:00")  # the new deadline missed: escalated again
    assert {t.unit_code for t in open_tasks("report_escalate")} == late


def test_schools_that_handed_in_may_correct_their_report_until_the_new_deadline(overdue, org, clock_at):
    clock_at("2021-01-04T10:00:00+03:00")
    result = plan_dates.set_item_window(item(), item().starts, date(2021, 1, 15), actor="iao")
    assert result["corrections"] == 2  # schools 12 and 17 (late, but handed in before the move)
    correction = open_tasks("correct_task", "school-12")[0]
    assert (correction.role, correction.name) == ("school_head", "Исправление отчёта: 3.28 " + item().title)
    assert correction.due_at == datetime.fromisoformat("2021-01-15T23:59:59+03:00")
    corrected = correction.instance_id
    data = engine.detail(corrected)["data"]
    assert (data["report"]["count_done"], data["report"]["count_total"]) == (25, 26)  # the form shows what was sent
    assert data["status_text"] == "отчёт сдан, можно исправить до 15.01.2021"

    # The plan still counts both as handed in (on time and 3 days late), not as work in progress.
    progress = {p.item.number: p for p in plans.overview(item().plan)}[NUMBER]
    assert (progress.done, progress.late) == (2, 1)

    # Moved again, the open corrections follow the new deadline.
    result = plan_dates.set_item_window(item(), item().starts, date(2021, 1, 20), actor="iao")
    assert result["corrections"] == 0
    assert open_tasks("correct_task", "school-12")[0].due_at == datetime.fromisoformat("2021-01-20T23:59:59+03:00")

    clock_at("2021-01-18T11:00:00+03:00")
    engine.complete(correction.id, org["head12"], {"summary": "Паспорта проверены, один СНИЛС добавлен",
                                                   "count_done": 26, "count_total": 26})
    data = engine.detail(corrected)["data"]
    assert (data["report"]["count_done"], data["corrected_on"], data["status_text"]) == (
        26, "2021-01-18", "отчёт исправлен 18.01.2021")

    sweep(clock_at, "2021-01-21T09:30:00+03:00")  # school 17 left its report as it was
    assert open_tasks("correct_task") == []
    db.session.rollback()
    kept = db.session.scalar(select(ProcessInstance).where(ProcessInstance.parent_id == overdue["school-17"]))
    assert (kept.status, kept.status_text) == ("completed", "отчёт не исправлялся")


def test_a_deadline_moved_earlier_offers_no_correction(overdue, clock_at):
    clock_at("2021-01-04T10:00:00+03:00")
    plan_dates.set_item_window(item(), item().starts, date(2021, 1, 15), actor="iao")
    before = len(open_tasks("correct_task"))
    result = plan_dates.set_item_window(item(), item().starts, date(2021, 1, 12), actor="iao")
    assert result["corrections"] == 0 and len(open_tasks("correct_task")) == before == 2
