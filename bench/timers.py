"""How fast Celery workers drain timers that fall due at once, and that none fires twice.

N instances (default 20,000) of a small diagram wait at a user task whose non-interrupting reminder timer is due;
1 and then 2 real worker processes (`celery -A wsgi.celery worker -Q <timers queue> --pool=solo`) drain them on
PostgreSQL and Redis, sweeps being sent every second as beat would. Each run prints fired/s and checks, per
instance, that the reminder fired once (one `timers` audit event, one reminder notification, the task still open).

The instances are not started one by one through the engine (20,000 starts take minutes): one is started, and
its rows are copied with fresh task UUIDs by SQLAlchemy Core, so that every copy is what a start would have saved.

    .venv/bin/python bench/timers.py                     # 20,000 instances, 1 then 2 workers
    .venv/bin/python bench/timers.py --n 2000 --workers 2
    .venv/bin/python bench/timers.py --profile 2000      # in-process: where one sweep of 2,000 spends its time
Needs PostgreSQL ($DATABASE_URL, else 127.0.0.1:5432/test) and Redis ($CELERY_BROKER_URL, else 127.0.0.1:6379/0).
A schema of its own is created and dropped at the end (--keep leaves it).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime.fromisoformat("2021-03-15T09:00:00+03:00")
DUE = START + timedelta(hours=1)
BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="http://bench">
  <bpmn:process id="bench_reminder" name="Отчёт с напоминанием" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="report" name="Сдать отчёт">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="school_head"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="reminder" name="Напоминание" attachedToRef="report" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDate>remind_at</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="remind" name="Напомнить">
      <bpmn:script>notify('school_head', None, 'Напоминание: сдайте отчёт.', 'reminder')</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="reminded"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="report"/>
    <bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="reminder" targetRef="remind"/>
    <bpmn:sequenceFlow id="f4" sourceRef="remind" targetRef="reminded"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BATCH = 2000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="instances per run (default 20,000)")
    parser.add_argument("--workers", default="1,2", help="worker processes per run, comma-separated")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL") or "postgresql://127.0.0.1:5432/test")
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--profile", type=int, metavar="N", help="instead: profile one in-process sweep of N")
    parser.add_argument("--keep", action="store_true", help="leave the schema in place")
    args = parser.parse_args()
    if not args.pg_url.startswith(("postgresql", "postgres")):
        sys.exit("bench/timers.py needs PostgreSQL (--pg-url or DATABASE_URL)")

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    schema = f"bench_timers_{os.getpid()}"
    url = with_schema(args.pg_url, schema)
    workdir = Path(tempfile.mkdtemp(prefix="gia-bench-timers-"))
    create_schema(args.pg_url, schema)
    try:
        app = make_app(url, workdir, args.broker)
        with app.app_context():
            template = prepare()
            if args.profile:
                profile(template, args.profile)
                return
            for workers in [int(w) for w in args.workers.split(",")]:
                run(app, template, args.n, workers, url, args.broker, workdir)
    finally:
        if not args.keep:
            drop_schema(args.pg_url, schema)


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def create_schema(url, schema):
    import sqlalchemy as sa
    from config import _database_url
    engine = sa.create_engine(_database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()


def drop_schema(url, schema):
    import sqlalchemy as sa
    from config import _database_url
    engine = sa.create_engine(_database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def make_app(url, workdir, broker):
    from config import _database_url
    os.environ["CELERY_BROKER_URL"] = broker  # Celery lets the variable win over the app's configuration
    from webui import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": _database_url(url), "UPLOAD_DIR": workdir / "uploads",
                       "SECRET_KEY": "bench", "GIA_CLOCK": "manual", "CELERY_BROKER_URL": broker,
                       "CELERY_QUEUE": f"gia-bench-{os.getpid()}"})


def prepare() -> tuple:
    """Migrate, deploy, start one instance on the manual clock and move the clock past its reminder."""
    import logging

    from flask_migrate import upgrade

    import engine
    from engine import clock
    from engine.db import db
    logging.disable(logging.INFO)
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)
    clock.set_mode("manual", START)
    db.session.commit()
    engine.deploy([("bench_reminder.bpmn", BPMN)], actor="bench")
    template = snapshot(engine.start("bench_reminder", {"remind_at": DUE.isoformat()}, actor="bench").instance_id)
    clock.advance_to(DUE + timedelta(minutes=1))
    db.session.commit()
    return template


def snapshot(template: int) -> tuple:
    """The template instance's rows (instance, tasks, waits) as a start saved them, before any sweep fires it."""
    import sqlalchemy as sa

    from engine.db import db
    from engine.models import HumanTask, InstanceWait, ProcessInstance
    conn = db.session.connection()
    rows = tuple([dict(r) for r in conn.execute(sa.select(table).where(
        (table.c.id if table is ProcessInstance.__table__ else table.c.instance_id) == template)).mappings()]
        for table in (ProcessInstance.__table__, HumanTask.__table__, InstanceWait.__table__))
    db.session.rollback()
    return rows


