"""Batch repair (issue 13 §4): an operator's action on the instances a filter found, previewed, confirmed with a
reason, and run by a worker one instance per transaction, with a report of what each came to.

How a job survives its worker: each item is claimed in the transaction that acts on its instance (PostgreSQL:
FOR UPDATE SKIP LOCKED, so that workers sharing a job take different items; SQLite: one writer at a time) and
marked `done` by the step's own save (engine.events.on_step_saved), so the action and its mark commit together or
not at all. A worker killed half-way leaves exactly the items it had not committed; running the job again (the
Celery task, or beat's sweep of stalled jobs) acts on each of them once. A refusal (an instance no longer in the
state the action needs, a retry that fails again) changes nothing, and is marked in the next transaction.

Where a job runs (config GIA_BATCH_RUN): "worker" (default) queues the Celery task gia.run_batch once the job has
committed; "inline" runs it in the same process after the commit (tests, a machine without a worker); "none"
leaves it to beat's sweep or to a direct run_batch call.
"""
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from .. import clock, events, store
from ..access.denials import refuse
from ..access.rules import may_repair
from ..db import db, is_postgres
from ..errors import ConflictError, EngineError, NotFound
from ..models import BatchItem, BatchJob, ProcessInstance, Unit
from ..models.instance import InstanceStatus
from . import batch_actions

log = logging.getLogger(__name__)

BATCH_ACTIONS = tuple(batch_actions.ACTIONS)
SAMPLE = 20
# Instances a preview checks one by one: migrate's check restores and moves each in memory, 2–8 ms (bench/
# migration.py), so that a preview of a city's instances answers within seconds; the run checks every one.
CHECKED = 500
_CHUNK = 500  # ids per IN (...) list
CONFLICT_TRIES = 3


@dataclass
class Row:
    """One instance as the preview and the report show it."""
    instance_id: int
    process: str | None
    unit: str | None
    status: str
    outcome: str | None = None
    message: str | None = None
    at: datetime | None = None
    can: bool | None = None  # the preview's verdict, for an action that checks each instance (None: it does not)


@dataclass
class BatchPreview:
    action: str
    title: str
    params: dict
    instance_ids: list[int]
    total: int
    sample: list[Row]
    refused: list[tuple[str, int]]  # (why, how many) expected to be refused: by status, then by the check
    checked: int | None = None  # how many were checked one by one (the action's check); None: from status alone
    checkable: int | None = None  # how many are in a status the action allows (the ones its check could check)

    @property
    def expected(self) -> int:
        return self.total - sum(n for _why, n in self.refused)


@dataclass
class BatchReport:
    job: BatchJob
    title: str
    counts: dict  # done, refused, pending
    refused: list[Row]  # this page of the refused items, with their messages
    page: int
    pages: int

    @property
    def finished(self) -> bool:
        return self.job.status == "done"


def _guard(user, what: str) -> None:
    if not may_repair(user):
        refuse(user, what, message=_l("Only an operator or an administrator may run batch actions."))


def preview_batch(user, action: str, instance_ids, params: dict | None = None) -> BatchPreview:
    """What `action` would do to `instance_ids`: how many exist, the first SAMPLE of them, and how many are
    expected to be refused and why: from their status alone, and for an action with a `check` (migrate) from the
    check of each of the first CHECKED instances in an allowed status, each sample row with its verdict. The run
    decides."""
    _guard(user, "batch preview")
    spec = batch_actions.action(action)
    params = batch_actions.checked_params(spec.name, params) if spec.check else dict(params or {})
    ids = _existing(instance_ids)
    by_status: dict[str, int] = {}
    for chunk in _chunks(ids):
        for status, count in db.session.execute(select(ProcessInstance.status, func.count()).where(
                ProcessInstance.id.in_(chunk)).group_by(ProcessInstance.status)):
            by_status[status] = by_status.get(status, 0) + count
    not_allowed = sum(n for status, n in by_status.items() if status not in spec.allowed)
    refused = [(str(spec.why_not), not_allowed)] if not_allowed else []
    sample = _rows(ids[:SAMPLE])
    if spec.check is None:
        return BatchPreview(action, str(spec.title), params, ids, len(ids), sample, refused)
    verdicts, checkable = _verdicts(spec, params, ids)
    reasons: dict[str, int] = {}
    for why in verdicts.values():
        if why is not None:
            reasons[why] = reasons.get(why, 0) + 1
    for row in sample:
        if row.instance_id in verdicts:
            row.message = verdicts[row.instance_id]
            row.can = row.message is None
        elif row.status not in spec.allowed:
            row.message, row.can = str(spec.why_not), False
    refused += sorted(reasons.items(), key=lambda kv: -kv[1])
    return BatchPreview(action, str(spec.title), params, ids, len(ids), sample, refused, len(verdicts), checkable)


