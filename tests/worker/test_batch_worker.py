"""A batch retry run by a real Celery worker (queued by create_batch once the job has committed), the worker killed
with SIGKILL half-way: a second worker, given the job again, acts on the rest, and every instance is retried
exactly once (one audit record each), none twice and none left out."""
import os
import signal
import sqlite3
import time
from collections import Counter
from contextlib import closing
from datetime import datetime

import pytest
from sqlalchemy import func, select

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


def under_way(job_id, worker) -> bool:
    """Whether the worker has done 10 items; if so, it is frozen (SIGSTOP) where it stands, mid-step as likely as
    not, so that it cannot finish before it is killed. (Holding a lock the worker needs instead loses on SQLite:
    its busy handler lets a worker that writes without pause starve the test's transaction.)"""
    done = _done_without_waiting(job_id)
    if done >= 10:
        os.killpg(worker.popen.pid, signal.SIGSTOP)
    return done >= 10


def _done_without_waiting(job_id) -> int:
    """The job's items done, read without waiting for the worker: the app's SQLite transactions all take the
    write lock (BEGIN IMMEDIATE), so a plain reader of the WAL database is used there."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        try:
            return db.session.scalar(select(func.count()).where(BatchItem.job_id == job_id,
                                                                BatchItem.outcome == "done"))
        finally:
            db.session.rollback()
    with closing(sqlite3.connect(url.database, timeout=30)) as reader:
        return reader.execute("SELECT count(*) FROM batch_item WHERE job_id = ? AND outcome = 'done'",
                              (job_id,)).fetchone()[0]


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
    celery.wait_for(lambda: under_way(job_id, first), "the first worker under way", timeout=120)
    first.stop(warm=False)  # SIGKILL, whatever it was doing when it was frozen
    first.reap(time.monotonic() + 30)
    celery.processes.remove(first)  # dead on purpose: waiting goes on with the second worker
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
