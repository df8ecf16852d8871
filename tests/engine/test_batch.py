"""Batch repair (engine.service.batch): the preview's counts are what the run does; each instance is acted on once,
in its own transaction, audited with the operator's reason; a job cut off half-way goes on where it stopped;
two runners of one job on PostgreSQL never act twice on an instance; only operators (and admins) may."""
import threading
import pytest

import engine
from engine import actions, events
from engine.db import db
from engine.errors import ConflictError, EngineError, InvalidState, PermissionDenied
from engine.models import AuditEvent, BatchItem, BatchJob, HumanTask
from engine.models.instance import InstanceStatus
from engine.service.batch_actions import ACTIONS
from tests.engine import batch_kit as kit

REASON = "календарь исправлен"


@pytest.fixture
def people(app, org, clock_at):
    app.config["GIA_BATCH_RUN"] = "none"  # the tests run the jobs themselves
    clock_at("2021-03-01T09:00:00+03:00")
    kit.prepare()
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17", full_name="Алиев Б.Б.")
    db.session.commit()
    return {**org, "tech17b": engine.user_by_login("tech17b")}


def audits(action, ids):
    db.session.expire_all()
    rows = db.session.query(AuditEvent).filter(AuditEvent.action == action, AuditEvent.instance_id.in_(ids))
    return rows.order_by(AuditEvent.id).all()


def items(job_id):
    db.session.expire_all()
    return {i.instance_id: (i.outcome, i.message)
            for i in db.session.query(BatchItem).filter_by(job_id=job_id).order_by(BatchItem.id)}


def why_not(action):
    return str(ACTIONS[action].why_not)


def refusal(kind, instance_id, status):
    """The verb's own refusal, the status in words («завершён»), as the report shows it."""
    return InvalidState(kind.refusal, id=instance_id, status=InstanceStatus.word(status)).message


def test_a_batch_retry_does_what_its_preview_said_and_audits_each_instance_with_the_reason(people):
    broken = kit.failing(3)
    kit.set_day("2021-03-10")
    fine = kit.running(2)
    operator = people["operator"]

    preview = engine.preview_batch(operator, "retry", broken + fine + [999999], {})
    assert preview.total == 5 and preview.instance_ids == sorted(broken + fine)  # an unknown id is left out
    assert preview.refused == [(why_not("retry"), 2)] and preview.expected == 3
    assert [(r.instance_id, r.status) for r in preview.sample] == [(i, "error") for i in broken] + [
        (i, "running") for i in fine]
    assert preview.sample[0].unit.startswith("ППЭ №17") and preview.sample[0].process

    job_id = engine.create_batch(operator, "retry", {}, REASON, preview.instance_ids, {"status": "error"})
    assert items(job_id) == {i: (None, None) for i in broken + fine}  # nothing done before a worker runs it

    counts = engine.run_batch(job_id)
    assert counts == {"done": 3, "refused": 2, "pending": 0}  # as the preview said
    assert counts["done"] == preview.expected
    assert kit.statuses(broken + fine) == {**{i: "running" for i in broken}, **{i: "running" for i in fine}}
    outcome = items(job_id)
    assert {i: outcome[i] for i in broken} == {i: ("done", None) for i in broken}
    assert {i: outcome[i] for i in fine} == {i: ("refused", refusal(actions.Retry, i, "running")) for i in fine}
    retried = audits("retry", broken + fine)
    assert sorted(a.instance_id for a in retried) == sorted(broken)  # one per instance, none for the refused
    assert {(a.actor, a.summary["reason"]) for a in retried} == {("operator", REASON)}

    job = db.session.get(BatchJob, job_id)
    assert (job.status, job.total, job.query, job.created_by) == ("done", 5, {"status": "error"}, "operator")
    assert job.started_at is not None and job.finished_at >= job.started_at
    report = engine.batch_report(job_id, operator)
    assert report.counts == counts and report.finished
    assert [(r.instance_id, r.message) for r in report.refused] == [(i, outcome[i][1]) for i in fine]


