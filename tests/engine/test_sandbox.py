"""Diagram code in the sandbox: what a hostile or broken script, condition or timer expression can do. Unsafe code is
refused at deploy with its element and line (test_sandbox_deploy.py); what compiles but misbehaves when it runs (an
escape attempt, an endless loop, a missing variable, a value that cannot be stored) puts the instance in `error`
with a message naming the element, keeps its last good state, and can be retried. An escape that worked would write
the marker file; none may.
"""
from datetime import datetime

import pytest
from sqlalchemy import func, select

import engine
from engine import runtime, store
from engine.db import db
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.sandbox import RestrictedEnvironment
from tests.conftest import linear, process_xml


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "escaped.txt"
    yield path
    assert not path.exists(), "diagram code wrote a file on the server"


@pytest.fixture
def boss(app):
    return engine.ensure_user("boss", "admin", None)


def snapshot(instance_id: int) -> dict:
    """Everything a refused or failed action must leave as it was."""
    db.session.rollback()
    instance = db.session.get(ProcessInstance, instance_id)
    tasks = [(t.id, t.bpmn_id, t.state, t.assignee_id, t.completed_by) for t in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.seq))]
    detail = engine.detail(instance_id)
    return {"state": instance.state, "tasks": tasks, "data": detail["data"], "history": detail["history"],
            "waiting_for": detail["waiting_for"]}


def instance(instance_id: int) -> ProcessInstance:
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id)


def deploy(content: bytes) -> None:
    engine.deploy([("test.bpmn", content)], actor="designer")


def script_after_task(script: str, pid: str = "p") -> bytes:
    """start → user task n1 → script task n2 → user task n3 → end."""
    return linear('<bpmn:userTask id="n1"/>', f'<bpmn:scriptTask id="n2"><bpmn:script>{script}</bpmn:script>'
                  '</bpmn:scriptTask>', '<bpmn:userTask id="n3"/>', process_id=pid)


