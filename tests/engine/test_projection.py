"""engine.projection: what the database keeps beside the serialized state, read from a workflow. The human tasks
with their offer (role, unit, due date, inbox columns, name) from the BPMN properties, the instance's status, its
next timer, the messages, signals and timers it waits for (also inside an event-based gateway), and its data."""
from datetime import datetime

import pytest
from SpiffWorkflow.util.task import TaskState

import engine
from engine import projection, runtime
from tests.conftest import linear, process_xml
from tests.engine.test_runtime import running, script


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def props(**values) -> str:
    return ('<bpmn:extensionElements><spiffworkflow:properties>'
            + "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
            + '</spiffworkflow:properties></bpmn:extensionElements>')


def views(workflow, default_unit="school-12") -> dict:
    return {v.bpmn_id: v for v in projection.human_tasks(workflow, default_unit)}


def timer(element: str, moment: str, *, name: str = "") -> str:
    label = f' name="{name}"' if name else ""
    return (f'<bpmn:intermediateCatchEvent id="{element}"{label}><bpmn:timerEventDefinition><bpmn:timeDate>'
            f'"{moment}"</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


# --- human tasks --------------------------------------------------------------------------------------------------

def test_a_ready_task_is_offered_as_its_properties_say(app):
    task = ('<bpmn:userTask id="n1" name="Check the PPE">'
            + props(role="ppe_tech", unit="'ppe-' + str(ppe)", due="check_due", form="ppe_checklist",
                    columns="{'PPE': ppe, 'rooms': rooms}", title="'Check of PPE ' + str(ppe)")
            + '</bpmn:userTask>')
    workflow, _ = running(linear(task, '<bpmn:userTask id="n2" name="Accept">' + props(role="iao_specialist")
                                 + '</bpmn:userTask>'), {"ppe": 17, "check_due": "2021-03-19", "rooms": [1, 2]})
    found = views(workflow)
    check, accept = found["n1"], found["n2"]
    assert (check.state, check.role, check.unit_code, check.form_key) == (
        "READY", "ppe_tech", "ppe-17", "ppe_checklist")
    assert check.name == "Check of PPE 17"
    assert check.due_at == at("2021-03-19T23:59:59+03:00")  # a date is due at the end of that day, local time
    assert check.columns == {"PPE": 17, "rooms": "[1, 2]"}  # values the inbox cannot show as they are: as text
    assert check.id == str(workflow.get_tasks(state=TaskState.READY)[0].id) and check.seq < accept.seq
    # Not ready yet: its expressions are not evaluated, the unit is the instance's, the name the diagram's.
    assert (accept.state, accept.role, accept.unit_code, accept.due_at, accept.columns, accept.name) == (
        "WAITING", "iao_specialist", "school-12", None, None, "Accept")


def test_the_role_comes_from_the_lane_when_no_property_names_one(app):
    workflow, _ = running(process_xml(
        '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="Технический специалист ППЭ">'
        '<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>n1</bpmn:flowNodeRef>'
        '<bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n'
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="n1"/>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="n1"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="n1" targetRef="end"/>'))
    [view] = projection.human_tasks(workflow, None)
    assert (view.role, view.lane, view.unit_code, view.name) == ("ppe_tech", "Технический специалист ППЭ", None, "n1")


def test_a_role_expression_must_name_a_known_role(app):
    workflow, _ = running(linear('<bpmn:userTask id="n1">' + props(role_expression="lead") + '</bpmn:userTask>'),
                          {"lead": "Специалист ИАО"})
    assert views(workflow)["n1"].role == "iao_specialist"  # a title names the role too

    workflow, _ = running(linear('<bpmn:userTask id="n1">' + props(role_expression="lead") + '</bpmn:userTask>'),
                          {"lead": "iao_specialsit"})
    with pytest.raises(engine.ProcessError) as info:
        projection.human_tasks(workflow, None)
    assert "n1" in info.value.message and "iao_specialsit" in info.value.message


def test_a_long_title_is_shortened_to_the_column_and_marked(app):
    workflow, _ = running(linear('<bpmn:userTask id="n1">' + props(title="text") + '</bpmn:userTask>'),
                          {"text": "x" * 800})
    name = views(workflow)["n1"].name
    assert len(name) == projection.NAME_LENGTH and name.endswith("…")


def test_a_task_under_an_interrupting_timer_is_due_when_the_timer_takes_it_away(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    workflow, _ = running(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="work"/>\n'
        '<bpmn:boundaryEvent id="late" attachedToRef="work"><bpmn:timerEventDefinition><bpmn:timeDuration>"P3D"'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>\n'
        '<bpmn:endEvent id="end"/>\n<bpmn:endEvent id="end_late"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="end"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="late" targetRef="end_late"/>'))
    assert views(workflow)["work"].due_at == at("2021-03-18T09:00:00+03:00")
    assert projection.next_timer(workflow) == at("2021-03-18T09:00:00+03:00")


@pytest.mark.parametrize("value, due", [("2021-03-19", "2021-03-19T23:59:59+03:00"),
                                        ("2021-03-19T12:00:00+03:00", "2021-03-19T12:00:00+03:00"),
                                        ("", None)])
def test_the_due_property_gives_a_day_or_a_moment(app, value, due):
    workflow, _ = running(linear('<bpmn:userTask id="n1">' + props(due="deadline") + '</bpmn:userTask>'),
                          {"deadline": value})
    assert views(workflow)["n1"].due_at == (at(due) if due else None)


# --- status, timers, waits ----------------------------------------------------------------------------------------

def test_status_follows_what_can_move_the_instance(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    workflow, _ = running(linear('<bpmn:userTask id="n1"/>', timer("n2", "2021-03-16T09:00:00+03:00")))
    assert projection.status(workflow, projection.human_tasks(workflow, None)) == "running"

    [task] = workflow.get_tasks(state=TaskState.READY)
    runtime.advance(workflow, lambda wf: task.run())
    assert projection.status(workflow, projection.human_tasks(workflow, None)) == "waiting"
    assert projection.next_timer(workflow) == at("2021-03-16T09:00:00+03:00")

    clock_at("2021-03-16T09:00:00+03:00")
    runtime.advance(workflow, refresh_timers=True)
    assert projection.status(workflow, projection.human_tasks(workflow, None)) == "completed"
    assert projection.next_timer(workflow) is None and projection.waits(workflow) == []


def test_the_next_timer_is_the_earliest_of_those_waiting(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    workflow, _ = running(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:parallelGateway id="fork"/>\n'
        + timer("late", "2021-03-20T09:00:00+03:00") + '\n' + timer("soon", "2021-03-17T09:00:00+03:00") + '\n'
        '<bpmn:parallelGateway id="join"/>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="late"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="soon"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="join"/>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="soon" targetRef="join"/>\n'
        '<bpmn:sequenceFlow id="f5" sourceRef="join" targetRef="end"/>'))
    assert projection.next_timer(workflow) == at("2021-03-17T09:00:00+03:00")
    assert sorted((w["name"], at(w["due"])) for w in projection.waits(workflow)) == [
        ("late", at("2021-03-20T09:00:00+03:00")), ("soon", at("2021-03-17T09:00:00+03:00"))]


EVENTS = ('<bpmn:message id="m" name="answer"/>\n<bpmn:signal id="s" name="exam_moved"/>\n')


def test_messages_signals_and_timers_awaited_inside_an_event_based_gateway(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    workflow, _ = running(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:eventBasedGateway id="gw"/>\n'
        '<bpmn:intermediateCatchEvent id="on_answer"><bpmn:messageEventDefinition messageRef="m"/>'
        '</bpmn:intermediateCatchEvent>\n'
        '<bpmn:intermediateCatchEvent id="on_move"><bpmn:signalEventDefinition signalRef="s"/>'
        '</bpmn:intermediateCatchEvent>\n' + timer("on_time", "2021-03-18T09:00:00+03:00", name="Deadline") + '\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:endEvent id="e2"/>\n<bpmn:endEvent id="e3"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="on_answer"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="on_move"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="on_time"/>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="on_answer" targetRef="e1"/>\n'
        '<bpmn:sequenceFlow id="f5" sourceRef="on_move" targetRef="e2"/>\n'
        '<bpmn:sequenceFlow id="f6" sourceRef="on_time" targetRef="e3"/>', extra=EVENTS))
    found = sorted((w["type"], w["name"], w["due"] and at(w["due"])) for w in projection.waits(workflow))
    assert found == [("message", "answer", None), ("signal", "exam_moved", None),
                     ("timer", "Deadline", at("2021-03-18T09:00:00+03:00"))]
    assert projection.status(workflow, projection.human_tasks(workflow, None)) == "waiting"
    assert projection.next_timer(workflow) == at("2021-03-18T09:00:00+03:00")


def test_an_instance_nothing_can_move_is_stalled(app):
    # A task that is started by the engine and never finished: nothing ready, nothing awaited, not completed.
    workflow, _ = running(linear('<bpmn:userTask id="n1"/>'))
    [task] = workflow.get_tasks(state=TaskState.READY)
    task._set_state(TaskState.STARTED)
    assert projection.status(workflow, projection.human_tasks(workflow, None)) == "stalled"


# --- process data -------------------------------------------------------------------------------------------------

def test_process_data_is_where_the_tokens_are_then_the_final_data(app):
    workflow, _ = running(linear(script("n1", "x = 1"), '<bpmn:userTask id="n2"/>', script("n3", "y = x + 1")),
                          {"seed": "a"})
    assert projection.process_data(workflow) == {"seed": "a", "x": 1}
    [task] = workflow.get_tasks(state=TaskState.READY)
    task.data["answer"] = 42
    runtime.advance(workflow, lambda wf: task.run())
    assert workflow.is_completed()
    assert projection.process_data(workflow) == {"seed": "a", "x": 1, "answer": 42, "y": 2}
