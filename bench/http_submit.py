"""Server CPU per task submit and per start over HTTP (issue 12 §4 and §6), read from /proc for gunicorn's processes.

For each database (a fresh SQLite file; PostgreSQL when reachable), each size (instances of scenario A1 that exist
before the row: 10 and 1,000), `gunicorn -w 1` and `-w 2` (sync workers, the deployment's shape) and 1 and 4 client
threads, it:
  1. starts N instances of processes/ppe_tech_check.bpmn through the REST API
     (POST /api/v1/processes/ppe_tech_check/instances, as the department's specialist `iao`, token auth): the
     "create+run" figure, the start form checked, the instance created and run to its first task;
  2. submits the first task (`checklist`, no faults) of each of them through the REST API
     (POST /api/v1/tasks/<id>/complete, as the PPE's technician `tech17`), and checks that each answer is 200 with
     `accept` as the next task: the "submit" figure.
It prints, per phase, the server's CPU ms per operation (utime + stime of the gunicorn master and its workers, read
from /proc/<pid>/stat before and after the phase; the client's own CPU is not in it), operations/s and the
median latency. The instances a row created are deleted after it, so every row starts at its size.

    .venv/bin/python bench/http_submit.py                      # ~3 min on an idle 2-core machine
    .venv/bin/python bench/http_submit.py --n 50 --sizes 10 --no-postgres
    .venv/bin/python bench/http_submit.py --pg-url postgresql://127.0.0.1:5432/test

The client threads share the machine's two CPUs with the server: ops/s is what this machine gives with both on it,
and the CPU ms per operation is the figure least affected by that (and by other load: the script prints the load
average at the start and at the end).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_cycle import (PPE, PROCESS_FILE, PROCESS_ID, aligned, checklist, make_app,  # noqa: E402
                          migrate_and_load, pg_base_url, pg_reachable, start_data)

STARTER, SUBMITTER = "iao", "tech17"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="starts and submits measured per row (default 100)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000], help="instances before each row")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4], help="client threads")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg-url", help="PostgreSQL URL (default: $DATABASE_URL, else 127.0.0.1:5432/test)")
    args = parser.parse_args(argv)
    print(f"HTTP submit and create+run — {PROCESS_FILE.relative_to(ROOT)}; load average {_load()} at start "
          f"({os.cpu_count()} CPUs)")
    workdir = Path(tempfile.mkdtemp(prefix="gia-bench-http-"))
    databases = [("SQLite", f"sqlite:///{workdir / 'http.sqlite3'}", None)]
    if not args.no_postgres:
        base = pg_base_url(args.pg_url)
        problem = "not a postgresql:// URL" if base is None else pg_reachable(base)
        if problem:
            print(f"PostgreSQL: not reachable, skipped ({problem})")
        else:
            schema = f"gia_bench_http_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            databases.append(("PostgreSQL", f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}",
                              (base, schema)))
    began = time.perf_counter()
    rows = []
    try:
        for label, url, pg in databases:
            if pg:
                _schema(pg[0], f'CREATE SCHEMA "{pg[1]}"')
            try:
                rows += run_database(label, url, workdir, args)
            finally:
                if pg:
                    _schema(pg[0], f'DROP SCHEMA IF EXISTS "{pg[1]}" CASCADE')
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(rows))
    print(f"\n  server CPU: utime+stime of the gunicorn master and workers per operation; total run time "
          f"{time.perf_counter() - began:.0f} s; load average {_load()} at the end")


# --------------------------------------------------------------------------------------------------- the data

def prepare(app) -> tuple[str, str]:
    """Migrate, create the department's units and people (cli.demo), deploy A1; tokens for the starter and the
    submitter."""
    import engine
    from engine.db import db
    migrate_and_load(app)
    tokens = tuple(engine.create_token(engine.user_by_login(login), "bench", None)[1]
                   for login in (STARTER, SUBMITTER))
    db.session.commit()
    return tokens


def grow_to(size: int) -> int:
    """Start instances with the engine until A1 has `size`; returns the highest instance id."""
    import engine
    from engine.db import db
    from engine.models import ProcessInstance
    from sqlalchemy import func, select
    have = db.session.scalar(select(func.count()).where(ProcessInstance.process_id == PROCESS_ID))
    for _ in range(size - have):
        engine.start(PROCESS_ID, start_data(), unit=PPE, actor=STARTER)
    top = db.session.scalar(select(func.max(ProcessInstance.id))) or 0
    db.session.commit()
    return top


def forget_after(top: int) -> None:
    """Delete what a row made: the instances above `top` and every row that names one of them."""
    from sqlalchemy import delete

    from engine.db import db
    from engine.models import ProcessInstance
    for table in reversed(db.metadata.sorted_tables):
        if "instance_id" in table.c:
            db.session.execute(delete(table).where(table.c.instance_id > top))
    db.session.execute(delete(ProcessInstance.__table__).where(ProcessInstance.id > top))
    db.session.commit()


def count_instances() -> int:
    from sqlalchemy import func, select

    from engine.db import db
    from engine.models import ProcessInstance
    try:
        return db.session.scalar(select(func.count()).where(ProcessInstance.process_id == PROCESS_ID))
    finally:
        db.session.rollback()


# ------------------------------------------------------------------------------------------------------ rows

def run_database(label: str, url: str, workdir: Path, args) -> list[dict]:
    from config import _database_url
    url = _database_url(url)
    app = make_app(url, workdir)
    rows = []
    with app.app_context():
        starter, submitter = prepare(app)
        for size in args.sizes:
            top = grow_to(size)
            for workers in args.workers:
                port = free_port()
                server = start_gunicorn(url, workdir, port, workers)
                try:
                    warm(port, starter, submitter, 5 * workers)
                    forget_after(top)
                    for threads in args.threads:
                        before = count_instances()
                        row = {"db": label, "size": before, "workers": workers, "threads": threads}
                        starts, task_ids = phase(server, port, threads, [None] * args.n,
                                                 lambda conn, _: start_one(conn, starter))
                        submits, _ = phase(server, port, threads, task_ids,
                                           lambda conn, task_id: submit_one(conn, submitter, task_id))
                        rows.append({**row, "start": starts, "submit": submits})
                        print(f"  {label} {before:,} instances, -w {workers}, {threads} thread(s): submit "
                              f"{submits['cpu_ms']:.1f} ms CPU, {submits['rate']:.0f}/s; create+run "
                              f"{starts['cpu_ms']:.1f} ms CPU, {starts['rate']:.0f}/s; load {_load()}", flush=True)
                        forget_after(top)
                finally:
                    stop(server)
        from engine.db import db
        db.session.remove()
        db.engine.dispose()
    return rows


def phase(server, port, threads: int, items: list, one) -> tuple[dict, list]:
    """Run `one(conn, item)` for every item from `threads` client threads; the server's CPU per operation."""
    results, latencies, errors, lock = [], [], [], threading.Lock()
    pending = iter(items)

    def client():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(pending, StopIteration)
            if item is StopIteration:
                break
            t0 = time.perf_counter()
            try:
                value = one(conn, item)
            except Exception as exc:  # reported below, with the rest of the row's figures
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)
                results.append(value)
        conn.close()

    cpu = server_cpu(server)
    began = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - began
    spent = server_cpu(server) - cpu
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(items)} requests failed, e.g. {errors[0]}")
    done = len(latencies)
    return ({"n": done, "cpu_ms": spent * 1000 / done, "rate": done / wall,
             "p50_ms": statistics.median(latencies) * 1000}, results)