def test_a_retry_that_fails_again_is_refused_with_the_error_and_the_instance_stays_in_error(people):
    broken = kit.failing(2)
    job_id = engine.create_batch(people["admin"], "retry", {}, REASON, broken)  # the calendar is still empty
    assert engine.run_batch(job_id) == {"done": 0, "refused": 2, "pending": 0}
    assert kit.statuses(broken) == {i: "error" for i in broken}
    db.session.expire_all()
    errors = {i: db.session.get(engine.models.ProcessInstance, i).error for i in broken}
    assert items(job_id) == {i: ("refused", errors[i]) for i in broken} and all(errors.values())


def test_suspend_resume_and_cancel_refuse_what_is_not_in_their_state(people):
    kit.set_day("2021-03-10")
    first, second, done = kit.running(3)
    task = db.session.query(HumanTask).filter_by(instance_id=done, state="READY").one()
    engine.complete(task.id, engine.user_by_login("tech17"), {})
    assert kit.statuses([done]) == {done: "completed"}
    operator = people["operator"]

    preview = engine.preview_batch(operator, "suspend", [first, second, done], {})
    assert preview.refused == [(why_not("suspend"), 1)] and preview.expected == 2
    job = engine.create_batch(operator, "suspend", {}, "проверка данных", [first, second, done])
    assert engine.run_batch(job) == {"done": 2, "refused": 1, "pending": 0}
    assert items(job)[done] == ("refused", refusal(actions.Suspend, done, "completed"))
    assert kit.statuses([first, second]) == {first: "suspended", second: "suspended"}
    assert [(a.instance_id, a.actor, a.summary["reason"]) for a in audits("suspend", [first, second, done])] == [
        (first, "operator", "проверка данных"), (second, "operator", "проверка данных")]

    job = engine.create_batch(operator, "resume", {}, "данные проверены", [first, done])
    assert engine.run_batch(job) == {"done": 1, "refused": 1, "pending": 0}
    assert kit.statuses([first, second]) == {first: "running", second: "suspended"}

    preview = engine.preview_batch(operator, "cancel", [first, second, done], {})
    assert preview.refused == [(why_not("cancel"), 1)]
    job = engine.create_batch(operator, "cancel", {}, "отменено приказом", [first, second, done])
    assert engine.run_batch(job) == {"done": 2, "refused": 1, "pending": 0}
    assert kit.statuses([first, second, done]) == {first: "cancelled", second: "cancelled", done: "completed"}


def test_reassign_gives_the_open_tasks_to_a_colleague_they_are_offered_to(people):
    kit.set_day("2021-03-10")
    ours = kit.running(2)
    other = kit.running(1, unit="ppe-12")[0]
    operator = people["operator"]
    job = engine.create_batch(operator, "reassign", {"assignee": "tech17b"}, "Гасанов в отпуске", ours + [other])
    assert engine.run_batch(job) == {"done": 2, "refused": 1, "pending": 0}
    db.session.expire_all()
    tasks = {t.instance_id: t.assignee_id for t in db.session.query(HumanTask).filter_by(state="READY")}
    assert tasks == {ours[0]: people["tech17b"].id, ours[1]: people["tech17b"].id, other: None}
    assert items(job)[other][0] == "refused" and "Алиев Б.Б." in items(job)[other][1]
    handed = audits("reassign", ours + [other])
    assert [(a.instance_id, a.actor, a.message, a.summary["to"]) for a in handed] == [
        (i, "operator", "Гасанов в отпуске", "tech17b") for i in ours]