def clone(template: tuple, n: int) -> list[int]:
    """n copies of the template's rows, each with its own task UUIDs."""
    import sqlalchemy as sa

    from engine.db import db
    from engine.models import HumanTask, InstanceWait, ProcessInstance
    instances, tasks, waits = ProcessInstance.__table__, HumanTask.__table__, InstanceWait.__table__
    conn = db.session.connection()
    (row,), task_rows, wait_rows = template
    first = conn.execute(sa.select(sa.func.max(instances.c.id))).scalar() + 1
    ids = list(range(first, first + n))
    for start in range(0, n, BATCH):
        new_instances, new_tasks, new_waits = [], [], []
        for instance_id in ids[start:start + BATCH]:
            fresh = {}
            state = UUID_RE.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), row["state"])
            new_instances.append({**row, "id": instance_id, "state": state})
            new_tasks += [{**t, "id": fresh.get(t["id"], str(uuid.uuid4())), "instance_id": instance_id}
                          for t in task_rows]
            new_waits += [{k: v for k, v in w.items() if k != "id"} | {"instance_id": instance_id} for w in wait_rows]
        conn.execute(instances.insert(), new_instances)
        if new_tasks:
            conn.execute(tasks.insert(), new_tasks)
        if new_waits:
            conn.execute(waits.insert(), new_waits)
    conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), "
                         "(SELECT max(id) FROM process_instance))")
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return ids


def due_count(now) -> int:
    from sqlalchemy import func, select

    from engine.db import db
    from engine.models import ProcessInstance
    try:
        return db.session.scalar(select(func.count()).where(ProcessInstance.next_timer_at <= now))
    finally:
        db.session.rollback()