def start_one(conn, token) -> str:
    """POST a start; returns the new instance's READY checklist task."""
    body = request(conn, "POST", f"/api/v1/processes/{PROCESS_ID}/instances", token,
                   {"unit": PPE, "data": start_data()}, 201)
    [task] = [t["id"] for t in body["tasks"] if t["bpmn_id"] == "checklist" and t["state"].lower() == "ready"]
    return task


def submit_one(conn, token, task_id) -> None:
    body = request(conn, "POST", f"/api/v1/tasks/{task_id}/complete", token,
                   checklist(time.strftime("%Y-%m-%d")), 200)
    if [t["bpmn_id"] for t in body["next_tasks"]] != ["accept"]:
        raise RuntimeError(f"unexpected next tasks {body['next_tasks']}")


def warm(port, starter, submitter, n) -> None:
    """The first requests of each worker load the spec, the form and the statements: not measured."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for _ in range(n):
            submit_one(conn, submitter, start_one(conn, starter))
    finally:
        conn.close()


def request(conn, method, path, token, payload, expected) -> dict:
    conn.request(method, path, body=json.dumps(payload),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    if resp.status != expected:
        raise RuntimeError(f"{method} {path}: HTTP {resp.status} {text[:300]}")
    return json.loads(text)


# -------------------------------------------------------------------------------------------------- gunicorn

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workdir: Path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "GIA_VAR_DIR": str(workdir),
           "UPLOAD_DIR": str(workdir / "uploads"), "GIA_CLOCK": "real"}
    log = open(workdir / "gunicorn.log", "ab")
    gunicorn = Path(sys.executable).parent / "gunicorn"  # the virtualenv's, whichever tree is measured
    proc = subprocess.Popen([str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                             "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {(workdir / 'gunicorn.log').read_text()[-2000:]}")
        if len(_children(proc.pid)) == workers:
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    conn.close()
                    return proc
            except OSError:
                pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def server_cpu(proc) -> float:
    """utime + stime in seconds of the gunicorn master and its workers."""
    total = 0
    for pid in [proc.pid, *_children(proc.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------------------------------- report

def table(rows) -> str:
    head = ("database", "instances", "workers", "threads", "submit CPU ms", "submits/s", "submit p50 ms",
            "start CPU ms", "starts/s", "start p50 ms")
    lines = [head] + [(r["db"], f"{r['size']:,}", r["workers"], r["threads"],
                       f"{r['submit']['cpu_ms']:.1f}", f"{r['submit']['rate']:.0f}", f"{r['submit']['p50_ms']:.1f}",
                       f"{r['start']['cpu_ms']:.1f}", f"{r['start']['rate']:.0f}", f"{r['start']['p50_ms']:.1f}")
                      for r in rows]
    return aligned(lines)


def _schema(base: str, sql: str) -> None:
    import sqlalchemy as sa
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
