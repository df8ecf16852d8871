"""The processes of `make run` (web, worker, beat), started by `make serve` exactly as `make run` ends, on a
temporary SQLite database and broker (the embedded default of `make run`): Ctrl-C stops every one of them
without noise, and a worker killed with -9 leaves no beat behind to queue duplicate sweeps.

The processes of a run are found by a marker in their environment (GIA_VAR_DIR, a directory of this test), so
that a process orphaned by its parent is found too. Waits are polls with a deadline, never a fixed sleep.
"""
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from config import BASE_DIR

pytestmark = pytest.mark.worker

START_SECONDS = 90   # a busy 2-core machine imports the app in four processes at once
STOP_SECONDS = 30
NOISE = ("Segmentation fault", "was sent SIG", "Traceback")


class Run:
    """`make serve` in a session of its own, as a terminal's foreground job: Ctrl-C there signals its process
    group, which is what `interrupt` does."""

    def __init__(self, tmp_path, database_url):
        self.var = tmp_path / "var"
        self.var.mkdir()
        self.port = _free_port()
        self.log_path = tmp_path / "run.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
        env.update({"DATABASE_URL": database_url, "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
                    "GIA_VAR_DIR": str(self.var), "UPLOAD_DIR": str(tmp_path / "uploads"), "GIA_CLOCK": "manual",
                    "SECRET_KEY": "test"})
        env.pop("CELERY_QUEUE", None)
        self.marker = f"\0GIA_VAR_DIR={self.var}\0".encode()
        with open(self.log_path, "wb") as log:
            self.make = subprocess.Popen(
                ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={self.port}"], cwd=BASE_DIR,
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=_as_a_terminal_job)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def processes(self) -> dict[int, "Proc"]:
        """Every live process of this run, whoever its parent is now."""
        found = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                proc = Proc.read(int(entry.name))
                if proc is not None and self.marker in proc.environ:
                    found[proc.pid] = proc
        return found

    def celery(self, role: str) -> list["Proc"]:
        """The run's celery processes of `role`: "worker" (a main process) or "beat" (a beat of its own, or one
        embedded in a worker, which is that worker's child until the worker dies)."""
        procs = self.processes()
        celery = {pid: p for pid, p in procs.items() if p.is_celery()}
        if role == "beat":
            return [p for p in celery.values() if "beat" in p.argv or p.ppid in celery]
        return [p for p in celery.values() if "worker" in p.argv and p.ppid not in celery]

    def serving(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def wait_for(self, condition, what, timeout):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what} not within {timeout} s; output:\n{self.output()[-4000:]}")
            time.sleep(0.2)

    def wait_started(self):
        self.wait_for(lambda: self.serving() and self.celery("worker") and self.celery("beat"),
                      "web, worker and beat up", START_SECONDS)

    def interrupt(self):
        os.killpg(self.make.pid, signal.SIGINT)

    def kill_all(self):
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.make.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass


class Proc:
    """A live process as /proc shows it: its parent, command line and environment at its start."""

    def __init__(self, pid, ppid, argv, environ):
        self.pid, self.ppid, self.argv, self.environ = pid, ppid, argv, environ

    @classmethod
    def read(cls, pid):
        base = Path("/proc") / str(pid)
        try:
            stat = (base / "stat").read_text()
            environ = b"\0" + (base / "environ").read_bytes()
            argv = (base / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return None
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] == "Z":
            return None  # a zombie has ended; its parent has not reaped it yet
        return cls(pid, int(fields[1]), argv, environ)

    def is_celery(self) -> bool:
        """`python …/celery …` (the recipe's shell, whose command line names celery too, is not)."""
        return bool(self.argv) and Path(self.argv[0]).name.startswith("python") and any(
            Path(a).name == "celery" for a in self.argv[1:3])

    def __repr__(self):
        return f"{self.pid} (parent {self.ppid}): {' '.join(self.argv)[:160]}"


def _as_a_terminal_job():
    """Ctrl-C acts on a terminal's foreground job; a job started in the background of a script (as pytest may
    be) would inherit SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def run(backends, tmp_path):
    started = Run(tmp_path, backends("sqlite").fresh(tmp_path))
    try:
        yield started
    finally:
        started.kill_all()


def test_ctrl_c_stops_every_process_without_noise(run):
    run.wait_started()

    run.interrupt()

    run.wait_for(lambda: run.make.poll() is not None, "make's end after Ctrl-C", STOP_SECONDS)
    run.wait_for(lambda: not run.processes(), "the end of every process of the run", STOP_SECONDS)
    output = run.output()
    assert not [n for n in NOISE if n in output], output[-4000:]


def test_a_worker_killed_with_9_leaves_no_beat_behind(run):
    run.wait_started()
    [worker] = run.celery("worker")
    [beat] = run.celery("beat")

    os.kill(worker.pid, signal.SIGKILL)

    # Beat goes with its worker, and with them the whole run (the supervisor stops the others): nothing is left
    # that could queue sweeps for no worker, and a new `make run` starts the only beat.
    run.wait_for(lambda: beat.pid not in run.processes(), "beat's end after its worker was killed", STOP_SECONDS)
    run.wait_for(lambda: run.make.poll() is not None, "make's end after the worker was killed", STOP_SECONDS)
    assert not run.processes()
