"""Real Celery processes for worker tests: started with subprocess against a test database and a broker, their
logs read to follow the sweeps, always stopped (the whole process group) when the test ends, their logs attached
to the report of a failed test."""
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest

from config import BASE_DIR
from tests.conftest import PRIMARY, make_app

STOP_GRACE_SECONDS = 10
# The worker logs every task it finishes: "Task gia.sweep_timers[<id>] succeeded in 0.01s: {'fired': 2, ...}".
SWEEP_DONE = re.compile(r"Task gia\.sweep_timers\[(?P<id>[0-9a-f-]+)\] succeeded in [0-9.e-]+s: "
                        r"\{'fired': (?P<fired>\d+), 'failed': (?P<failed>\d+)\}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for proc in getattr(item, "celery_processes", []):
            report.sections.append((f"celery {proc.name} log ({proc.log_path})", proc.log()))
    return report


class CeleryProcess:
    """One `celery -A wsgi.celery ...` process in its own process group, its output in a log file."""

    def __init__(self, name, args, env, log_path):
        self.name, self.log_path = name, log_path
        self._log_file = open(log_path, "wb")
        self.popen = subprocess.Popen([sys.executable, "-m", "celery", "-A", "wsgi.celery", *args], cwd=BASE_DIR,
                                      env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, warm: bool):
        """Warm shutdown (SIGTERM to the main process: a running sweep finishes, reserved messages go back to
        the broker) or none at all."""
        if warm:
            self.popen.send_signal(signal.SIGTERM)
        else:
            self._signal(signal.SIGKILL)

    def reap(self, deadline):
        try:
            self.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        self._signal(signal.SIGKILL)  # whatever is left of the group (pool children, embedded beat)
        self.popen.wait()
        self._log_file.close()

    def _signal(self, sig):
        try:
            os.killpg(self.popen.pid, sig)  # start_new_session: the group id is the leader's pid
        except ProcessLookupError:
            pass


class CeleryRun:
    """Worker(s) and beat for one test, all sharing one database, one broker and a queue of their own."""

    def __init__(self, item, tmp_path, database_url, broker_url):
        self.item, self.tmp_path = item, tmp_path
        self.database_url, self.broker_url = database_url, broker_url
        self.queue = f"gia-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.processes: list[CeleryProcess] = []
        item.celery_processes = self.processes
        self.app = make_app(database_url, tmp_path, CELERY_BROKER_URL=broker_url, CELERY_QUEUE=self.queue)

    def env(self):
        env = dict(os.environ)
        env.pop("CELERY_RESULT_BACKEND", None)
        env.update({
            "DATABASE_URL": self.database_url, "CELERY_BROKER_URL": self.broker_url, "CELERY_QUEUE": self.queue,
            "TIMER_SWEEP_SECONDS": "1", "GIA_CLOCK": "manual", "GIA_VAR_DIR": str(self.tmp_path / "var"),
            "UPLOAD_DIR": str(self.tmp_path / "uploads"), "PYTHONUNBUFFERED": "1",
        })
        return env

    def worker(self, *extra, concurrency=2):
        """A worker at INFO (it logs each task it finishes); `concurrency=None` for the solo pool."""
        name = f"worker{len(self.processes) + 1}"
        pool = ["--pool=solo"] if concurrency is None else [f"--concurrency={concurrency}"]
        return self._start(name, ["worker", "--loglevel=INFO", *pool, "--without-mingle", "--without-gossip",
                                  "-n", f"{self.queue}-{name}@%h", *extra])

    def beat(self):
        return self._start("beat", ["beat", "--loglevel=INFO", "-s", str(self.tmp_path / "celerybeat-schedule")])

    def embedded_beat_args(self):
        return ["-B", "-s", str(self.tmp_path / "celerybeat-schedule")]

    def _start(self, name, args):
        proc = CeleryProcess(name, args, self.env(), self.tmp_path / f"{name}.log")
        self.processes.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.log() for p in self.processes)

    def sweeps(self) -> list[dict]:
        """The sweeps the workers have finished so far, in log order."""
        return [{"id": m["id"], "fired": int(m["fired"]), "failed": int(m["failed"])}
                for m in SWEEP_DONE.finditer(self.logs())]

    def wait_for(self, condition, what, timeout=60.0):
        """Poll `condition` until it returns something truthy; fail with the logs if `timeout` passes first or a
        process dies."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            dead = [p.name for p in self.processes if p.popen.poll() is not None]
            if dead:
                pytest.fail(f"celery {', '.join(dead)} exited while waiting for {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout:.0f} s")
            time.sleep(0.1)

    def wait_ready(self, proc):
        self.wait_for(lambda: " ready." in proc.log(), f"{proc.name} ready")

    def send_sweep(self):
        return self.app.extensions["celery"].send_task("gia.sweep_timers").id

    def close(self):
        # On a broker of its own (an SQLite file in tmp_path) nothing outlives the test: kill at once. On a shared
        # one (Redis in CI) shut down warm, so that no message stays reserved by a dead worker, then drop the queue.
        shared = not self.broker_url.startswith("sqla+")
        for proc in reversed(self.processes):  # beat first, so that nothing new is queued
            proc.stop(warm=shared)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in self.processes:
            proc.reap(deadline)
        celery = self.app.extensions["celery"]
        if shared:
            with celery.connection_for_write() as conn:
                for name in celery.amqp.queues:  # the run's queues: one per kind of work (engine/jobs.py)
                    queue = celery.amqp.queues[name](conn.default_channel)
                    queue.declare()  # makes this channel know the queue's bindings, which delete() removes
                    queue.delete()
        from engine.db import db
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


# "production": the primary test database (PostgreSQL in CI) and CELERY_BROKER_URL (Redis in CI), when either is
# given; "embedded": what `make run` uses, SQLite and kombu's SQLAlchemy transport on an SQLite file.
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
MODES = (["production"] if PRIMARY != "sqlite" or BROKER_URL else []) + ["embedded"]


@pytest.fixture(params=MODES)
def celery_run(request, backends, tmp_path, monkeypatch):
    mode = request.param
    kind = PRIMARY if mode == "production" else "sqlite"
    database_url = backends(kind).fresh(tmp_path)
    sqla_broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    broker_url = BROKER_URL if mode == "production" and BROKER_URL else sqla_broker
    # Celery lets the CELERY_BROKER_URL variable win over the app's configuration: the test's own app must see
    # the broker the workers use.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    run = CeleryRun(request.node, tmp_path, database_url, broker_url)
    run.mode, run.backend = mode, kind
    try:
        with run.app.app_context():
            yield run
    finally:
        run.close()
