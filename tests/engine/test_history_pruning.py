"""Finished history is cut from an instance's saved state (engine.bpmn.pruning): a loop's rounds and finished
subprocesses are not carried from step to step, so the state does not grow with them, while what the product shows
of them stays (the human tasks' rows, «Что сдано», `instance show`'s history). The cuts leave alone what the library
looks back for: a join's inputs of the current round, a boundary event's split, a multi-instance activity's
instances, an event-based gateway's events: those still work round after round."""
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import engine
from engine import store, task_rows
from engine.db import db
from engine.models import HumanTask, Notification, ProcessInstance
from tests.conftest import process_xml

ROLE = ('<bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="role" value="iao_specialist"/>{more}'
        '</spiffworkflow:properties></bpmn:extensionElements>')


def user_task(element: str, form: str | None = None) -> str:
    more = f'<spiffworkflow:property name="form" value="{form}"/>' if form else ""
    return f'<bpmn:userTask id="{element}" name="{element}">{ROLE.format(more=more)}</bpmn:userTask>'


def flows(*pairs) -> str:
    """Sequence flows f0, f1, ... for (source, target) or (source, target, condition)."""
    found = []
    for i, (source, target, *condition) in enumerate(pairs):
        body = f"<bpmn:conditionExpression>{condition[0]}</bpmn:conditionExpression>" if condition else ""
        found.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="{target}">{body}'
                     '</bpmn:sequenceFlow>')
    return "\n".join(found)


def script(element: str, code: str) -> str:
    return f'<bpmn:scriptTask id="{element}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'


def saved(instance_id: int) -> ProcessInstance:
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id)


def state_of(instance_id: int) -> dict:
    return json.loads(saved(instance_id).state)


def open_tasks(instance_id: int) -> dict:
    """{bpmn_id: [READY tasks]} of the instance."""
    found = {}
    for task in engine.list_tasks(instance_id=instance_id):
        found.setdefault(task.bpmn_id, []).append(task)
    return found


def rows(instance_id: int) -> list[HumanTask]:
    db.session.rollback()
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                   .order_by(HumanTask.seq)))


@pytest.fixture
def iao(org):
    return org["iao"]


# --- a loop's rounds --------------------------------------------------------------------------------------------------

ROUNDS = process_xml(
    '<bpmn:startEvent id="start"/>\n' + script("init", "n = 0") + '\n<bpmn:exclusiveGateway id="merge"/>\n'
    + user_task("ask").replace("<bpmn:extensionElements>", "<bpmn:documentation>Раунд цикла.</bpmn:documentation>"
                               "<bpmn:extensionElements>").replace(
        "</bpmn:extensionElements>", "<spiffworkflow:instructionsForEndUser>Ответьте до {{ limit }}."
                                     "</spiffworkflow:instructionsForEndUser></bpmn:extensionElements>")
    + '\n' + script("count", "n = n + 1") +
    '\n<bpmn:exclusiveGateway id="again" default="f6"/>\n<bpmn:endEvent id="end"/>\n'
    + flows(("start", "init"), ("init", "merge"), ("merge", "ask"), ("ask", "count"), ("count", "again"),
            ("again", "merge", "n &lt; limit"), ("again", "end")), "rounds")


def test_a_loops_state_does_not_grow_with_its_rounds(iao):
    engine.deploy([("r.bpmn", ROUNDS)], actor="designer")
    instance_id = engine.start("rounds", {"limit": 200}, actor="iao").instance_id
    sizes = {}
    for round_no in range(1, 201):
        [task] = open_tasks(instance_id)["ask"]
        engine.complete(task.id, iao, {"answer": round_no})
        if round_no in (50, 199):  # by round 50 the trail of the path taken is full (runtime.TRAIL_LENGTH)
            sizes[round_no] = len(saved(instance_id).state)
            # the state holds a round's worth of tasks, not the rounds done
            assert len(state_of(instance_id)["tasks"]) < 15
    assert sizes[199] < sizes[50] + 100  # a few more digits in the data, nothing per round
    done = saved(instance_id)
    assert done.status == "completed" and engine.detail(instance_id)["data"]["n"] == 200

    # What the product shows of the rounds is in the rows: each completion, by whom, in engine order.
    asked = [r for r in rows(instance_id) if r.bpmn_id == "ask"]
    assert [(r.state, r.completed_by) for r in asked] == [("COMPLETED", "iao")] * 200
    assert sorted(r.seq for r in asked) == [r.seq for r in asked] and len({r.seq for r in asked}) == 200
    history = [h for h in engine.detail(instance_id)["history"] if h["bpmn_id"] == "ask"]
    assert [h["completed_by"] for h in history] == ["iao"] * 200

    # The first round's task, cut from the tree long ago, still shows its element's documentation; its instructions
    # are left out, since the data they were filled in with is gone.
    page = engine.task_page(asked[0].id, iao)
    assert (page.instructions, page.documentation, page.data) == (None, "Раунд цикла.", {})


