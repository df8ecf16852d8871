"""A runaway script run by a real Celery worker (a timer fires, the script after it runs away) is held to the same
time and memory limits as in a web request or the CLI: each instance ends in `error` with the limit's message
and its last good state, the worker goes on sweeping, and its peak memory (VmHWM) stays near where it was.

The worker runs as `make run` starts it, the solo pool: tasks run in the worker's own process, which has no
RLIMIT_AS (that is set only in prefork children), so the limits are the sandbox's own."""
from datetime import datetime
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

import engine
from engine import clock
from engine.db import db
from engine.models import ProcessInstance
from tests.conftest import linear
from tests.memory import status_mb

pytestmark = pytest.mark.worker

BEFORE = datetime.fromisoformat("2021-03-15T10:00:00+03:00")
AFTER = datetime.fromisoformat("2021-03-16T10:00:00+03:00")
# One diagram, a runaway of each kind chosen by the start data.
SCRIPT = """if kind == 'memory':
    x = 'x' * 10**9
elif kind == 'loop':
    x = []
    while True:
        x.append('y' * 10**6)
else:
    x = sum([[0]] * 10**6, [])"""
EXPECTED = {"memory": "ScriptMemoryExceeded", "loop": "Script", "time": "ScriptTimeout"}


def diagram() -> bytes:
    return linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition><bpmn:timeDate>'
                  '"2021-03-16T09:00:00+03:00"</bpmn:timeDate></bpmn:timerEventDefinition>'
                  '</bpmn:intermediateCatchEvent>',
                  f'<bpmn:scriptTask id="n2"><bpmn:script>{escape(SCRIPT)}</bpmn:script></bpmn:scriptTask>',
                  '<bpmn:userTask id="n3"/>', process_id="runaway")


def all_failed(ids) -> dict | None:
    """{id: error} once every instance of `ids` is in error (read in a transaction of its own)."""
    try:
        rows = db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))).all()
        return {row.id: row.error for row in rows} if all(row.status == "error" for row in rows) else None
    finally:
        db.session.rollback()


@pytest.mark.timeout(600)
def test_runaway_scripts_in_the_worker_are_stopped_within_the_limits(celery_run, monkeypatch):
    celery = celery_run
    clock.set_mode("manual", BEFORE)
    db.session.commit()
    engine.deploy([("runaway.bpmn", diagram())], actor="designer")
    ids = {kind: engine.start("runaway", {"kind": kind}, actor="designer").instance_id for kind in EXPECTED}
    db.session.commit()

    monkeypatch.setenv("SCRIPT_TIME_LIMIT_SECONDS", "1")
    monkeypatch.setenv("SCRIPT_MEMORY_LIMIT_MB", "128")
    worker = celery.worker(*celery.embedded_beat_args(), concurrency=None)
    celery.wait_ready(worker)
    idle_mb = status_mb("VmRSS", worker.popen.pid)

    clock.advance_to(AFTER)
    db.session.commit()
    errors = celery.wait_for(lambda: all_failed(ids.values()), "three instances stopped in error", timeout=240)

    for kind, instance_id in ids.items():
        assert EXPECTED[kind] in errors[instance_id] and "скрипт" in errors[instance_id], (kind, errors)
        assert engine.detail(instance_id)["data"] == {"kind": kind}  # the last good state: before the timer
        assert engine.list_tasks(instance_id=instance_id) == []
    db.session.rollback()  # no transaction left open while the worker writes (SQLite)
    peak_mb = status_mb("VmHWM", worker.popen.pid)
    assert peak_mb - idle_mb < 3 * 128, f"the worker grew from {idle_mb:.0f} MB to a peak of {peak_mb:.0f} MB"
    assert worker.popen.poll() is None  # still running, and still sweeping:
    swept = len(celery.sweeps())
    celery.wait_for(lambda: len(celery.sweeps()) > swept, "a sweep after the failures")