def test_move_due_moves_every_open_deadline_by_the_days_given(people):
    kit.set_day("2021-03-10")
    ids = kit.running(2)
    before = {t.instance_id: t.due_at for t in db.session.query(HumanTask).filter_by(state="READY")}
    job = engine.create_batch(people["operator"], "move_due", {"days": "4"}, "перенос по приказу", ids)
    assert db.session.get(BatchJob, job).params == {"days": 4}
    assert engine.run_batch(job) == {"done": 2, "refused": 0, "pending": 0}, items(job)
    db.session.expire_all()
    after = {t.instance_id: t.due_at for t in db.session.query(HumanTask).filter_by(state="READY")}
    assert {i: (after[i] - before[i]).days for i in ids} == {i: 4 for i in ids}
    assert len(audits("move_due", ids)) == 2


@pytest.mark.parametrize("action, params, problem", [
    ("reassign", {}, "Choose an active user"),
    ("reassign", {"assignee": "nobody"}, "Choose an active user"),
    ("move_due", {"days": "0"}, "1 to %(max)s days"),
    ("move_due", {"days": "400"}, "1 to %(max)s days"),
    ("move_due", {"days": "три"}, "number of days"),
    ("move_due", {"due": "2000-01-01"}, "in the past"),
    ("launch", {}, "Unknown batch action"),
])
def test_wrong_parameters_create_no_job(people, action, params, problem):
    kit.set_day("2021-03-10")
    ids = kit.running(1)
    with pytest.raises(EngineError) as info:
        engine.create_batch(people["operator"], action, params, REASON, ids)
    assert problem in info.value._message._args[0]  # the message's msgid, whatever the language
    assert db.session.query(BatchJob).count() == 0


def test_a_reason_is_required_and_an_empty_selection_refused(people):
    ids = kit.failing(1)
    for reason in ("", "  ", "ок"):
        with pytest.raises(EngineError, match="reason|причин"):
            engine.create_batch(people["operator"], "retry", {}, reason, ids)
    with pytest.raises(EngineError):
        engine.create_batch(people["operator"], "retry", {}, REASON, [999999])
    assert db.session.query(BatchJob).count() == 0


def test_only_operators_and_admins_may_and_each_refusal_is_audited(people):
    ids = kit.failing(1)
    job_id = engine.create_batch(people["operator"], "retry", {}, REASON, ids)
    for login in ("head12", "iao", "guo_head", "designer"):
        user = people[login]
        for attempt in (lambda: engine.preview_batch(user, "retry", ids, {}),
                        lambda: engine.create_batch(user, "retry", {}, REASON, ids),
                        lambda: engine.batch_report(job_id, user),
                        lambda: engine.recent_batches(user)):
            denied = db.session.query(AuditEvent).filter_by(action="denied", actor=login).count()
            with pytest.raises(PermissionDenied):
                attempt()
            assert db.session.query(AuditEvent).filter_by(action="denied", actor=login).count() == denied + 1
    assert db.session.query(BatchJob).count() == 1
    assert [job.id for job, _counts in engine.recent_batches(people["admin"])] == [job_id]


class _Fault:
    """A fault in the middle of a step: the step has acted in memory and is being saved, not committed. `error`:
    a worker killed (KeyboardInterrupt), or someone changing the instance at that moment (ConflictError)."""
    at: int | None = None
    error: Exception | None = None
    times = 0

    @classmethod
    def step(cls, event):
        if cls.at is not None and event.instance.id == cls.at and cls.times > 0:
            cls.times -= 1
            raise cls.error


events.on_step_saved(_Fault.step)  # for the process: each test's faults are cleared after it (no_fault_left)


@pytest.fixture(autouse=True)
def no_fault_left():
    """A fault not used up by its test (the one refused after three tries leaves two) must not fire in the next
    test on this worker, whose fresh database numbers its instances from 1 again."""
    yield
    _Fault.at, _Fault.error, _Fault.times = None, None, 0


def fault(instance_id, error, times=1):
    _Fault.at, _Fault.error, _Fault.times = instance_id, error, times


