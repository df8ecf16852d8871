"""Moving running instances to a later version (engine.service.migration, the batch action "migrate"): an instance
before an inserted task takes it, one past it goes on; one whose token sits on a removed or changed element is
refused with the reason and keeps its state byte for byte; each move is audited once; a job cut off half-way goes
on where it stopped; only operators and administrators may run it."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
from engine import events
from engine.db import db
from engine.errors import EngineError, PermissionDenied
from engine.models import AuditEvent, BatchItem, BatchJob, HumanTask, ProcessInstance
from engine.service import batch
from engine.service.migration import migrate, migration_check
from tests.conftest import process_xml

PROCESS = "mig_check"
LANE = "Технический специалист ППЭ"
REASON = "новая версия по приказу"
FILL, SIGN, CHECK = ("fill", "Заполнить акт"), ("sign", "Подписать акт"), ("check", "Проверить акт")


def diagram(*tasks, due_of=None, timer=False) -> bytes:
    """start → the user tasks (id, name), in order → end, all in the PPE technician's lane. `due_of`: the task
    whose deadline reads the variable `due`; `timer`: a waiting timer (a catch event «pause») before the end."""
    ids = [t[0] for t in tasks] + (["pause"] if timer else [])
    nodes = "".join(
        f'<bpmn:userTask id="{tid}" name="{name}">'
        + ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="due" value="due"/>'
           '</spiffworkflow:properties></bpmn:extensionElements>' if tid == due_of else '')
        + '</bpmn:userTask>\n' for tid, name in tasks)
    if timer:
        nodes += ('<bpmn:intermediateCatchEvent id="pause" name="Пауза"><bpmn:timerEventDefinition>'
                  '<bpmn:timeDuration>"P3D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                  '</bpmn:intermediateCatchEvent>\n')
    chain = ["start", *ids, "end"]
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in chain)
    flows = "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>\n'
                    for a, b in zip(chain, chain[1:]))
    return process_xml(f'<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="{LANE}">{refs}</bpmn:lane></bpmn:laneSet>\n'
                       '<bpmn:startEvent id="start"/>\n' + nodes + '<bpmn:endEvent id="end"/>\n' + flows, PROCESS)


def deploy(content: bytes) -> int:
    return engine.deploy([("mig_check.bpmn", content)], actor="designer").version


@pytest.fixture
def people(app, org, clock_at):
    app.config["GIA_BATCH_RUN"] = "none"  # the tests run the jobs themselves
    clock_at("2021-03-01T09:00:00+03:00")
    return org


def start(n=1) -> list[int]:
    return [engine.start(PROCESS, {"due": "2021-03-20"}, unit="ppe-17", actor="iao").instance_id for _ in range(n)]


def ready(instance_id) -> list[str]:
    db.session.expire_all()
    return [t.bpmn_id for t in db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "READY").order_by(HumanTask.seq))]


def complete(instance_id, bpmn_id, people):
    [task] = [t for t in db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "READY", HumanTask.bpmn_id == bpmn_id))]
    engine.complete(task.id, people["tech17"], {})


def row(instance_id) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)).one()


def state(instance_id) -> tuple:
    instance = row(instance_id)
    return instance.deployment_id, instance.state, instance.lock_version


def moved(instance_id, version, people):
    with engine.transaction():
        return migrate(instance_id, version, "operator", REASON)


def test_an_instance_before_an_inserted_task_takes_it_and_one_past_it_goes_on(people):
    v1 = deploy(diagram(FILL, CHECK))
    early, late = start(2)
    complete(late, "fill", people)
    assert ready(early) == ["fill"] and ready(late) == ["check"]
    claimed = engine.claim(db.session.scalars(select(HumanTask.id).where(
        HumanTask.instance_id == early, HumanTask.state == "READY")).one(), people["tech17"])
    claimed_id = claimed.id
    db.session.commit()
    v2 = deploy(diagram(FILL, SIGN, CHECK))

    assert migration_check(early, v2) is None and migration_check(late, v2) is None
    assert moved(early, v2, people) == v1
    assert moved(late, v2, people) == v1
    assert row(early).deployment_id == v2 and row(late).deployment_id == v2
    assert ready(early) == ["fill"]  # the same task row, still open in the inbox, still taken by its person
    assert db.session.get(HumanTask, claimed_id).assignee_id == people["tech17"].id

    complete(early, "fill", people)
    assert ready(early) == ["sign"]  # the task v2 inserted
    complete(early, "sign", people)
    complete(early, "check", people)
    assert row(early).status == "completed"
    complete(late, "check", people)
    assert row(late).status == "completed"
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "migrate")
                               .order_by(AuditEvent.id)).all()
    assert [(a.instance_id, a.actor, a.summary, a.message) for a in trail] == [
        (early, "operator", {"from": v1, "to": v2, "reason": REASON}, REASON),
        (late, "operator", {"from": v1, "to": v2, "reason": REASON}, REASON)]


def test_a_token_on_a_removed_or_changed_task_is_refused_and_the_state_kept(people):
    v1 = deploy(diagram(FILL, CHECK))
    at_fill, at_check = start(2)
    complete(at_check, "fill", people)
    removed = deploy(diagram(FILL))
    before = state(at_check)
    why = migration_check(at_check, removed)
    assert "«Проверить акт» (check)" in why and f"версии {removed}" in why, why
    with pytest.raises(EngineError) as refused:
        moved(at_check, removed, people)
    assert refused.value.message == why
    assert state(at_check) == before and ready(at_check) == ["check"]
    assert migration_check(at_fill, removed) is None

    changed = deploy(diagram(("fill", "Заполнить акт проверки"), CHECK))
    why = migration_check(at_fill, changed)
    assert "«Заполнить акт» (fill)" in why and "изменён" in why, why
    assert migration_check(at_check, changed) is None
    assert db.session.query(AuditEvent).filter_by(action="migrate").count() == 0


def test_a_deadline_moved_on_the_open_task_and_a_waiting_timer_keep_their_values(people):
    v1 = deploy(diagram(FILL, CHECK, due_of="fill", timer=True))
    at_fill, at_timer = start(2)
    engine.move_task_due(db.session.scalars(select(HumanTask.id).where(
        HumanTask.instance_id == at_fill, HumanTask.state == "READY")).one(), date(2021, 3, 25), "operator",
        "по приказу")
    complete(at_timer, "fill", people)
    complete(at_timer, "check", people)
    due_before = row(at_fill).next_timer_at, _due(at_fill)
    timer_before = row(at_timer).next_timer_at
    assert row(at_timer).status == "waiting" and timer_before is not None
    v2 = deploy(diagram(FILL, SIGN, CHECK, due_of="fill", timer=True))
    moved(at_fill, v2, people)
    moved(at_timer, v2, people)
    assert (row(at_fill).next_timer_at, _due(at_fill)) == due_before
    assert row(at_timer).next_timer_at == timer_before and row(at_timer).deployment_id == v2 != v1


def _due(instance_id):
    db.session.expire_all()
    return db.session.scalars(select(HumanTask.due_at).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.state == "READY")).one()


def items(job_id):
    db.session.expire_all()
    return {i.instance_id: (i.outcome, i.message)
            for i in db.session.query(BatchItem).filter_by(job_id=job_id).order_by(BatchItem.id)}


class _Kill:
    at = None

    @classmethod
    def step(cls, event):
        if cls.at is not None and event.instance.id == cls.at:
            cls.at = None
            raise KeyboardInterrupt("worker killed")


events.on_step_saved(_Kill.step)


def test_a_batch_previews_each_verdict_moves_the_ones_that_can_and_resumes_after_a_kill(people, monkeypatch):
    v1 = deploy(diagram(FILL, CHECK))
    at_fill = start(4)
    at_check = start(2)
    for i in at_check:
        complete(i, "fill", people)
    done = start(1)[0]
    complete(done, "fill", people)
    complete(done, "check", people)
    v2 = deploy(diagram(FILL))  # «check» removed: those waiting there cannot move
    ids = at_fill + at_check + [done]
    kept = {i: state(i) for i in at_check}

    preview = engine.preview_batch(people["operator"], "migrate", ids, {"version": str(v2)})
    why = migration_check(at_check[0], v2)
    assert preview.params == {"version": v2} and preview.total == 7 and preview.checked == 6
    assert preview.refused == [("not running", 1), (why, 2)] or preview.refused == [("не выполняется", 1), (why, 2)]
    assert preview.expected == 4
    verdicts = {r.instance_id: (r.can, r.message) for r in preview.sample}
    assert verdicts == {**{i: (True, None) for i in at_fill}, **{i: (False, why) for i in at_check},
                        done: (False, preview.refused[0][0])}
    with pytest.raises(EngineError):
        engine.preview_batch(people["operator"], "migrate", ids, {"version": "999"})
    monkeypatch.setattr(batch, "CHECKED", 3)  # a city's worth: the first ones checked, the rest when it runs
    partial = engine.preview_batch(people["operator"], "migrate", ids, {"version": v2})
    assert (partial.checked, partial.checkable, partial.expected) == (3, 6, 6)
    assert [r.can for r in partial.sample] == [True, True, True, None, None, None, False]

    job_id = engine.create_batch(people["operator"], "migrate", {"version": v2}, REASON, ids,
                                 {"process": PROCESS, "version": v1})
    assert db.session.get(BatchJob, job_id).params == {"version": v2}
    _Kill.at = at_fill[2]  # the worker dies while saving the third instance's new state
    with pytest.raises(KeyboardInterrupt):
        engine.run_batch(job_id)
    db.session.rollback()
    assert [items(job_id)[i][0] for i in at_fill] == ["done", "done", None, None]
    assert row(at_fill[2]).deployment_id == v1  # nothing half-migrated

    assert engine.run_batch(job_id) == {"done": 4, "refused": 3, "pending": 0}
    outcome = items(job_id)
    assert {i: outcome[i] for i in at_check} == {i: ("refused", why) for i in at_check}
    assert outcome[done][0] == "refused" and str(done) in outcome[done][1]
    assert {i: row(i).deployment_id for i in ids} == {**{i: v2 for i in at_fill}, **{i: v1 for i in at_check},
                                                      done: v1}
    assert {i: state(i) for i in at_check} == kept  # byte for byte, not even its lock version bumped
    trail = db.session.query(AuditEvent).filter(AuditEvent.action == "migrate").order_by(AuditEvent.id).all()
    assert [a.instance_id for a in trail] == at_fill  # once each, the killed one included
    for i in at_fill:
        complete(i, "fill", people)
        assert row(i).status == "completed"  # v2 ends after «fill»


def test_only_operators_and_admins_migrate_and_each_refusal_is_audited(people):
    deploy(diagram(FILL, CHECK))
    ids = start(1)
    v2 = deploy(diagram(FILL, SIGN, CHECK))
    for login in ("designer", "head17", "iao"):
        denied = db.session.query(AuditEvent).filter_by(action="denied", actor=login).count()
        for attempt in (lambda: engine.preview_batch(people[login], "migrate", ids, {"version": v2}),
                        lambda: engine.create_batch(people[login], "migrate", {"version": v2}, REASON, ids)):
            with pytest.raises(PermissionDenied):
                attempt()
        assert db.session.query(AuditEvent).filter_by(action="denied", actor=login).count() == denied + 2
    assert db.session.query(BatchJob).count() == 0
    job_id = engine.create_batch(people["admin"], "migrate", {"version": v2}, REASON, ids)
    assert engine.run_batch(job_id) == {"done": 1, "refused": 0, "pending": 0}


def test_an_older_or_the_same_version_or_one_without_the_process_is_refused(people):
    v1 = deploy(diagram(FILL, CHECK))
    [i] = start(1)
    other = engine.deploy([("other.bpmn", process_xml('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
                                                      '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>',
                                                      "mig_other"))], actor="designer").version
    assert "mig_other" not in (migration_check(i, v1) or "") and str(v1) in migration_check(i, v1)
    assert PROCESS in migration_check(i, other)
    engine.suspend(i, "operator", reason="проверка")
    assert migration_check(i, other)


def test_a_removed_task_the_state_still_holds_behind_the_token_is_named_and_the_move_refused(people):
    """The finished task a token descends from is kept in the tree (engine.bpmn.pruning keeps its data for the
    token): its element gone, the state would not load on the new version, so the move is refused, naming it."""
    deploy(diagram(FILL, CHECK))
    [at_check] = start(1)
    complete(at_check, "fill", people)
    v2 = deploy(diagram(CHECK))  # «fill», already done, removed
    before = state(at_check)
    why = migration_check(at_check, v2)
    assert "прошёл шаг «Заполнить акт» (fill)" in why and f"версии {v2}" in why, why
    with pytest.raises(EngineError):
        moved(at_check, v2, people)
    assert state(at_check) == before
    complete(at_check, "check", people)
    assert row(at_check).status == "completed"  # on its own version


def nested(inner_name: str) -> bytes:
    """start → an embedded subprocess «Акт» (start → user task «inner» → end) → end."""
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in ("start", "act", "end"))
    return process_xml(
        f'<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="{LANE}">{refs}</bpmn:lane></bpmn:laneSet>\n'
        '<bpmn:startEvent id="start"/>\n<bpmn:subProcess id="act" name="Акт">'
        '<bpmn:startEvent id="act_start"/>'
        f'<bpmn:userTask id="inner" name="{inner_name}"/><bpmn:endEvent id="act_end"/>'
        '<bpmn:sequenceFlow id="a1" sourceRef="act_start" targetRef="inner"/>'
        '<bpmn:sequenceFlow id="a2" sourceRef="inner" targetRef="act_end"/></bpmn:subProcess>\n'
        '<bpmn:endEvent id="end"/>\n<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="act"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="act" targetRef="end"/>', PROCESS)


def test_a_subprocess_changed_under_its_running_token_is_refused_and_an_unchanged_one_moves(people):
    deploy(nested("Заполнить акт"))
    [inside] = start(1)
    assert ready(inside) == ["inner"]
    same = deploy(nested("Заполнить акт") + b"<!-- the same diagram, deployed again with a comment -->")
    changed = deploy(nested("Заполнить акт проверки"))
    why = migration_check(inside, changed)
    assert "Подпроцесс «Акт» (act)" in why and f"изменён в версии {changed}" in why, why
    assert migration_check(inside, same) is None
    moved(inside, same, people)
    assert ready(inside) == ["inner"]
    complete(inside, "inner", people)
    assert row(inside).status == "completed" and row(inside).deployment_id == same


def with_reminder(reminder: bool) -> bytes:
    """«Заполнить акт» → «Проверить акт» → end; with `reminder`, a non-interrupting one-day timer on «Проверить»."""
    nodes = ("start", "fill", "check", "end", *(("remind", "reminded") if reminder else ()))
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    timer = ('<bpmn:boundaryEvent id="remind" name="Напоминание" attachedToRef="check" cancelActivity="false">'
             '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent><bpmn:endEvent id="reminded"/>'
             '<bpmn:sequenceFlow id="fr" sourceRef="remind" targetRef="reminded"/>') if reminder else ""
    return process_xml(
        f'<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="{LANE}">{refs}</bpmn:lane></bpmn:laneSet>\n'
        f'<bpmn:startEvent id="start"/><bpmn:userTask id="fill" name="{FILL[1]}"/>'
        f'<bpmn:userTask id="check" name="{CHECK[1]}"/>{timer}<bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="check"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end"/>', PROCESS)


def test_a_boundary_event_added_where_the_token_is_is_refused_and_one_ahead_is_armed_on_the_way(people):
    """Moved, the token at «Проверить» would stand outside the split its new reminder hangs from, and fail when
    completed («Split at check.BoundaryEventSplit was not reached»): refused. One still at «Заполнить» gets the
    reminder when it reaches «Проверить»."""
    deploy(with_reminder(False))
    ahead, there = start(2)
    complete(there, "fill", people)
    v2 = deploy(with_reminder(True))
    why = migration_check(there, v2)
    assert "граничное событие" in why and "«Проверить акт» (check)" in why, why
    moved(ahead, v2, people)
    complete(ahead, "fill", people)
    assert ready(ahead) == ["check"] and row(ahead).next_timer_at is not None  # the reminder is armed
    complete(ahead, "check", people)
    assert row(ahead).status == "completed"
    complete(there, "check", people)
    assert row(there).status == "completed"  # on its own version