def test_a_step_reads_only_the_rows_it_can_change(iao):
    engine.deploy([("r.bpmn", ROUNDS)], actor="designer")
    instance_id = engine.start("rounds", {"limit": 50}, actor="iao").instance_id
    for _ in range(30):
        [task] = open_tasks(instance_id)["ask"]
        engine.complete(task.id, iao, {})
    db.session.rollback()
    with store.transaction():
        read = task_rows.task_rows(store.lock(instance_id))
    assert [(r.bpmn_id, r.state) for r in read.values()] == [("ask", "READY")]  # not the 30 completed ones


# --- subprocesses ---------------------------------------------------------------------------------------------------

REPORT_IN_SUBPROCESS = process_xml(
    '<bpmn:startEvent id="start"/>\n<bpmn:subProcess id="sub">\n<bpmn:startEvent id="sub_start"/>\n'
    + user_task("report", form="plan_report") + '\n<bpmn:endEvent id="sub_end"/>\n'
    '<bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="report"/>\n'
    '<bpmn:sequenceFlow id="s2" sourceRef="report" targetRef="sub_end"/>\n</bpmn:subProcess>\n'
    + user_task("check") + '\n<bpmn:endEvent id="end"/>\n'
    + flows(("start", "sub"), ("sub", "check"), ("check", "end")), "with_sub")


def test_a_finished_subprocess_leaves_the_state_and_its_tasks_stay_shown(iao):
    engine.deploy([("s.bpmn", REPORT_IN_SUBPROCESS)], actor="designer")
    instance_id = engine.start("with_sub", {}, actor="iao").instance_id
    assert len(state_of(instance_id)["subprocesses"]) == 1
    [report] = open_tasks(instance_id)["report"]
    engine.complete(report.id, iao, {"summary": "Совещание проведено", "count_done": 3, "count_total": 4})

    assert state_of(instance_id)["subprocesses"] == {}  # finished: gone from the state
    assert list(open_tasks(instance_id)) == ["check"]
    row = db.session.get(HumanTask, report.id)
    assert (row.state, row.completed_by) == ("COMPLETED", "iao")
    shown = {item.label: item.value.text for item in engine.submitted(report.id, iao) if item.value}
    assert shown["Что сделано"] == "Совещание проведено" and shown["Выполнено (проведено, охвачено)"] == "3"
    assert [(h["bpmn_id"], h["completed_by"]) for h in engine.detail(instance_id)["history"]
            if h["bpmn_id"] == "report"] == [("report", "iao")]
    assert engine.detail(instance_id)["data"]["report"]["summary"] == "Совещание проведено"  # passed on

    [check] = open_tasks(instance_id)["check"]
    engine.complete(check.id, iao, {})
    assert saved(instance_id).status == "completed"


# --- joins, boundary events, multi-instance, event-based gateways, round after round ------------------------------

# Each round: a fork to `a` and to a second fork, to `b` and `c`; the join waits for the three. When `a` and `b` are
# done, the join's instance under `a` is cancelled (the one under `b` waits) and everything still open lies below
# the second fork: a cut there would lose the cancelled instance, which the join counts `a` by.
NESTED_FORKS = process_xml(
    '<bpmn:startEvent id="start"/>\n' + script("init", "rounds = 0") + '\n<bpmn:exclusiveGateway id="merge"/>\n'
    '<bpmn:parallelGateway id="fork"/>\n<bpmn:parallelGateway id="fork2"/>\n<bpmn:parallelGateway id="join"/>\n'
    + user_task("a") + user_task("b") + user_task("c") + script("tally", "rounds = rounds + 1") +
    '\n<bpmn:exclusiveGateway id="again" default="f13"/>\n<bpmn:endEvent id="end"/>\n'
    + flows(("start", "init"), ("init", "merge"), ("merge", "fork"), ("fork", "a"), ("fork", "fork2"),
            ("fork2", "b"), ("fork2", "c"), ("a", "join"), ("b", "join"), ("c", "join"), ("join", "tally"),
            ("tally", "again"), ("again", "merge", "rounds &lt; 4"), ("again", "end")), "nested_forks")


