"""The supervisors' cockpit as a benchmark (issue 13): the plan lived by the demo's city (60 schools, 20 PPE) up
to 4 December 2020 on a fresh PostgreSQL schema (`flask gia demo`, a subprocess as `make run` runs it), then, in
this process through Flask's test client signed in as `iao`: the matrix page (`/plan/matrix`), its Excel export,
the matrix with "problems only", a process diagram's page with its counts (`/activities/<id>/diagram`), the
incidents page (`/incidents`), the instance list (`/instances`) and the plan's landing page (summary and matrix).
For each: p50/p95/max wall time and CPU ms per request, with the app's objects frozen out of the garbage collector's
walks as in a gunicorn worker. It asserts nothing; the issue's targets: the matrix p95 <
150 ms for 60 schools, a diagram's counts < 200 ms for a process with 10,000 instances.

The city has about 1,100 instances of its biggest process, so a second round gives `plan_school_report` 10,000: its
instances and their human_task rows are copied by bulk INSERT … SELECT (new ids, no plan item, an empty `state`:
the diagram, the incidents and the lists read the rows, never the workflow), one copy in twenty put in error at one
of two elements with one of two messages, so that the incidents page has groups of hundreds. Then the diagram of
that process and the incidents page are measured again (and engine.process_diagram alone, without the page).

    .venv/bin/python bench/cockpit.py                  # ~2–5 min: most of it is living the demo
    .venv/bin/python bench/cockpit.py --reps 50 --keep
    .venv/bin/python bench/cockpit.py --schema gia_bench_cockpit_1234abcd   # measure again what --keep left
    .venv/bin/python bench/cockpit.py --schools 240 --ppe 80   # a city four times the demo's (`flask gia simulate
                                                               # --until`, two processes): ~10 min

A city other than the demo's is lived by `flask gia simulate` (simulated staff only); the pages are then read as an
ИАО specialist added for the bench.
"""
import argparse
import gc
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
         ("matrix Excel", "/plan/matrix.xlsx"),
         ("diagram plan_school_report", "/activities/plan_school_report/diagram"),
         ("diagram ppe_tech_check", "/activities/ppe_tech_check/diagram"), ("incidents", "/incidents"),
         ("instance list", "/instances"), ("plan (summary + matrix)", "/plan/")]
BIG = "plan_school_report"
BIG_PAGES = [(f"diagram {BIG} (10,000)", f"/activities/{BIG}/diagram"), ("incidents (10,000)", "/incidents"),
             (f"instance list of {BIG} (10,000)", f"/instances?process={BIG}"),
             (f"instance list, errors of {BIG}", f"/instances?status=error&process={BIG}")]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="leave the schema in place")
    parser.add_argument("--schema", help="measure a schema a --keep run left (no demo lived)")
    parser.add_argument("--schools", type=int, help="live a simulated city of this many schools, not the demo")
    parser.add_argument("--ppe", type=int, default=20, help="its PPE (with --schools)")
    args = parser.parse_args(argv)
    import sqlalchemy as sa
    from config import _database_url
    base = _database_url(args.pg_url)
    schema = args.schema or f"gia_bench_cockpit_{uuid.uuid4().hex[:8]}"
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    print(f"GIA Flow cockpit bench; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load()} at start",
          flush=True)
    if args.schema:  # brought up to this code's migrations first
        subprocess.run([str(FLASK), "db", "upgrade"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env={**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"})
        measure(url, args.reps)
        return
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "SECRET_KEY": "bench"}
        env.pop("GIA_CLOCK", None)
        started = time.perf_counter()
        city = (["gia", "simulate", "--schools", str(args.schools), "--ppe", str(args.ppe), "--workers", "2",
                 "--until", "2020-12-04"] if args.schools else ["gia", "demo", "--plan-until", "2020-12-04"])
        if args.schools:
            env["GIA_CLOCK"] = "manual"
        for argv in (["db", "upgrade"], city):
            subprocess.run([str(FLASK), *argv], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"{'simulated city' if args.schools else 'demo'} lived in {time.perf_counter() - started:.0f} s",
              flush=True)
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
        import engine
        from engine.db import db
        from engine.models import ProcessInstance, Unit
        try:
            engine.user_by_login("iao")
        except engine.NotFound:  # a simulated city: its staff are simulated people
            engine.ensure_user("iao", "iao_specialist", "iao", password="demo", full_name="ИАО (замер)")
        counts = dict(db.session.execute(sa_count(ProcessInstance)).all())
        units = dict(db.session.execute(sa_count_units(Unit)).all())
        db.session.remove()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"login": "iao", "password": "demo", "csrf_token": token}).status_code == 302
    # As gunicorn's workers do once the app is loaded (gunicorn.conf.py post_worker_init): without it, every few
    # pages a full collection walks the app's ~165,000 long-lived objects, 80 ms that production never pays.
    gc.collect()
    gc.freeze()
    print(f"units: {units.get('school', 0)} schools, {units.get('ppe', 0)} PPE; instances: {BIG} "
          f"{counts.get(BIG, 0)}, ppe_tech_check {counts.get('ppe_tech_check', 0)}, all {sum(counts.values())}")
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU ms':>8} {'KB':>7}")
    pages(client, PAGES, reps)
    with app.app_context():
        made = grow(BIG, 10_000)
        db.session.remove()
    print(f"{BIG}: {made} instances copied in (10,000 in all), one in twenty in error", flush=True)
    pages(client, BIG_PAGES, reps)
    with app.app_context():
        engine_only(BIG, reps)
        db.session.remove()