def run(app, template, n, workers, url, broker, workdir):
    from engine import clock
    t0 = time.perf_counter()
    ids = clone(template, n)
    print(f"\n{workers} worker process(es): {n:,} instances copied in {time.perf_counter() - t0:.1f} s")
    now = clock.now()
    celery = app.extensions["celery"]
    queue = timers_queue(app)
    env = dict(os.environ, DATABASE_URL=url, CELERY_BROKER_URL=broker, CELERY_QUEUE=app.config["CELERY_QUEUE"],
               GIA_CLOCK="manual", GIA_VAR_DIR=str(workdir / "var"), UPLOAD_DIR=str(workdir / "uploads"),
               PYTHONUNBUFFERED="1")
    procs = []
    try:
        for k in range(workers):
            log = open(workdir / f"worker{workers}-{k}.log", "wb")
            procs.append((subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "wsgi.celery", "worker", "-Q", queue, "--pool=solo",
                 "--loglevel=INFO", "--without-mingle", "--without-gossip", "-n", f"bench{k}-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True), log))
        wait_ready(workers, workdir, procs)
        idle_cpu = sum(_cpu_seconds(p.pid) for p, _ in procs)
        started = time.perf_counter()
        last_send, sent, left = 0.0, 0, n
        while left:
            # One sweep a second, as beat would with TIMER_SWEEP_SECONDS=1; a sweep that finds a backlog queues
            # another itself, which is how the second worker joins in.
            if time.perf_counter() - last_send >= 1.0:
                celery.send_task("gia.sweep_timers")
                sent += 1
                last_send = time.perf_counter()
            time.sleep(0.2)
            left = due_count(now)
            if any(p.poll() is not None for p, _ in procs):
                sys.exit(f"a worker exited; see {workdir}")
        elapsed = time.perf_counter() - started
        cpu = sum(_cpu_seconds(p.pid) for p, _ in procs) - idle_cpu
    finally:
        for p, log in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p, log in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            log.close()
        purge(app)
    fired, twice, errors = check(ids)
    split = [sum(int(n) for n in re.findall(r"timer sweep at \S+: fired (\d+)", (workdir / f"worker{workers}-{k}.log")
                                            .read_text(errors="replace"))) for k in range(workers)]
    print(f"  drained in {elapsed:.1f} s: {fired / elapsed:,.0f} fired/s ({fired:,} fired; per worker {split}; "
          f"{sent} sweeps sent); worker CPU {cpu * 1000 / max(fired, 1):.1f} ms per timer; "
          f"fired twice: {twice}; failed: {errors}; load average {os.getloadavg()[0]:.2f}")


def _cpu_seconds(pid) -> float:
    """User + system CPU of a process so far (the solo pool works in the worker's main process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timers_queue(app) -> str:
    """The queue the timer sweep is routed to."""
    celery = app.extensions["celery"]
    route = celery.amqp.router.route({}, "gia.sweep_timers")
    return route["queue"].name


def wait_ready(workers, workdir, procs, timeout=120):
    deadline = time.monotonic() + timeout
    while not all(" ready." in (workdir / f"worker{workers}-{k}.log").read_text(errors="replace")
                  for k in range(workers)):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _ in procs):
            sys.exit(f"workers not ready within {timeout} s; see {workdir}")
        time.sleep(0.2)


def purge(app):
    """Delete the run's queues from the broker (the mail nudges no bench worker consumes, sweeps left over)."""
    celery = app.extensions["celery"]
    with celery.connection_for_write() as conn:
        for name in celery.amqp.queues:
            q = celery.amqp.queues[name](conn.default_channel)
            q.declare()
            q.delete()


def check(ids) -> tuple[int, int, int]:
    """(instances whose reminder fired, instances where it fired more than once, instances in error)."""
    from sqlalchemy import select

    from engine.db import db
    from engine.models import AuditEvent, Notification, ProcessInstance
    wanted = set(ids)
    audits = Counter(i for i in db.session.scalars(select(AuditEvent.instance_id).where(
        AuditEvent.action == "timers", AuditEvent.instance_id >= ids[0], AuditEvent.instance_id <= ids[-1])))
    notes = Counter(i for i in db.session.scalars(select(Notification.instance_id).where(
        Notification.kind == "reminder", Notification.instance_id >= ids[0], Notification.instance_id <= ids[-1])))
    errors = db.session.scalar(select(db.func.count()).where(ProcessInstance.status == "error",
                                                             ProcessInstance.id.in_(ids)))
    db.session.rollback()
    fired = sum(1 for i in wanted if audits[i] >= 1 and notes[i] >= 1)
    twice = sum(1 for i in wanted if audits[i] > 1 or notes[i] > 1)
    return fired, twice, errors


def profile(template, n):
    import cProfile
    import pstats

    from sqlalchemy import event

    import engine
    from engine.db import db
    ids = clone(template, n)
    statements = [0]
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    prof = cProfile.Profile()
    cpu, t0 = time.process_time(), time.perf_counter()
    prof.enable()
    tick = engine.advance_timers()
    prof.disable()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu
    print(f"one sweep of {n:,}: fired {len(tick.fired):,} in {elapsed:.1f} s ({len(tick.fired) / elapsed:,.0f}/s), "
          f"CPU {cpu * 1000 / n:.2f} ms and {statements[0] / n:.1f} statements per timer")
    fired, twice, errors = check(ids)
    print(f"fired {fired:,}, twice {twice}, failed {errors}")
    stats = pstats.Stats(prof).sort_stats("cumulative")
    stats.print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