def test_a_join_waits_for_all_its_inputs_in_every_round(iao):
    engine.deploy([("j.bpmn", NESTED_FORKS)], actor="designer")
    instance_id = engine.start("nested_forks", {}, actor="iao").instance_id
    orders = [("a", "b", "c"), ("c", "a", "b"), ("b", "c", "a"), ("a", "c", "b")]
    for round_no, order in enumerate(orders, 1):
        for done, element in enumerate(order, 1):
            [task] = open_tasks(instance_id)[element]
            engine.complete(task.id, iao, {f"{element}_{round_no}": True})
            still = open_tasks(instance_id)
            if done < 3:  # the join waits: the others are still open, the next round has not begun
                assert sorted(still) == sorted(order[done:]), (round_no, order, done)
        data = engine.detail(instance_id)["data"]
        assert data["rounds"] == round_no
        assert all(data[f"{e}_{r}"] for e in "abc" for r in range(1, round_no + 1))  # merged from the 3 branches
    assert saved(instance_id).status == "completed"
    assert len(state_of(instance_id)["tasks"]) < 10


REMINDED = process_xml(
    '<bpmn:startEvent id="start"/>\n' + script("init", "n = 0") + '\n<bpmn:exclusiveGateway id="merge"/>\n'
    + user_task("fill") +
    '\n<bpmn:boundaryEvent id="remind" attachedToRef="fill" cancelActivity="false"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>\n'
    '<bpmn:boundaryEvent id="deadline" attachedToRef="fill" cancelActivity="true"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>\n'
    + script("nudge", "notify('iao_specialist', None, 'Напоминание', 'reminder')") + '\n'
    '<bpmn:endEvent id="nudged"/>\n' + user_task("escalate") + '\n<bpmn:endEvent id="escalated"/>\n'
    + script("count", "n = n + 1") + '\n<bpmn:exclusiveGateway id="again" default="f10"/>\n<bpmn:endEvent id="end"/>\n'
    + flows(("start", "init"), ("init", "merge"), ("merge", "fill"), ("fill", "count"), ("count", "again"),
            ("again", "merge", "n &lt; 10"), ("remind", "nudge"), ("nudge", "nudged"), ("deadline", "escalate"),
            ("escalate", "escalated"), ("again", "end")), "reminded")