def test_a_job_cut_off_half_way_goes_on_where_it_stopped_and_acts_on_each_instance_once(people):
    broken = kit.failing(6)
    kit.set_day("2021-03-10")
    job_id = engine.create_batch(people["operator"], "retry", {}, REASON, broken)

    assert engine.run_batch(job_id, limit=2) == {"done": 2, "refused": 0, "pending": 4}
    fault(broken[3], KeyboardInterrupt("worker killed"))  # the fourth instance's step dies before its commit
    with pytest.raises(KeyboardInterrupt):
        engine.run_batch(job_id)
    db.session.rollback()
    outcome = items(job_id)
    assert [outcome[i][0] for i in broken] == ["done", "done", "done", None, None, None]
    assert kit.statuses(broken[3:4]) == {broken[3]: "error"}  # its retry was rolled back with its mark
    assert db.session.get(BatchJob, job_id).status == "running"

    assert engine.run_batch(job_id) == {"done": 6, "refused": 0, "pending": 0}
    assert sorted(a.instance_id for a in audits("retry", broken)) == sorted(broken)  # exactly once each
    assert kit.statuses(broken) == {i: "running" for i in broken}
    assert db.session.get(BatchJob, job_id).status == "done"
    assert engine.run_batch(job_id) == {"done": 6, "refused": 0, "pending": 0}  # again: nothing more
    assert len(audits("retry", broken)) == 6


def test_the_sweep_runs_a_job_nobody_advanced(people, clock_at):
    broken = kit.failing(2)
    kit.set_day("2021-03-10")
    job_id = engine.create_batch(people["operator"], "retry", {}, REASON, broken)
    from engine.service.batch import resume_stalled
    assert resume_stalled(120) == []  # just created: a worker may be about to take it
    clock_at("2021-03-01T09:05:00+03:00")
    assert resume_stalled(120) == [job_id]
    assert items(job_id) == {i: ("done", None) for i in broken}
    assert resume_stalled(0) == []


def test_two_runners_of_one_job_on_postgresql_never_act_twice_on_an_instance(app, people):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    broken = kit.failing(30)
    kit.set_day("2021-03-10")
    job_id = engine.create_batch(people["operator"], "retry", {}, REASON, broken)
    db.session.commit()
    results, errors = [], []

    def runner():
        with app.app_context():
            try:
                results.append(engine.run_batch(job_id))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(results) == 2
    assert items(job_id) == {i: ("done", None) for i in broken}
    assert sorted(a.instance_id for a in audits("retry", broken)) == sorted(broken)
    assert len(audits("error", broken)) == 30  # the failures that put them in error, no retry failed


def test_a_job_records_which_instances_it_was_given_once(people):
    ids = kit.failing(2)
    job_id = engine.create_batch(people["operator"], "retry", {}, REASON, ids + ids[::-1])
    assert sorted(items(job_id)) == sorted(ids)
    assert db.session.get(BatchJob, job_id).total == 2


def test_an_instance_changed_at_the_same_moment_is_tried_again_then_refused(people):
    broken = kit.failing(3)
    kit.set_day("2021-03-10")
    job_id = engine.create_batch(people["operator"], "retry", {}, REASON, broken)
    fault(broken[0], ConflictError("changed meanwhile"), times=2)  # twice: the third try goes through
    assert engine.run_batch(job_id) == {"done": 3, "refused": 0, "pending": 0}
    assert sorted(a.instance_id for a in audits("retry", broken)) == sorted(broken)

    ids = kit.running(1)
    job_id = engine.create_batch(people["operator"], "suspend", {}, REASON, ids)
    fault(ids[0], ConflictError("changed meanwhile"), times=5)  # always: refused after three tries
    assert engine.run_batch(job_id) == {"done": 0, "refused": 1, "pending": 0}
    assert items(job_id)[ids[0]] == ("refused", "changed meanwhile") and _Fault.times == 2
    assert kit.statuses(ids) == {ids[0]: "running"}
