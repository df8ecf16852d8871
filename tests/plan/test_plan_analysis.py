"""The department's analysis after the schools report (issue 15 §9): 3.49 and 3.51 (the schools report, the ИАО
analyses) and 4.12/4.13 (the schools report their parent meetings under 4.12, the ИАО analyses them under 4.13).
The analysis opens once every school has handed in, or the day after the schools' deadline, whichever comes first,
with each school's report and the city's figures on its page."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
from engine import clock
from engine.db import db
from engine.models import HumanTask, PlanItem, ProcessInstance, Unit
from engine.plan import catalogue as plan_catalogue
from engine.plan import dates as plan_dates
from engine.plan import running as plans
from tests.web.conftest import populated


@pytest.fixture
def opened(app, clock_at):
    """The plan opened on 1 September 2020 in the test city; returns a way to sign in as a login."""
    clock_at("2020-09-01T09:30:00+03:00")
    sign_in = populated(app)
    plans.open_plan(plan_catalogue.load_default(), actor="iao")
    return sign_in


def _schools() -> list[str]:
    return sorted(db.session.scalars(select(Unit.code).where(Unit.kind == "school")))


def _instances(number: str) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).join(PlanItem).where(PlanItem.number == number)
                                   .order_by(ProcessInstance.unit_code)))


def _open_tasks(instance: ProcessInstance) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                           HumanTask.state == "READY",
                                                           HumanTask.form_key != "escalation")))


def _analysis(number: str) -> ProcessInstance:
    [found] = [i for i in _instances(number) if i.process_id == "plan_analysis"]
    return found


def _hand_in(number: str, schools: list[str], done: int = 40, total: int = 50) -> None:
    """Each school's head hands in the item's report with its figures."""
    reports = {i.unit_code: i for i in _instances(number) if i.process_id == "plan_school_report"}
    for code in schools:
        head = engine.ensure_user(f"head-{code}", "school_head", code, password="demo")
        [task] = _open_tasks(reports[code])
        engine.complete(task.id, head, {"summary": f"Отчёт {code}", "count_done": done, "count_total": total,
                                        "document": None})


def _tick(clock_at, moment: str) -> None:
    clock_at(moment)
    plans.start_due_items()
    engine.advance_timers()


def test_the_items_that_analyse_what_schools_send_have_an_analysis_share():
    catalogue = plan_catalogue.load_default()
    for number in ("3.49", "3.51"):
        shares = {(p.scope, p.process, p.lead_role) for p in catalogue.entry(number).parts}
        assert shares == {("schools", "plan_school_report", "school_head"),
                          ("department", "plan_analysis", "iao_specialist")}, number
    assert "медаль" in catalogue.entry("3.51").also[0].params["report"]
    [analysis] = catalogue.entry("4.13").parts
    assert (analysis.scope, analysis.process, analysis.lead_role, analysis.params) == (
        "department", "plan_analysis", "iao_specialist", {"of": "4.12"})
    assert catalogue.entry("4.12").process == "plan_school_report"


@pytest.mark.parametrize("number, starts", [("3.49", "2021-07-01"), ("3.51", "2021-06-01")])
def test_the_analysis_opens_for_the_iao_once_every_school_has_reported(opened, clock_at, number, starts):
    _tick(clock_at, f"{starts}T09:30:00+03:00")
    analysis = _analysis(number)
    assert analysis.unit_code == "guo" and _open_tasks(analysis) == []  # nothing to analyse yet
    schools = _schools()
    _hand_in(number, schools[:-1])
    _tick(clock_at, f"{starts}T10:00:00+03:00".replace("-01T", "-02T"))
    assert _open_tasks(_analysis(number)) == []  # one school still has not reported, and it is not late yet

    _hand_in(number, schools[-1:], done=2, total=3)
    _tick(clock_at, f"{starts}T10:00:00+03:00".replace("-01T", "-03T"))
    [task] = _open_tasks(_analysis(number))  # before the schools' deadline: all are in
    assert (task.role, task.unit_code, task.form_key) == ("iao_specialist", "guo", "plan_analysis")
    data = engine.detail(task.instance_id)["data"]
    n = len(schools)
    assert (data["handed_in"], data["reports_total"]) == (n, n)
    assert data["analysis"]["figures"] == (f"Сдали отчёт: {n} из {n} ОУ. Выполнено (проведено, охвачено): "
                                           f"{40 * (n - 1) + 2} из {50 * (n - 1) + 3}.")
    rows = data["exports"]["school_reports"]["rows"]
    assert len(rows) == n and all(row[1] == "да" for row in rows)

    page = opened("iao").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"Отчёты ОУ сдали {n} из {n}" in page
    assert f"Отчёт {schools[-1]}" in page and "выполнено 2 из 3" in page


def test_the_analysis_opens_the_day_after_the_schools_deadline_naming_who_did_not_report(opened, clock_at):
    """3.51 «Июнь-июль»: the schools report 6 working days before the item's end (Friday 23 July, params.
    report_due), so that the analysis, which then opens with what is in, is due within July."""
    _tick(clock_at, "2021-06-01T09:30:00+03:00")
    schools = _schools()
    _hand_in("3.51", schools[:2])
    _tick(clock_at, "2021-07-23T10:00:00+03:00")
    assert _open_tasks(_analysis("3.51")) == []
    _tick(clock_at, "2021-07-24T10:00:00+03:00")
    [task] = _open_tasks(_analysis("3.51"))
    assert task.role == "iao_specialist"
    data = engine.detail(task.instance_id)["data"]
    assert (data["reports_due"], data["analysis_due"]) == ("2021-07-23", "2021-07-30")
    assert (data["handed_in"], data["reports_total"]) == (2, len(schools))
    names = dict(db.session.execute(select(Unit.code, Unit.name)).tuples().all())
    assert data["analysis"]["figures"].startswith(f"Сдали отчёт: 2 из {len(schools)} ОУ, не сдали: ")
    assert names[schools[-1]] in data["analysis"]["figures"] and names[schools[0]] not in data["analysis"]["figures"]

    engine.complete(task.id, engine.user_by_login("iao"), {"summary": "Медалисты подтвердили результаты.",
                                                           "figures": data["analysis"]["figures"], "document": None})
    done = db.session.get(ProcessInstance, task.instance_id)
    assert done.status == "completed" and done.late_days == 0


def test_the_iao_analyses_the_parent_meetings_the_schools_report_under_4_12(opened, clock_at):
    """4.13 «Сбор и анализ отчетной информации от ОУ по проведенным собраниям» reads 4.12's reports."""
    _tick(clock_at, "2020-11-02T09:30:00+03:00")  # 4.12 «Ноябрь 2020г.- апрель 2021г.»
    assert [i.process_id for i in _instances("4.13")] == ["plan_analysis"]
    assert _open_tasks(_analysis("4.13")) == []
    _hand_in("4.12", _schools())
    _tick(clock_at, "2020-12-01T09:30:00+03:00")
    [task] = _open_tasks(_analysis("4.13"))
    assert (task.role, task.unit_code) == ("iao_specialist", "guo")
    data = engine.detail(task.instance_id)["data"]
    assert data["reports_due"] == "2021-04-30" and data["handed_in"] == len(_schools())
    assert data["exports"]["school_reports"]["title"] == "Отчёты ОУ по пункту плана 4.12"