def _verdicts(spec, params: dict, ids: list[int]) -> tuple[dict[int, str | None], int]:
    """({instance id: why the action would refuse it, or None} for the first CHECKED of `ids` whose status allows
    the action (the sample's among them, being the first), how many have such a status): reads only."""
    allowed: list[int] = []
    for chunk in _chunks(ids):
        allowed += db.session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.id.in_(chunk), ProcessInstance.status.in_(spec.allowed))).all()
    return {i: spec.check(i, params) for i in sorted(allowed)[:CHECKED]}, len(allowed)


def create_batch(user, action: str, params: dict | None, reason: str, instance_ids, query: dict | None = None) -> int:
    """Record the job and one item per existing instance in one transaction, then have it run (GIA_BATCH_RUN).
    Refused (PermissionDenied, audited) unless `user` may repair; EngineError for an unknown action, a reason
    shorter than 3 characters, wrong parameters or no instances. `query`: the list's filter that found them."""
    _guard(user, "batch create")
    spec = batch_actions.action(action)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise EngineError(_l("Give a reason of at least 3 characters."))
    checked = batch_actions.checked_params(spec.name, params)
    ids = _existing(instance_ids)
    if not ids:
        raise EngineError(_l("No instances to act on."))
    with store.transaction() as session:
        job = BatchJob(action=spec.name, params=checked, query=dict(query or {}), reason=reason,
                       created_by=user.login, created_at=clock.now(), status="pending", total=len(ids))
        session.add(job)
        session.flush()
        job_id = job.id
        session.execute(insert(BatchItem), [{"job_id": job_id, "instance_id": i} for i in ids])
        store.after_commit(lambda: _dispatch(job_id))
    return job_id


def _dispatch(job_id: int) -> None:
    mode = current_app.config.get("GIA_BATCH_RUN", "worker")
    if mode == "inline":
        run_batch(job_id)
    elif mode == "worker":
        try:
            celery = current_app.extensions["celery"]
            with celery.producer_or_acquire() as producer:
                # One quick try: the operator is waiting; beat's sweep runs a job nobody took.
                producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
                celery.send_task("gia.run_batch", args=[job_id], producer=producer, retry=False)
        except Exception as exc:  # noqa: BLE001 - the job is committed; the sweep of stalled jobs runs it
            log.warning("could not queue gia.run_batch for job %s (the sweep will run it): %s", job_id, exc)


# --- running -------------------------------------------------------------------------------------------------------

@dataclass
class _Acting:
    item_id: int
    instance_id: int
    marked: bool = False


_acting: ContextVar[_Acting | None] = ContextVar("gia_batch_acting", default=None)


@events.on_step_saved
def _mark_done_with_the_step(event) -> None:
    """The item of the instance being acted on is marked done by the step that saves the instance, in its
    transaction (a cancel saves the instances its messages started first: they are not this item)."""
    acting = _acting.get()
    if acting is not None and not acting.marked and event.instance.id == acting.instance_id:
        acting.marked = _mark(acting.item_id, "done", None)


