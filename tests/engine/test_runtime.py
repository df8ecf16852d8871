"""engine.runtime: a workflow created and restored with the sandbox in place, a dump that restores to the same
instance, `advance` running until only people, timers or messages can move it (returning the events nobody
inside caught and the notifications raised), the engine's time on every task done, and the step limit."""
from datetime import datetime

import pytest
from SpiffWorkflow.util.task import TaskState

import engine
from engine import runtime
from engine.service.instances import startable_spec
from tests.conftest import linear, process_xml

SCRIPT = '<bpmn:scriptTask id="{id}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'


def script(task_id: str, code: str) -> str:
    return SCRIPT.format(id=task_id, code=code)


def running(content: bytes, data: dict | None = None, process_id: str = "p"):
    """Deploy `content`, create its workflow seeded with `data` and run it until it waits: no instance is saved."""
    engine.deploy([("test.bpmn", content)], actor="admin")
    startable = startable_spec(process_id)
    workflow = runtime.create(startable.spec, startable.subprocess_specs, data or {})
    return workflow, runtime.advance(workflow)


def ready(workflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY)]


def test_a_dump_restores_to_the_same_instance_with_the_sandbox_in_place(app):
    workflow, _ = running(linear(script("n1", "total = amount * 2"), '<bpmn:userTask id="n2"/>'), {"amount": 21})
    state = runtime.dump(workflow)
    startable = startable_spec("p")
    restored = runtime.restore(state, runtime.serializer.FORMAT_VERSION, startable.spec, startable.subprocess_specs)

    assert ready(restored) == ["n2"]
    [task] = restored.get_tasks(state=TaskState.READY)
    assert task.id == workflow.get_tasks(state=TaskState.READY)[0].id
    assert task.data["amount"] == 21 and task.data["total"] == 42
    assert runtime.dump(restored) == state
    # The script engine is not serialized: a restored workflow must get the sandbox, not the library's default.
    assert restored.script_engine is runtime.script_engine()


def test_a_state_written_by_a_newer_library_is_refused(app):
    workflow, _ = running(linear('<bpmn:userTask id="n1"/>'))
    startable = startable_spec("p")
    with pytest.raises(engine.IncompatibleState):
        runtime.restore(runtime.dump(workflow), "99.0", startable.spec, startable.subprocess_specs)


def test_create_seeds_the_start_data_and_advance_runs_until_a_person_is_needed(app):
    workflow, outcome = running(linear(script("n1", "x = seed + 1"), script("n2", "y = x * 10"),
                                       '<bpmn:userTask id="n3"/>', script("n4", "z = 1")), {"seed": 1})
    assert ready(workflow) == ["n3"]
    data = workflow.get_tasks(state=TaskState.READY)[0].data
    assert (data["seed"], data["x"], data["y"]) == (1, 2, 20) and "z" not in data
    assert outcome.events == [] and outcome.notifications == []


def test_advance_returns_the_events_thrown_and_not_caught_and_the_notifications(app):
    content = process_xml(
        '<bpmn:startEvent id="start"/>\n'
        + script("note", 'notify("iao_specialist", "ppe-17", "PPE " + str(ppe) + " is ready", "ready")') + '\n'
        '<bpmn:intermediateThrowEvent id="send"><bpmn:messageEventDefinition messageRef="m"/>'
        '</bpmn:intermediateThrowEvent>\n<bpmn:userTask id="work"/>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="note"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="note" targetRef="send"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="send" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="end"/>', extra='<bpmn:message id="m" name="ppe_ready"/>\n')
    workflow, outcome = running(content, {"ppe": 17})
    assert ready(workflow) == ["work"]
    assert outcome.notifications == [{"role": "iao_specialist", "unit": "ppe-17", "text": "PPE 17 is ready",
                                      "kind": "ready"}]
    assert [event.event_definition.name for event in outcome.events] == ["ppe_ready"]

    # The next step reports only what it raised itself.
    [work] = workflow.get_tasks(state=TaskState.READY)
    again = runtime.advance(workflow, lambda wf: work.run())
    assert again.events == [] and again.notifications == [] and workflow.is_completed()


def test_every_task_done_is_stamped_with_the_engine_clock(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    workflow, _ = running(linear(script("n1", "x = 1"), '<bpmn:userTask id="n2"/>'))
    stamps = {t.task_spec.bpmn_id: t.internal_data.get("completed_at") for t in runtime.all_tasks(workflow)
              if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id}
    assert stamps == {"start": "2021-03-15T06:00:00+00:00", "n1": "2021-03-15T06:00:00+00:00"}

    clock_at("2021-03-16T12:30:00+03:00")
    [task] = workflow.get_tasks(state=TaskState.READY)
    runtime.stamp(task)
    assert datetime.fromisoformat(task.internal_data["completed_at"]) == datetime.fromisoformat(
        "2021-03-16T12:30:00+03:00")


def test_all_tasks_reaches_into_subprocesses(app):
    workflow, _ = running(linear(
        '<bpmn:subProcess id="n1">\n<bpmn:startEvent id="s1"/>\n<bpmn:userTask id="inner"/>\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="inner"/>\n'
        '<bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="e1"/>\n</bpmn:subProcess>'))
    every = {t.task_spec.bpmn_id for t in runtime.all_tasks(workflow)}
    top = {t.task_spec.bpmn_id for t in workflow.tasks.values()}
    assert "inner" in every and "inner" not in top
    assert {"start", "n1", "end"} <= every


def test_the_step_limit_stops_a_long_run_and_says_which_limit(app):
    chain = [script(f"n{i + 1}", f"x{i} = {i}") for i in range(12)]
    app.config["MAX_ENGINE_STEPS"] = 30
    workflow, _ = running(linear(*chain))
    assert workflow.is_completed()  # 12 scripts and the events: within the limit

    app.config["MAX_ENGINE_STEPS"] = 5
    startable = startable_spec("p")
    fresh = runtime.create(startable.spec, startable.subprocess_specs, {})
    with pytest.raises(engine.ProcessError) as info:
        runtime.advance(fresh)
    assert "5" in info.value.message and not fresh.is_completed()


def test_a_failing_script_is_a_process_error_that_names_the_element(app):
    with pytest.raises(engine.ProcessError) as info:
        running(linear(script("n1", "x = 1"), script("n2", "y = 1 / 0")))
    assert "элемент «n2»" in info.value.message and "ZeroDivisionError" in info.value.message