def fails_on_completion(script: str, boss, data=None) -> tuple[int, str, dict]:
    """Deploy and start `script_after_task(script)`, complete n1 and expect the script to fail. Checks the
    instance is in error with the message, n1 still READY and nothing else changed; returns (id, message,
    snapshot)."""
    deploy(script_after_task(script))
    instance_id = engine.start("p", {"seed": 1}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    before = snapshot(instance_id)
    with pytest.raises(engine.ProcessError) as info:
        engine.complete(task.id, boss, data or {"submitted": True})
    assert info.value.instance_id == instance_id
    failed = instance(instance_id)
    assert failed.status == "error" and failed.error == info.value.message
    assert failed.failed_action["op"] == "complete" and failed.failed_action["task_id"] == task.id
    assert "элемент «n2»" in failed.error
    assert snapshot(instance_id) == before  # the last good state: n1 still READY, no data lost or added
    assert [t.id for t in engine.list_tasks(instance_id=instance_id)] == [task.id]
    return instance_id, failed.error, before


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# Refused at deploy: test_sandbox_deploy.py.

def _escape(marker) -> str:
    return f"open('{marker}', 'w').write('pwned')"



# --- compiles, stopped when it runs -------------------------------------------------------------------------------

@pytest.mark.parametrize("script, detail", [
    ("open('{m}', 'w').write('x')", "open"),
    ("leak = '{{0.__class__.__mro__}}'.format(1)", "format"),
    ("fmt = '{{0.__init__.__globals__}}'.format_map\nleak = fmt({{'0': 1}})", "format"),
    ("leak = str.format('{{0.__class__}}', 1)", "format"),
    ("c = getattr((), '__cla' + 'ss__')", "getattr"),
    ("v = vars()", "vars"),
    ("t = type(1)", "type"),
    ("setattr(math, 'pi', 3)", "attribute-less"),
    ("datetime.date = None", "attribute-less"),
    ("class Sneaky:\n    pass", "__metaclass__"),
], ids=["open", "str.format", "format_map", "str.format-unbound", "getattr", "vars", "type", "setattr-module",
        "rebind-shared", "class"])
def test_escapes_that_compile_are_stopped_when_they_run(app, marker, boss, script, detail):
    import math
    from engine.sandbox.environment import SAFE_NAMES
    instance_id, message, _ = fails_on_completion(script.format(m=marker), boss)
    assert detail in message, message
    assert math.pi > 3.14 and SAFE_NAMES["datetime"].date is not None  # shared objects untouched


def test_str_format_is_blocked_in_conditions_too(app, boss):
    deploy(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="n1"/>\n<bpmn:exclusiveGateway id="gw" default="f3"/>\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:endEvent id="e2"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="n1"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="n1" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e1"><bpmn:conditionExpression>'
        '"{0.__class__}".format(name) != ""</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="e2"/>'))
    instance_id = engine.start("p", {}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    before = snapshot(instance_id)
    with pytest.raises(engine.ProcessError) as info:
        engine.complete(task.id, boss, {"name": "x"})
    assert "элемент «gw»" in info.value.message and "format" in info.value.message.lower()
    assert instance(instance_id).status == "error"
    assert snapshot(instance_id) == before


@pytest.mark.parametrize("script", ["raise SystemExit(3)", "raise KeyboardInterrupt", "raise GeneratorExit",
                                    "raise BaseException('out')"])
def test_a_script_cannot_stop_the_server_process(app, boss, script):
    # SystemExit and friends are not Exceptions: raised from a diagram they would pass every `except Exception`
    # and end the worker or the web server, leaving the instance unmarked.
    instance_id, message, _ = fails_on_completion(script, boss)
    assert "is not defined" in message


def test_form_field_named_getattr_cannot_disable_guards(app, boss):
    # Data that shadows the guards' names (a form field "_getattr_", or "__builtins__") reaches the engine as
    # ordinary data; the scripts after it still run with the guards in place.
    deploy(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="n1"/>\n'
        '<bpmn:scriptTask id="n2"><bpmn:script>parts = len("a,b,c".split(","))\nup = name.upper()'
        '</bpmn:script></bpmn:scriptTask>\n<bpmn:exclusiveGateway id="gw" default="f4"/>\n'
        '<bpmn:userTask id="n3"/>\n<bpmn:userTask id="wrong"/>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="n1"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="n1" targetRef="n2"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="n2" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="n3"><bpmn:conditionExpression>'
        'name.lower() == "abc"</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="wrong"/>\n'
        '<bpmn:sequenceFlow id="f5" sourceRef="n3" targetRef="end"/>\n'
        '<bpmn:sequenceFlow id="f6" sourceRef="wrong" targetRef="end"/>'))
    hostile = {"name": "ABC", "_getattr_": "nope", "__builtins__": {"open": 1}, "_write_": None,
               "_getiter_": 0, "_getitem_": [], "_print_": 1, "_apply_": 2, "_inplacevar_": "x"}
    instance_id = engine.start("p", {}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    result = engine.complete(task.id, boss, hostile)
    assert result.status == "running"
    assert [t.bpmn_id for t in result.next_tasks] == ["n3"]  # the condition ran with the real guard
    data = engine.detail(instance_id)["data"]
    assert data["parts"] == 3 and data["up"] == "ABC"  # the script ran with the real guards


def test_form_field_named_getattr_does_not_let_str_format_through(app, boss):
    instance_id, message, _ = fails_on_completion("leak = '{0.__class__}'.format(1)", boss,
                                                  data={"_getattr_": None, "__builtins__": None})
    assert "format" in message


def test_a_restored_workflow_always_has_the_restricted_script_engine(app, boss, marker):
    deploy(script_after_task(_escape(marker)))
    instance_id = engine.start("p", {}, actor="boss").instance_id
    workflow = store.workflow_of(instance(instance_id))
    assert type(workflow.script_engine.environment) is RestrictedEnvironment
    assert workflow.script_engine.environment.time_limit_seconds == app.config["SCRIPT_TIME_LIMIT_SECONDS"]
    # And it is the one used: with the library's default engine, the script after the task would write the file.
    [task] = engine.list_tasks(instance_id=instance_id)
    with pytest.raises(engine.ProcessError) as info:
        engine.complete(task.id, boss, {})
    assert "open" in info.value.message


def test_each_restore_gets_the_engine_for_the_current_time_limit(app):
    deploy(linear('<bpmn:userTask id="n1"/>'))
    instance_id = engine.start("p", {}, actor="designer").instance_id
    app.config["SCRIPT_TIME_LIMIT_SECONDS"] = 0.25
    environment = store.workflow_of(instance(instance_id)).script_engine.environment
    assert type(environment) is RestrictedEnvironment and environment.time_limit_seconds == 0.25


# --- endless scripts ----------------------------------------------------------------------------------------------

# Scripts that try to swallow the timeout: the stop is raised inside the `try`, so a handler that lets the loop go
# on would keep it running for ever (CPython removes a tracer that raised; the engine must stop it anyway).
SWALLOWING = {
    "except-exception": "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n"
                        "        pass",
    "bare-except": "n = 0\nwhile True:\n    try:\n        while True:\n            n += 1\n    except:\n"
                   "        n = 0",
    "finally-continue": "while True:\n    try:\n        while True:\n            pass\n    finally:\n"
                        "        continue",
    "finally-return": "def once():\n    try:\n        while True:\n            pass\n    finally:\n"
                      "        return 1\nwhile True:\n    once()",
    "nested": "while True:\n    try:\n        try:\n            while True:\n                pass\n"
              "        except ValueError:\n            pass\n    except Exception as e:\n        last = str(e)",
}


@pytest.mark.timeout(60)  # a regression hangs: fail it in a minute
@pytest.mark.parametrize("script", [
    "while True:\n    pass",
    "x = [a for a in range(10**6) for b in range(10**6)]",
    "def forever(n):\n    while True:\n        n = n + 1\nforever(0)",
    *SWALLOWING.values(),
], ids=["while", "comprehension", "function", *SWALLOWING])
def test_an_endless_script_is_stopped_by_the_time_limit(app, boss, script):
    app.config["SCRIPT_TIME_LIMIT_SECONDS"] = 0.3
    instance_id, message, _ = fails_on_completion(script, boss)
    assert "ScriptTimeout" in message and "0.3 с" in message  # "0.3 s": the message is translated
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id))]
    assert actions == ["start", "error"]


