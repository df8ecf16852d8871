"""A batch retry run by a real Celery worker (queued by create_batch once the job has committed), the worker killed
with SIGKILL half-way: a second worker, given the job again, acts on the rest, and every instance is retried
exactly once (one audit record each), none twice and none left out."""
import time
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

import engine
from engine import clock
from engine.db import db
from engine.models import AuditEvent, BatchItem, BatchJob
from tests.conftest import load_org
from tests.engine import batch_kit as kit

pytestmark = pytest.mark.worker

INSTANCES = 150


def outcomes(job_id) -> Counter:
    """{outcome: count} of the job's items, read in a transaction of its own (SQLite: none left open)."""
    try:
        return Counter(dict(db.session.execute(select(BatchItem.outcome, func.count())
                                               .where(BatchItem.job_id == job_id).group_by(BatchItem.outcome))
                            .all()))
    finally:
        db.session.rollback()


def under_way(job_id) -> bool:
    """Whether the worker has done 10 items; if so, the items are held (a transaction of this test keeps the lock
    the worker needs to claim the next one, so that it cannot finish before it is killed)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE batch_item IN EXCLUSIVE MODE"))
    # On SQLite every transaction holds the database's write lock from its first statement (engine/db.py).
    done = db.session.scalar(select(func.count()).where(BatchItem.job_id == job_id, BatchItem.outcome == "done"))
    if done < 10:
        db.session.rollback()
    return done >= 10


def job_status(job_id) -> str:
    try:
        return db.session.scalar(select(BatchJob.status).where(BatchJob.id == job_id))
    finally:
        db.session.rollback()


@pytest.mark.timeout(600)
def test_a_batch_cut_off_by_a_killed_worker_is_finished_by_another_acting_on_each_instance_once(celery_run):
    celery = celery_run
    clock.set_mode("manual", datetime.fromisoformat("2021-03-01T09:00:00+03:00"))
    db.session.commit()
    load_org()
    db.session.commit()
    kit.prepare()
    broken = kit.failing(INSTANCES)
    kit.set_day("2021-03-10")
    job_id = engine.create_batch(engine.user_by_login("operator"), "retry", {}, "дата внесена", broken)
    db.session.rollback()

    first = celery.worker(concurrency=None)
    celery.wait_for(lambda: under_way(job_id), "the first worker under way", timeout=120)
    first.stop(warm=False)  # SIGKILL, whatever it is doing (waiting for the next item, here)
    first.reap(time.monotonic() + 30)
    celery.processes.remove(first)  # dead on purpose: waiting goes on with the second worker
    db.session.rollback()  # let go of the items
    cut = outcomes(job_id)
    assert cut[None] > 0, f"the worker finished before it was killed: {cut}"
    assert cut["refused"] == 0

    second = celery.worker(concurrency=None)
    celery.wait_ready(second)
    celery.app.extensions["celery"].send_task("gia.run_batch", args=[job_id])
    celery.wait_for(lambda: outcomes(job_id)["done"] == INSTANCES, "every item done", timeout=240)

    try:
        retried = Counter(db.session.scalars(select(AuditEvent.instance_id).where(
            AuditEvent.action == "retry", AuditEvent.instance_id.in_(broken))).all())
        assert retried == Counter(broken)  # exactly once each
        assert kit.statuses(broken) == {i: "running" for i in broken}
        celery.wait_for(lambda: job_status(job_id) == "done", "the job marked done", timeout=30)
    finally:
        db.session.rollback()
