"""The dry run before deploy (issue 14 §3): the diagram run several times in memory on a virtual clock, nothing
stored; every flow of every gateway and every boundary timer taken in some run; what no run reached, forms that do
not exist, roles nobody holds, runs that do not end and script errors reported with the element concerned."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import HumanTask, ProcessInstance
from tests.conftest import PROCESSES, deploy_files, process_xml

GATEWAY = process_xml("""
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="choose"/>
<bpmn:exclusiveGateway id="choose" default="f_low"/>
<bpmn:sequenceFlow id="f_high" sourceRef="choose" targetRef="high">
  <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_mid" sourceRef="choose" targetRef="mid">
  <bpmn:conditionExpression>amount &gt; 10</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_low" sourceRef="choose" targetRef="low"/>
<bpmn:userTask id="high" name="Крупная сумма">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="form" value="escalation"/><spiffworkflow:property name="role" value="iao_head"/>
  </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
<bpmn:boundaryEvent id="high_late" attachedToRef="high" cancelActivity="true">
  <bpmn:timerEventDefinition><bpmn:timeDuration>"P3D"</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:sequenceFlow id="f_late" sourceRef="high_late" targetRef="late_note"/>
<bpmn:scriptTask id="late_note" name="Отметить просрочку"><bpmn:script>late = True</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f_late_done" sourceRef="late_note" targetRef="join"/>
<bpmn:scriptTask id="mid" name="Средняя"><bpmn:script>kind = 'mid'</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="low" name="Малая"><bpmn:script>kind = 'low'</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f_high_done" sourceRef="high" targetRef="join"/>
<bpmn:sequenceFlow id="f_mid_done" sourceRef="mid" targetRef="join"/>
<bpmn:sequenceFlow id="f_low_done" sourceRef="low" targetRef="join"/>
<bpmn:exclusiveGateway id="join"/>
<bpmn:sequenceFlow id="f_end" sourceRef="join" targetRef="end"/>
<bpmn:endEvent id="end"/>
<bpmn:scriptTask id="orphan" name="Никуда не ведёт"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f_orphan" sourceRef="orphan" targetRef="end"/>
""", "dry_gateway").decode()


def linear_task(properties: str, process_id: str) -> str:
    return process_xml(f"""
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<bpmn:userTask id="task" name="Задача"><bpmn:extensionElements><spiffworkflow:properties>{properties}
</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/><bpmn:endEvent id="end"/>""", process_id).decode()


LOOP = process_xml("""
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="spin"/>
<bpmn:scriptTask id="spin" name="Круг"><bpmn:script>turns = 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="spin" targetRef="again"/>
<bpmn:exclusiveGateway id="again" default="f_out"/>
<bpmn:sequenceFlow id="f_back" sourceRef="again" targetRef="spin">
  <bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_out" sourceRef="again" targetRef="end"/><bpmn:endEvent id="end"/>""", "dry_loop").decode()

BROKEN_SCRIPT = process_xml("""
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
<bpmn:scriptTask id="compute" name="Расчёт"><bpmn:script>total = missing_value + 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="end"/><bpmn:endEvent id="end"/>""", "dry_broken").decode()


def stored() -> tuple:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(ProcessInstance)),
            db.session.scalar(select(func.count()).select_from(HumanTask)))