def pages(client, which, reps: int) -> None:
    for label, path in which:
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


def grow(process_id: str, total: int) -> int:
    """Copy the instances of `process_id` (and their human_task rows) until it has `total`; see the docstring."""
    from sqlalchemy import text
    from engine.db import db
    from engine.models import ProcessInstance
    session = db.session
    have = session.scalar(text("SELECT count(*) FROM process_instance WHERE process_id = :p"), {"p": process_id})
    if have >= total:
        return 0
    columns = [c.name for c in ProcessInstance.__table__.columns if c.name != "id"]
    copied = {"plan_item_id": "NULL", "parent_id": "NULL", "state": "''", "started_by": "'bench:' || p.id",
              "status": "CASE WHEN (p.id + g) % 20 = 0 THEN 'error' ELSE p.status END",
              "error": "CASE WHEN (p.id + g) % 20 = 0 THEN (CASE WHEN (p.id + g) % 40 = 0 "
                       "THEN 'Ошибка в процессе: NameError: total' ELSE 'Ошибка в процессе: ZeroDivisionError' END) "
                       "ELSE p.error END",
              "error_element": f"CASE WHEN (p.id + g) % 20 = 0 THEN (SELECT min(bpmn_id) FROM human_task WHERE "
                               f"process_id = '{process_id}') ELSE p.error_element END"}
    select_list = ", ".join(copied.get(c, f"p.{c}") for c in columns)
    session.execute(text(
        f"INSERT INTO process_instance ({', '.join(columns)}) SELECT {select_list} FROM process_instance p "
        f"CROSS JOIN generate_series(1, :rounds) g WHERE p.process_id = :p ORDER BY g, p.id LIMIT :needed"),
        {"p": process_id, "rounds": total // have + 1, "needed": total - have})
    task_columns = [c.name for c in db.metadata.tables["human_task"].columns if c.name not in ("id", "instance_id")]
    session.execute(text(
        f"INSERT INTO human_task (id, instance_id, {', '.join(task_columns)}) "
        f"SELECT gen_random_uuid()::text, c.id, {', '.join('t.' + c for c in task_columns)} "
        f"FROM process_instance c JOIN human_task t ON t.instance_id = CAST(substr(c.started_by, 7) AS integer) "
        f"WHERE c.process_id = :p AND c.started_by LIKE 'bench:%'"), {"p": process_id})
    session.commit()
    session.execute(text("ANALYZE process_instance"))
    session.execute(text("ANALYZE human_task"))
    session.commit()
    return total - have


def engine_only(process_id: str, reps: int) -> None:
    """engine.process_diagram's counts alone (no page, no XML sent), as iao."""
    import engine
    from engine.db import db
    user = engine.user_by_login("iao")
    walls = []
    for _ in range(reps + 2):
        started = time.perf_counter()
        page = engine.process_diagram(process_id, user)
        walls.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    walls = walls[2:]
    print(f"{'process_diagram() ' + process_id:<30} {statistics.median(walls):>8.1f} "
          f"{statistics.quantiles(walls, n=20)[-1]:>8.1f} {max(walls):>8.1f}   ({page['instances']} instances)")


def sa_count_units(model):
    from sqlalchemy import func, select
    return select(model.kind, func.count()).group_by(model.kind)


def sa_count(model):
    from sqlalchemy import func, select
    return select(model.process_id, func.count()).group_by(model.process_id)


if __name__ == "__main__":
    main()