def test_a_moved_deadline_for_the_schools_moves_the_analysis_with_it(opened, clock_at):
    """3.51 moved to end on 16 August: its schools get until 6 August (six working days before), and the analysis
    waits for them, not for the date first written (23 July)."""
    _tick(clock_at, "2021-06-01T09:30:00+03:00")
    _hand_in("3.51", _schools()[:1])
    plan_dates.set_item_window(db.session.scalar(select(PlanItem).where(PlanItem.number == "3.51")),
                               date(2021, 6, 1), date(2021, 8, 16), actor="iao")
    _tick(clock_at, "2021-07-26T10:00:00+03:00")
    assert _open_tasks(_analysis("3.51")) == []
    _tick(clock_at, "2021-08-07T10:00:00+03:00")
    [task] = _open_tasks(_analysis("3.51"))
    assert engine.detail(task.instance_id)["data"]["reports_due"] == "2021-08-06"


def _report_dues(number: str) -> set[str]:
    return {engine.detail(i.id)["data"]["due"] for i in _instances(number) if i.process_id == "plan_school_report"}


def test_the_schools_report_3_49_early_enough_for_the_analysis_to_end_with_the_school_year(opened, clock_at):
    """3.49 «Июль-август 2021» ends with the school year (31 August): the schools' share is due 6 working days
    before (params.report_due), so the analysis that opens the next morning is due by the 31st, not in September."""
    _tick(clock_at, "2021-07-01T09:30:00+03:00")
    assert _report_dues("3.49") == {"2021-08-23"}
    reports = [i for i in _instances("3.49") if i.process_id == "plan_school_report"]
    assert {t.due_at.astimezone(clock.local_zone()).date() for i in reports for t in _open_tasks(i)} \
        == {date(2021, 8, 23)}
    _hand_in("3.49", _schools()[:1])
    _tick(clock_at, "2021-08-24T10:00:00+03:00")
    [task] = _open_tasks(_analysis("3.49"))
    data = engine.detail(task.instance_id)["data"]
    assert (data["reports_due"], data["analysis_due"]) == ("2021-08-23", "2021-08-31")
    assert task.due_at.astimezone(clock.local_zone()).date() <= date(2021, 8, 31)


def test_a_moved_3_49_keeps_its_schools_six_working_days_ahead(opened, clock_at):
    _tick(clock_at, "2021-07-01T09:30:00+03:00")
    plan_dates.set_item_window(db.session.scalar(select(PlanItem).where(PlanItem.number == "3.49")),
                               date(2021, 7, 1), date(2021, 8, 20), actor="iao")
    assert _report_dues("3.49") == {"2021-08-12"}  # Friday the 20th less six working days