def test_an_endless_condition_is_stopped_by_the_time_limit(app):
    app.config["SCRIPT_TIME_LIMIT_SECONDS"] = 0.3
    deploy(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="gw" default="f2"/>\n<bpmn:endEvent id="e1"/>\n'
        '<bpmn:endEvent id="e2"/>\n<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="e1"><bpmn:conditionExpression>'
        'any(a &lt; 0 for a in range(10**6) for b in range(10**6))</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e2"/>'))
    with pytest.raises(engine.ProcessError) as info:
        engine.start("p", {}, actor="designer")
    failed = instance(info.value.instance_id)
    assert failed.status == "error" and "элемент «gw»" in failed.error and "ScriptTimeout" in failed.error
    assert failed.completed_at is None


# --- a failing script: error, then retry with a correction --------------------------------------------------------

def test_missing_variable_puts_the_instance_in_error_and_retry_with_a_correction_finishes_the_step(app, boss):
    instance_id, message, before = fails_on_completion("total = price * qty", boss, data={"price": 10})
    assert "NameError" in message and "qty" in message

    # Retrying without a correction fails the same way and still loses nothing.
    with pytest.raises(engine.ProcessError):
        engine.retry(instance_id, "boss")
    assert instance(instance_id).status == "error" and snapshot(instance_id) == before

    engine.retry(instance_id, "boss", corrections={"qty": 3})
    fixed = instance(instance_id)
    assert fixed.status == "running" and fixed.error is None and fixed.failed_action is None
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=instance_id)] == ["n3"]
    detail = engine.detail(instance_id)
    assert detail["data"]["total"] == 30 and detail["data"]["price"] == 10
    assert [(h["bpmn_id"], h["completed_by"]) for h in detail["history"] if h["completed_by"]] == [("n1", "boss")]
    with pytest.raises(engine.InvalidState):
        engine.retry(instance_id, "boss")  # nothing to retry any more


def test_missing_variable_at_start_keeps_the_start_and_retry_runs_it(app):
    deploy(linear('<bpmn:scriptTask id="n1"><bpmn:script>deadline = add_days(opened_on, 3)</bpmn:script>'
                  '</bpmn:scriptTask>', '<bpmn:userTask id="n2"/>'))
    with pytest.raises(engine.ProcessError) as info:
        engine.start("p", {"who": "me"}, actor="designer")
    failed = instance(info.value.instance_id)
    assert failed.status == "error" and "элемент «n1»" in failed.error and "opened_on" in failed.error
    assert engine.list_tasks(instance_id=failed.id) == []
    engine.retry(failed.id, "designer", corrections={"opened_on": "2021-03-15"})
    assert instance(failed.id).status == "running"
    data = engine.detail(failed.id)["data"]
    assert data == {"who": "me", "opened_on": "2021-03-15", "deadline": "2021-03-18"}


# --- values a script leaves in the data ---------------------------------------------------------------------------