@pytest.fixture
def deploy(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")

    def deploy(xml: str, process_id: str):
        engine.deploy([(f"{process_id}.bpmn", xml.encode())], actor="designer")
        return xml
    return deploy


def test_every_flow_of_the_gateway_and_the_timer_are_taken_and_the_unreachable_task_is_reported(deploy):
    xml = deploy(GATEWAY, "dry_gateway")
    before = stored()
    report = engine.dry_run("dry_gateway", xml)
    assert not report.problems and all(run.ended for run in report.runs) and len(report.runs) >= 4
    for element in ("f_high", "f_mid", "f_low", "high", "mid", "low", "high_late", "late_note", "f_late", "end"):
        assert report.reached.get(element), element
    assert report.unreached == ["orphan"]
    [unreached] = report.of_kind("unreached")
    assert unreached.element == "orphan"
    assert not report.of_kind("timer_never_fires") and not report.of_kind("script_error")
    assert not report.of_kind("role_unheld")  # iao_head is held by the demo's iao_head
    assert stored() == before  # no instance, no task row


def test_the_page_texts_are_russian_and_name_the_element(deploy):
    xml = deploy(GATEWAY, "dry_gateway")
    with force_locale("ru"):
        data = engine.dry_run("dry_gateway", xml).as_dict()
    [unreached] = [i for i in data["issues"] if i["kind"] == "unreached"]
    assert unreached == {"kind": "unreached", "element": "orphan",
                         "message": "Задача-скрипт orphan: ни один прогон сюда не дошёл."}
    assert data["reached"]["choose"] == len(data["runs"]) and data["start_source"] == "none"


def test_a_form_that_does_not_exist_and_a_role_nobody_holds_are_reported(deploy):
    # deploy refuses it (tests/engine/test_bad_bpmn.py); the dry run runs it and names the task
    missing = linear_task('<spiffworkflow:property name="form" value="no_such_form"/>'
                          '<spiffworkflow:property name="role" value="iao_head"/>', "dry_form")
    report = engine.dry_run("dry_form", missing)
    assert [(i.element, "no_such_form" in i.message) for i in report.of_kind("missing_form")] == [("task", True)]
    assert all(run.ended for run in report.runs)  # completed without data: the rest of the diagram still runs
    unheld = deploy(linear_task('<spiffworkflow:property name="role" value="odovr_head"/>', "dry_role"), "dry_role")
    with force_locale("ru"):
        report = engine.dry_run("dry_role", unheld)
    [issue] = report.of_kind("role_unheld")
    assert issue.element == "task" and "ни у одного активного пользователя" in issue.message
    expression = deploy(linear_task('<spiffworkflow:property name="role_expression" value="\'odovr_head\'"/>',
                                    "dry_role_expr"), "dry_role_expr")
    assert [i.element for i in engine.dry_run("dry_role_expr", expression).of_kind("role_unheld")] == ["task"]


def test_an_endless_loop_is_reported_as_not_ending_and_stops_in_time(deploy):
    xml = deploy(LOOP, "dry_loop")
    with force_locale("ru"):
        report = engine.dry_run("dry_loop", xml)
    # the run whose first visit forces the way out ends; the one that goes round by the condition does not
    assert [run.ended for run in report.runs] == [False, True] and report.runs[0].steps > 1000
    assert {i.kind for i in report.issues} >= {"not_ending"}
    assert "бесконечный цикл" in report.of_kind("not_ending")[0].message
    assert report.seconds < 30
    stopped = engine.dry_run("dry_loop", xml, runs=1, time_limit=0.05)
    assert not stopped.runs[0].ended and stopped.of_kind("not_ending")


def test_a_script_error_is_reported_at_its_element_in_russian(deploy):
    xml = deploy(BROKEN_SCRIPT, "dry_broken")
    with force_locale("ru"):
        report = engine.dry_run("dry_broken", xml)
    [error] = report.of_kind("script_error")
    assert error.element == "compute" and "missing_value" in error.message and "Ошибка" in error.message
    assert "compute" in report.unreached and "end" in report.unreached


def test_a_diagram_deploy_refuses_is_not_run(deploy):
    xml = deploy(BROKEN_SCRIPT, "dry_broken")
    report = engine.dry_run("dry_broken", xml.replace("missing_value + 1", "(", 1))
    assert report.problems and not report.runs


# The plan patterns (processes/plan/items.json) and the order's school part, with every process deployed as the
# demo deploys them: each dry-runs to its end in every run, without a script error; what the report says besides
# is listed (plan_order: its review is offered to the department's deputy head, whom the demo directory lacks).
PLAN_PATTERNS = {"plan_school_report": set(), "plan_dept_task": set(), "plan_year_activity": set(),
                 "plan_order": {("role_unheld", "review_task")}, "plan_order_ack": set(), "ppe_tech_check": set(),
                 "plan_analysis": set(), "plan_events": set()}


@pytest.mark.parametrize("process_id", sorted(PLAN_PATTERNS))
def test_each_plan_pattern_dry_runs_without_script_errors(org, clock_at, process_id):
    clock_at("2020-10-01T10:00:00+03:00")
    deploy_files(*sorted(PROCESSES.glob("*.bpmn")))
    before = stored()
    report = engine.dry_run(process_id, (PROCESSES / f"{process_id}.bpmn").read_text(encoding="utf-8"))
    assert report.runs and all(run.ended for run in report.runs), [r.message for r in report.runs]
    assert not report.of_kind("script_error") and not report.of_kind("not_ending")
    expected = PLAN_PATTERNS[process_id]
    if expected is not None:
        assert {(i.kind, i.element) for i in report.issues} == expected
        assert not report.unreached
    assert stored() == before
