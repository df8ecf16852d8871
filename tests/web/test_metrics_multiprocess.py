"""/metrics with PROMETHEUS_MULTIPROC_DIR (issue 16 §5, as `make run` and the systemd units start the app): the
counters are the sum of every process that writes to the folder, not the share of the gunicorn worker that
happens to answer the scrape, and the Celery worker's engine calls are in them.

Real processes: a recorder script run twice as processes of its own (what a Celery worker's sweep does through
engine.ops.calls), and a real gunicorn with two workers whose access log names the worker that answered."""
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import BASE_DIR
from tests.web.test_metrics import _scrape, _value

# What a Celery worker's timer sweep does (engine/jobs.py): a verb timed through engine.ops.calls, here ok `ok`
# times and refused `refused` times.
RECORDER = """
import sys
from engine.errors import EngineError
from engine.ops.calls import timed

@timed("advance_timers")
def sweep(refuse):
    if refuse:
        raise EngineError("refused")

ok, refused = map(int, sys.argv[1:3])
for refuse in [False] * ok + [True] * refused:
    try:
        sweep(refuse)
    except EngineError:
        pass
"""


def _env(folder, **extra) -> dict:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), **extra}
    env.pop("prometheus_multiproc_dir", None)
    return env


def test_metrics_add_the_engine_calls_of_every_process_writing_to_the_folder(site, primary_app, tmp_path,
                                                                             monkeypatch):
    folder = tmp_path / "metrics"
    folder.mkdir()
    for ok, refused in ((2, 0), (3, 1)):
        subprocess.run([sys.executable, "-c", RECORDER, str(ok), str(refused)], cwd=BASE_DIR, env=_env(folder),
                       check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))  # what the app's process was started with

    samples = _scrape(primary_app.test_client())

    sweeps = {"verb": "advance_timers", "outcome": "ok"}
    assert _value(samples, "gia_engine_calls_total", **sweeps) == 5
    assert _value(samples, "gia_engine_calls_total", verb="advance_timers", outcome="refused") == 1
    assert _value(samples, "gia_engine_call_duration_seconds_bucket", le="+Inf", **sweeps) == 5
    assert _value(samples, "gia_engine_call_duration_seconds_count", **sweeps) == 5
    # The database's gauges are still read at the scrape, once.
    assert ("gia_instances", (("status", "running"),)) in samples
    assert _value(samples, "gia_timers_due") == 0
    # The operators' page counts the same calls as /metrics, not those of the web process that serves it.
    page = site("operator").get("/ops/").get_data(as_text=True)
    calls = re.findall(r"<tr><td><code>(\w+)</code></td><td>(\w+)</td><td>(\d+)</td>", page)
    assert ("advance_timers", "ok", "5") in calls and ("advance_timers", "refused", "1") in calls


class Gunicorn:
    """`gunicorn --workers 2` as the Procfile starts it (gunicorn.conf.py's hooks included), on a free port, with
    an access log of the answering worker's pid and the path."""

    def __init__(self, tmp_path, database_url):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder, self.log = tmp_path / "metrics", tmp_path / "access.log"
        self.folder.mkdir()
        env = _env(self.folder, DATABASE_URL=database_url, GIA_VAR_DIR=str(tmp_path),
                   UPLOAD_DIR=str(tmp_path / "uploads"), SECRET_KEY="test", PYTHONUNBUFFERED="1")
        self.output = open(tmp_path / "gunicorn.out", "wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             "--access-logfile", str(self.log), "--access-logformat", "%(p)s %(U)s", "wsgi:app"],
            cwd=BASE_DIR, env=env, stdout=self.output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def get(self, path) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return response.read()

    def answered_by(self, path) -> set[str]:
        """The pids of the workers that answered `path` so far."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return {match[1] for match in map(re.compile(r"<?(\d+)>? (\S+)$").match, lines)
                if match and match[2] == path}

    def wait(self, condition, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline or self.popen.poll() is not None:
                self.output.flush()
                pytest.fail(f"{what}; gunicorn said:\n{open(self.output.name, errors='replace').read()[-3000:]}")
            time.sleep(0.1)

    def up(self) -> bool:
        try:
            return self.get("/healthz") is not None
        except OSError:
            return False

    def stop(self):
        self.popen.terminate()
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self.output.close()


def test_the_requests_counter_is_the_sum_of_both_gunicorn_workers_whichever_answers(primary_app, tmp_path):
    server = Gunicorn(tmp_path, str(primary_app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        server.wait(server.up, "gunicorn did not answer /healthz")
        sent = 1  # the /healthz that found it up
        with ThreadPoolExecutor(8) as pool:  # concurrent requests: both workers answer some of them
            while len(server.answered_by("/healthz")) < 2:
                sent += len(list(pool.map(lambda _: server.get("/healthz"), range(16))))
                server.wait(lambda: sum(1 for _ in open(server.log)) >= sent, "the access log lags")
                assert sent < 2000, "one worker answered every request"
        healthz = {"route": "/healthz", "method": "GET", "status": "200"}
        scrapes = 0
        while len(server.answered_by("/metrics")) < 2:  # until each worker has answered a scrape
            body = server.get("/metrics").decode()
            scrapes += 1
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for family in text_string_to_metric_families(body) for s in family.samples}
            assert _value(samples, "gia_http_requests_total", **healthz) == sent
            assert _value(samples, "gia_http_request_duration_seconds_count", route="/healthz", method="GET") == sent
            assert "gia_instances" in body
            assert scrapes < 200, "one worker answered every scrape"
    finally:
        server.stop()


def test_gunicorn_starting_removes_the_files_of_ended_processes_only(tmp_path, monkeypatch):
    """On a systemd machine the Celery workers beside gunicorn write to the same folder: gunicorn's start resets
    the counters of ended processes and keeps those of the running ones."""
    hooks = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True).stdout.strip()
    running = str(os.getpid())
    for name in (f"counter_{ended}.db", f"histogram_{ended}.db", f"counter_{running}.db"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    hooks["on_starting"](None)
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"counter_{running}.db"]