def run_batch(job_id: int, limit: int | None = None) -> dict:
    """Act on the job's items not yet done, in id order, each in its own transaction; `limit`: at most that many
    (then return, the rest pending). Safe to run on several workers at once. Returns the job's counts."""
    with store.transaction() as session:
        job = session.get(BatchJob, job_id)
        if job is None:
            raise NotFound(_l("Batch job %(id)s not found."), id=job_id)
        if job.status != "done":
            session.execute(update(BatchJob).where(BatchJob.id == job_id).values(
                status="running", started_at=func.coalesce(BatchJob.started_at, clock.now())))
        session.expunge(job)  # read-only from here: its action, params, reason and author
    spec = batch_actions.action(job.action)
    acted, conflicts = 0, {}
    while limit is None or acted < limit:
        if not _next_item(job, spec, conflicts):
            break
        acted += 1
    with store.transaction() as session:
        if not _pending(job_id):
            session.execute(update(BatchJob).where(BatchJob.id == job_id, BatchJob.status != "done")
                            .values(status="done", finished_at=clock.now()))
    return _counts(job_id)


def _next_item(job: BatchJob, spec, conflicts: dict) -> bool:
    """Claim the next item and act on it; False when none is left to claim. An act that met a concurrent change
    of its instance (ConflictError) leaves the item to do, and is tried again up to CONFLICT_TRIES times."""
    failure = None
    with store.transaction() as session:
        query = (select(BatchItem.id, BatchItem.instance_id).where(
            BatchItem.job_id == job.id, BatchItem.outcome.is_(None)).order_by(BatchItem.id).limit(1))
        if is_postgres():
            query = query.with_for_update(skip_locked=True)
        claimed = session.execute(query).first()
        if claimed is None:
            return False
        item_id, instance_id = claimed
        status = session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id))
        if status not in spec.allowed:  # refused from the status column, as the verb would: nothing to undo
            _mark(item_id, "refused", str(spec.refusal) % {"id": instance_id, "status": InstanceStatus.word(status)})
            return True
        acting = _Acting(item_id, instance_id)
        token = _acting.set(acting)
        try:
            note = spec.act(instance_id, job)
            if not acting.marked:  # an act that saves no step (reassign): marked in its transaction
                acting.marked = _mark(item_id, "done", note)
            elif note:
                session.execute(update(BatchItem).where(BatchItem.id == item_id).values(message=note))
        except ConflictError as exc:  # rolled back; the claim below finds the item again
            conflicts[item_id] = conflicts.get(item_id, 0) + 1
            if conflicts[item_id] < CONFLICT_TRIES:
                return True
            failure = exc.message
        except EngineError as exc:  # the act's transaction is rolled back: nothing was done
            failure = exc.message
        except Exception as exc:  # noqa: BLE001 - a fault of ours must not stop the job at this item for ever
            log.exception("batch job %s: instance %s", job.id, instance_id)
            failure = str(_l("Unexpected error: %(error)s", error=f"{type(exc).__name__}: {exc}"))
        finally:
            _acting.reset(token)
    if failure is not None:
        with store.transaction():
            _mark(item_id, "refused", failure)
    return True


def _mark(item_id: int, outcome: str, message: str | None) -> bool:
    """Mark the item, if no one has yet (another worker, a previous run): whether this call marked it."""
    written = db.session.execute(update(BatchItem).where(BatchItem.id == item_id, BatchItem.outcome.is_(None))
                                 .values(outcome=outcome, message=message, at=clock.now())).rowcount
    return written == 1


def resume_stalled(stale_seconds: float) -> list[int]:
    """Run the jobs nobody is working on: pending or running, with no item marked for `stale_seconds` (a worker
    killed, or a broker that could not be reached when the job was created). Beat's sweep calls it. Time is the
    engine clock's, as everywhere: with a manual clock (the demo) a job counts as stalled once the clock has been
    moved past the threshold. Running a job that is not stalled after all is safe, only slower."""
    since = clock.now() - timedelta(seconds=stale_seconds)
    last = (select(func.max(BatchItem.at)).where(BatchItem.job_id == BatchJob.id).scalar_subquery())
    stalled = db.session.scalars(select(BatchJob.id).where(
        BatchJob.status != "done", func.coalesce(last, BatchJob.started_at, BatchJob.created_at) < since)
        .order_by(BatchJob.id)).all()
    db.session.rollback()  # read only: end the transaction before each job's own
    for job_id in stalled:
        run_batch(job_id)
    return list(stalled)


