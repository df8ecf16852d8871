"""The supervisors' cockpit as a benchmark (issue 13): the plan lived by the demo's city (60 schools, 20 PPE) up
to 4 December 2020 on a fresh PostgreSQL schema (`flask gia demo`, a subprocess as `make run` runs it), then, in
this process through Flask's test client signed in as `iao`: the matrix page (`/plan/matrix`), its Excel export,
the matrix with "problems only", and a process diagram's page with its counts (`/activities/<id>/diagram`). For
each: p50/p95/max wall time and CPU ms per request. It asserts nothing; the issue's targets: the matrix p95 < 150 ms
for 60 schools, a diagram's counts < 200 ms for a process with 10,000 instances (this city has fewer: the figure
printed is for the instances it has).

    .venv/bin/python bench/cockpit.py                  # ~2–5 min: most of it is living the demo
    .venv/bin/python bench/cockpit.py --reps 50 --keep
    .venv/bin/python bench/cockpit.py --schema gia_bench_cockpit_1234abcd   # measure again what --keep left
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = ROOT / ".venv" / "bin" / "flask"
PAGES = [("matrix", "/plan/matrix"), ("matrix, problems only", "/plan/matrix?problems=y"),
         ("matrix Excel", "/plan/matrix.xlsx"), ("diagram plan_school_report", "/activities/plan_school_report/diagram"),
         ("diagram ppe_tech_check", "/activities/ppe_tech_check/diagram")]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="leave the schema in place")
    parser.add_argument("--schema", help="measure a schema a --keep run left (no demo lived)")
    args = parser.parse_args(argv)
    import sqlalchemy as sa
    from config import _database_url
    base = _database_url(args.pg_url)
    schema = args.schema or f"gia_bench_cockpit_{uuid.uuid4().hex[:8]}"
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    print(f"GIA Flow cockpit bench; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load()} at start",
          flush=True)
    if args.schema:
        measure(url, args.reps)
        return
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "SECRET_KEY": "bench"}
        env.pop("GIA_CLOCK", None)
        started = time.perf_counter()
        for argv in (["db", "upgrade"], ["gia", "demo", "--plan-until", "2020-12-04"]):
            subprocess.run([str(FLASK), *argv], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"demo lived in {time.perf_counter() - started:.0f} s", flush=True)
        with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("ANALYZE"))  # as autovacuum would have by then: the plans depend on it
        measure(url, args.reps)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    print(f"load {load()} at the end")


def measure(url: str, reps: int) -> None:
    from webui import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    with app.app_context():
        from engine.db import db
        from engine.models import ProcessInstance
        counts = dict(db.session.execute(sa_count(ProcessInstance)).all())
        db.session.remove()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"login": "iao", "password": "demo", "csrf_token": token}).status_code == 302
    print(f"instances: plan_school_report {counts.get('plan_school_report', 0)}, "
          f"ppe_tech_check {counts.get('ppe_tech_check', 0)}")
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU ms':>8} {'KB':>7}")
    for label, path in PAGES:
        walls, cpus, size = [], [], 0
        for _ in range(reps + 2):
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            size = len(response.data)
        walls, cpus = walls[2:], cpus[2:]  # the first two warm the caches
        p95 = statistics.quantiles(walls, n=20)[-1]
        print(f"{label:<30} {statistics.median(walls):>8.1f} {p95:>8.1f} {max(walls):>8.1f} "
              f"{statistics.median(cpus):>8.1f} {size / 1024:>7.0f}", flush=True)


def sa_count(model):
    from sqlalchemy import func, select
    return select(model.process_id, func.count()).group_by(model.process_id)


if __name__ == "__main__":
    main()