def test_set_date_and_other_non_json_values_left_by_a_script_are_saved(app, boss):
    deploy(script_after_task("s = {3, 1, 2}\nfs = frozenset([5, 4])\nd = date(2021, 3, 1)\n"
                             "dt = datetime.datetime(2021, 3, 1, 9, 30)\ntd = timedelta(hours=2)\n"
                             "t = (1, 'a')\nkeys = {1: 'one'}\nnested = [[{7}]]\nm = math\nf = lambda: 1"))
    instance_id = engine.start("p", {}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    result = engine.complete(task.id, boss, {"a": 1})
    assert result.status == "running" and [t.bpmn_id for t in result.next_tasks] == ["n3"]
    data = engine.detail(instance_id)["data"]
    assert data == {"a": 1, "s": [1, 2, 3], "fs": [4, 5], "d": "2021-03-01", "dt": "2021-03-01T09:30:00",
                    "td": 7200.0, "t": [1, "a"], "keys": {"1": "one"}, "nested": [[[7]]]}
    # The restored values are the real types again, so later scripts can use them.
    [task] = engine.list_tasks(instance_id=instance_id)
    workflow = store.workflow_of(instance(instance_id))
    restored = workflow.get_task_from_id(__import__("uuid").UUID(task.id)).data
    assert restored["s"] == {1, 2, 3} and restored["d"].isoformat() == "2021-03-01"
    assert restored["fs"] == frozenset({4, 5})
    assert engine.complete(task.id, boss, {}).status == "completed"


@pytest.mark.parametrize("script, detail", [
    ("b = b'raw bytes'", "bytes"),
    ("k = {(1, 2): 'tuple key'}", "tuple"),
    ("g = (x for x in [1, 2])", "generator"),
    ("r = range(3)", "range"),
], ids=["bytes", "tuple-key", "generator", "range"])
def test_a_value_that_cannot_be_stored_is_a_clear_error_and_loses_nothing(app, boss, script, detail):
    deploy(script_after_task(script))
    instance_id = engine.start("p", {}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    before = snapshot(instance_id)
    with pytest.raises(engine.ProcessError) as info:
        engine.complete(task.id, boss, {"a": 1})
    assert detail in info.value.message
    failed = instance(instance_id)
    assert failed.status == "error" and failed.error == info.value.message
    assert snapshot(instance_id) == before
    assert [t.id for t in engine.list_tasks(instance_id=instance_id)] == [task.id]


# --- timer expressions --------------------------------------------------------------------------------------------

def test_a_failing_timer_expression_marks_only_its_instance_and_the_sweep_goes_on(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    deploy(linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition><bpmn:timeDate>'
                  '"2021-03-16T09:00:00+03:00"</bpmn:timeDate></bpmn:timerEventDefinition>'
                  '</bpmn:intermediateCatchEvent>',
                  '<bpmn:intermediateCatchEvent id="n2"><bpmn:timerEventDefinition><bpmn:timeDate>day_at(deadline, 9)'
                  '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
                  '<bpmn:userTask id="n3"/>'))
    # The broken one comes first in the sweep (same due time, lower id).
    broken = engine.start("p", {}, actor="designer").instance_id
    healthy = [engine.start("p", {"deadline": "2021-03-20"}, actor="designer").instance_id for _ in range(2)]
    before = snapshot(broken)

    clock_at("2021-03-16T10:00:00+03:00")
    tick = engine.advance_timers()
    assert [f["instance_id"] for f in tick.failed] == [broken]
    assert "элемент «n2»" in tick.failed[0]["error"] and "deadline" in tick.failed[0]["error"]
    assert sorted(f["instance_id"] for f in tick.fired) == healthy
    failed = instance(broken)
    assert failed.status == "error" and failed.error == tick.failed[0]["error"] and failed.next_timer_at is None
    assert failed.failed_action == {"op": "timers"}
    assert snapshot(broken) == before  # still waiting at n1, as before the sweep
    for other in healthy:
        assert instance(other).status == "waiting"
        assert [w["name"] for w in engine.detail(other)["waiting_for"]] == ["n2"]

    # A second sweep does not pick the broken instance again.
    assert engine.advance_timers().failed == []

    engine.retry(broken, "designer", corrections={"deadline": "2021-03-18"})
    assert instance(broken).status == "waiting"
    assert engine.detail(broken)["waiting_for"][0]["name"] == "n2"
    clock_at("2021-03-21T10:00:00+03:00")
    tick = engine.advance_timers()
    assert sorted(f["instance_id"] for f in tick.fired) == sorted([broken, *healthy]) and not tick.failed
    assert all(instance(i).status == "running" for i in [broken, *healthy])
    assert engine.advance_timers(datetime.fromisoformat("2021-03-22T10:00:00+03:00")).fired == []