# --- reading -------------------------------------------------------------------------------------------------------

def batch_report(job_id: int, user, page: int = 1, per_page: int = 50) -> BatchReport:
    """The job with its counts and a page of its refused items (with their messages). Only for those who may
    repair, and the job's author."""
    job = db.session.get(BatchJob, job_id)
    if not may_repair(user) and (job is None or job.created_by != user.login):
        refuse(user, "batch report", message=_l("Only an operator or an administrator may run batch actions."))
    if job is None:
        raise NotFound(_l("Batch job %(id)s not found."), id=job_id)
    counts = _counts(job_id)
    pages = max(1, -(-counts["refused"] // per_page))
    page = min(max(1, page), pages)
    refused = _item_rows(job_id, BatchItem.outcome == "refused", (page - 1) * per_page, per_page)
    return BatchReport(job, action_title(job.action), counts, refused, page, pages)


def batch_rows(job_id: int, user) -> list[Row]:
    """Every item of the job with what it came to (the report's export)."""
    batch_report(job_id, user, per_page=1)  # the same refusal
    return _item_rows(job_id, None, 0, None)


def recent_batches(user, limit: int = 50) -> list[tuple[BatchJob, dict]]:
    """The latest jobs, newest first, each with its counts."""
    _guard(user, "batch list")
    jobs = db.session.scalars(select(BatchJob).order_by(BatchJob.id.desc()).limit(limit)).all()
    counts = {job.id: {"done": 0, "refused": 0, "pending": 0} for job in jobs}
    if jobs:
        for job_id, outcome, n in db.session.execute(
                select(BatchItem.job_id, BatchItem.outcome, func.count()).where(BatchItem.job_id.in_(counts))
                .group_by(BatchItem.job_id, BatchItem.outcome)):
            counts[job_id][outcome or "pending"] = n
    return [(job, counts[job.id]) for job in jobs]


def action_title(name: str) -> str:
    spec = batch_actions.ACTIONS.get(name)
    return str(spec.title) if spec else name


def _counts(job_id: int) -> dict:
    counts = {"done": 0, "refused": 0, "pending": 0}
    for outcome, n in db.session.execute(select(BatchItem.outcome, func.count()).where(
            BatchItem.job_id == job_id).group_by(BatchItem.outcome)):
        counts[outcome or "pending"] = n
    return counts


def _pending(job_id: int) -> int:
    return db.session.scalar(select(func.count()).where(BatchItem.job_id == job_id, BatchItem.outcome.is_(None)))


def _existing(instance_ids) -> list[int]:
    """The ids that name an instance, once each, in order."""
    wanted = sorted({int(i) for i in instance_ids or []})
    found: list[int] = []
    for chunk in _chunks(wanted):
        found += db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.id.in_(chunk))).all()
    return sorted(found)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _rows(ids: list[int]) -> list[Row]:
    if not ids:
        return []
    query = (select(ProcessInstance.id, ProcessInstance.process_name, ProcessInstance.process_id, Unit.name,
                    ProcessInstance.unit_code, ProcessInstance.status)
             .outerjoin(Unit, Unit.code == ProcessInstance.unit_code).where(ProcessInstance.id.in_(ids))
             .order_by(ProcessInstance.id))
    return [Row(i, name or pid, unit or code, status) for i, name, pid, unit, code, status in db.session.execute(query)]


def _item_rows(job_id: int, criterion, offset: int, limit: int | None) -> list[Row]:
    query = (select(BatchItem.instance_id, ProcessInstance.process_name, ProcessInstance.process_id, Unit.name,
                    ProcessInstance.unit_code, ProcessInstance.status, BatchItem.outcome, BatchItem.message,
                    BatchItem.at)
             .join(ProcessInstance, ProcessInstance.id == BatchItem.instance_id)
             .outerjoin(Unit, Unit.code == ProcessInstance.unit_code)
             .where(BatchItem.job_id == job_id, *([criterion] if criterion is not None else []))
             .order_by(BatchItem.id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [Row(i, name or pid, unit or code, status, outcome, message, at)
            for i, name, pid, unit, code, status, outcome, message, at in db.session.execute(query)]