def test_boundary_timers_fire_after_rounds_were_cut(iao, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    engine.deploy([("t.bpmn", REMINDED)], actor="designer")
    instance_id = engine.start("reminded", {}, actor="iao").instance_id
    now = datetime.fromisoformat("2021-03-15T09:00:00+03:00")
    for _ in range(3):  # rounds done in time: no timer fires, both are cancelled with the task
        [task] = open_tasks(instance_id)["fill"]
        engine.complete(task.id, iao, {})
    assert saved(instance_id).next_timer_at is not None

    now += timedelta(minutes=61)  # the reminder of the fourth round
    clock_at(now.isoformat())
    engine.advance_timers()
    [task] = open_tasks(instance_id)["fill"]  # still open: the reminder does not interrupt
    reminders = db.session.scalars(select(Notification).where(Notification.instance_id == instance_id)).all()
    assert [n.kind for n in reminders] == ["reminder"]
    engine.complete(task.id, iao, {})

    now += timedelta(days=2, minutes=1)  # the fifth round's deadline (its reminder falls due too)
    clock_at(now.isoformat())
    engine.advance_timers()
    assert list(open_tasks(instance_id)) == ["escalate"]
    fills = [r for r in rows(instance_id) if r.bpmn_id == "fill"]
    assert [r.state for r in fills] == ["COMPLETED"] * 4 + ["CANCELLED"]
    assert engine.detail(instance_id)["data"]["n"] == 4
    kinds = db.session.scalars(select(Notification.kind).where(Notification.instance_id == instance_id)).all()
    assert kinds == ["reminder", "reminder"]



def test_a_reminder_that_fired_and_ended_does_not_stop_the_cuts(iao, clock_at):
    """The first round's reminder fires and its branch ends: the process end waits on that branch (for the rest of
    the instance), which once kept everything after the boundary from being cut. The later rounds are cut all the
    same, and the instance still ends with the data of its last round."""
    clock_at("2021-03-15T09:00:00+03:00")
    engine.deploy([("t.bpmn", REMINDED)], actor="designer")
    instance_id = engine.start("reminded", {}, actor="iao").instance_id
    clock_at("2021-03-15T10:01:00+03:00")
    engine.advance_timers()  # the first round's reminder: its branch runs to its end event
    sizes = {}
    for round_no in range(1, 10):
        [task] = open_tasks(instance_id)["fill"]
        engine.complete(task.id, iao, {f"fill_{round_no}": True})
        sizes[round_no] = len(state_of(instance_id)["tasks"])
    # a round's tasks and the ended branch's end event with the end join waiting under it: 20 (30 + 8 a round before)
    assert sizes[9] == sizes[2] and sizes[9] <= 20, sizes
    [task] = open_tasks(instance_id)["fill"]
    engine.complete(task.id, iao, {"fill_10": True})
    done = saved(instance_id)
    data = engine.detail(instance_id)["data"]
    assert done.status == "completed" and data["n"] == 10 and all(data[f"fill_{n}"] for n in range(1, 11))
    kinds = db.session.scalars(select(Notification.kind).where(Notification.instance_id == instance_id)).all()
    assert kinds == ["reminder"]

REVIEWS = process_xml(
    '<bpmn:startEvent id="start"/>\n' + script("init", "rounds = 0\ntotals = []") +
    '\n<bpmn:exclusiveGateway id="merge"/>\n'
    '<bpmn:subProcess id="review">\n<bpmn:multiInstanceLoopCharacteristics>'
    '<bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef><bpmn:loopDataOutputRef>scores</bpmn:loopDataOutputRef>'
    '<bpmn:inputDataItem id="reviewer" name="reviewer"/><bpmn:outputDataItem id="score" name="score"/>'
    '</bpmn:multiInstanceLoopCharacteristics>\n<bpmn:startEvent id="r_start"/>\n' + user_task("grade") +
    '\n<bpmn:endEvent id="r_end"/>\n<bpmn:sequenceFlow id="r1" sourceRef="r_start" targetRef="grade"/>\n'
    '<bpmn:sequenceFlow id="r2" sourceRef="grade" targetRef="r_end"/>\n</bpmn:subProcess>\n'
    + script("tally", "rounds = rounds + 1\ntotals = totals + [scores]\nscores = []") +
    '\n<bpmn:exclusiveGateway id="again" default="f6"/>\n<bpmn:endEvent id="end"/>\n'
    + flows(("start", "init"), ("init", "merge"), ("merge", "review"), ("review", "tally"), ("tally", "again"),
            ("again", "merge", "rounds &lt; 3"), ("again", "end")), "reviews")


def test_a_multi_instance_subprocess_runs_round_after_round(iao):
    engine.deploy([("m.bpmn", REVIEWS)], actor="designer")
    instance_id = engine.start("reviews", {"reviewers": ["x", "y", "z"]}, actor="iao").instance_id
    for round_no in range(1, 4):
        grades = open_tasks(instance_id)["grade"]
        assert len(grades) == 3 and len(state_of(instance_id)["subprocesses"]) == 3
        for task in reversed(grades):  # the last reviewer first
            who = store.task_of(saved(instance_id), task.id).data["reviewer"]
            engine.complete(task.id, iao, {"score": f"{who}{round_no}"})
    detail = engine.detail(instance_id)
    assert detail["data"]["totals"] == [["x1", "y1", "z1"], ["x2", "y2", "z2"], ["x3", "y3", "z3"]]
    assert saved(instance_id).status == "completed" and state_of(instance_id)["subprocesses"] == {}
    assert [r.state for r in rows(instance_id)] == ["COMPLETED"] * 9


WAIT_FOR_ANSWERS = process_xml(
    '<bpmn:startEvent id="start"/>\n' + script("init", "answers = 0") + '\n<bpmn:exclusiveGateway id="merge"/>\n'
    '<bpmn:eventBasedGateway id="gw"/>\n'
    '<bpmn:intermediateCatchEvent id="answer"><bpmn:messageEventDefinition messageRef="m"/>'
    '</bpmn:intermediateCatchEvent>\n'
    '<bpmn:intermediateCatchEvent id="silence"><bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"'
    '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n'
    + script("count", "answers = answers + 1") + '\n' + script("close", "closed = True") +
    '\n<bpmn:endEvent id="end"/>\n'
    + flows(("start", "init"), ("init", "merge"), ("merge", "gw"), ("gw", "answer"), ("gw", "silence"),
            ("answer", "count"), ("count", "merge"), ("silence", "close"), ("close", "end")),
    "answers", extra='<bpmn:message id="m" name="answer"/>\n')


def test_an_event_based_gateway_waits_again_in_every_round(app, clock_at):
    clock_at("2021-03-15T09:00:00+03:00")
    engine.deploy([("e.bpmn", WAIT_FOR_ANSWERS)], actor="designer")
    instance_id = engine.start("answers", {}, actor="designer").instance_id
    for hour in range(1, 6):
        clock_at(f"2021-03-15T{9 + hour:02d}:00:00+03:00")
        assert engine.deliver("message", "answer", {}, instance_id=instance_id) == [instance_id]
        assert saved(instance_id).status == "waiting"
    assert engine.detail(instance_id)["data"]["answers"] == 5
    assert len(state_of(instance_id)["tasks"]) < 15

    clock_at("2021-03-16T15:00:00+03:00")  # a day after the last answer: the timer, armed again in each round
    engine.advance_timers()
    done = saved(instance_id)
    assert done.status == "completed" and engine.detail(instance_id)["data"]["closed"] is True
