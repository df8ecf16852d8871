"""Moving 1,000 running instances to a new version (issue 14's benchmark), on a fresh SQLite file and a fresh
PostgreSQL schema (created and dropped here); prints instances/s of the preview (each instance checked with
SpiffWorkflow's diff, all N of them here) and of engine.run_batch of the "migrate" job.

Version 1 of the process (tests/engine/test_migration.py) is «Заполнить акт» → «Проверить акт»; N instances are
started, every tenth of them taken past the first task; version 2 inserts «Подписать акт» between the two, so that
every instance can move (those at the first task take the new one, the others go on). The job runs in this
process, as a worker would run it: one instance per transaction, the item marked with the step's save. On
PostgreSQL a second round moves another N instances to a third version with two runners at once.

    .venv/bin/python bench/migration.py                    # ~2–3 min
    .venv/bin/python bench/migration.py -n 200 --no-sqlite
    .venv/bin/python bench/migration.py --pg-url postgresql://host:5432/db   # default: $DATABASE_URL, else local
"""
import argparse
import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_cycle import make_app, migrate_and_load  # noqa: E402
from bench.pg_schema import on_both_backends  # noqa: E402

FILL, SIGN, CHECK, SEAL = ("fill", "Заполнить акт"), ("sign", "Подписать акт"), ("check", "Проверить акт"), \
    ("seal", "Заверить акт")


def one_round(app, n: int, runners: int, tasks: tuple) -> tuple:
    """Start `n` instances on the latest version, deploy one with `tasks`, preview and run the migration:
    (seconds to start, seconds of the preview, seconds of the batch, counts)."""
    import engine
    from engine.db import db
    from engine.models import HumanTask
    from sqlalchemy import select
    from tests.engine.test_migration import PROCESS, diagram
    operator = engine.user_by_login("operator")
    started = time.perf_counter()
    ids = [engine.start(PROCESS, {"due": "2021-03-20"}, unit="ppe-17", actor="iao").instance_id for _ in range(n)]
    tech = engine.user_by_login("tech17")
    for instance_id in ids[::10]:
        task = db.session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.state == "READY")).first()
        engine.complete(task, tech, {})
    starting = time.perf_counter() - started
    target = engine.deploy([("mig_check.bpmn", diagram(*tasks))], actor="designer").version
    db.session.commit()
    from engine.service import batch
    batch.CHECKED = max(batch.CHECKED, n)  # the bench times the check of every instance, not of the first 500
    started = time.perf_counter()
    preview = engine.preview_batch(operator, "migrate", ids, {"version": target})
    previewing = time.perf_counter() - started
    assert preview.checked == n
    db.session.rollback()
    job_id = engine.create_batch(operator, "migrate", {"version": target}, "новая версия акта", ids)
    db.session.commit()

    def runner():
        with app.app_context():
            engine.run_batch(job_id)
            db.session.remove()
    threads = [threading.Thread(target=runner) for _ in range(runners)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    counts = engine.batch_report(job_id, operator).counts
    return starting, previewing, preview.expected, seconds, counts


def measure(name: str, url: str, workdir: Path, n: int, rounds: list[int]) -> list[tuple]:
    app = make_app(url, workdir)
    app.config["GIA_BATCH_RUN"] = "none"  # run here, timed, not on a worker
    rows = []
    with app.app_context():
        import engine
        from engine import clock
        from engine.db import db
        from tests.engine.test_migration import diagram
        migrate_and_load(app)
        clock.set_mode("manual", datetime.fromisoformat("2021-03-01T09:00:00+03:00"))
        db.session.commit()
        engine.deploy([("mig_check.bpmn", diagram(FILL, CHECK))], actor="designer")
        db.session.commit()
        versions = [(FILL, SIGN, CHECK), (FILL, SIGN, SEAL, CHECK)]
        for runners, tasks in zip(rounds, versions):
            starting, previewing, expected, seconds, counts = one_round(app, n, runners, tasks)
            rows.append((f"{name}, {runners} runner{'s' if runners > 1 else ''}", n, f"{starting:.1f}",
                         f"{previewing:.2f}", f"{n / previewing:,.0f}", expected, f"{seconds:.2f}",
                         f"{n / seconds:,.0f}", counts["done"], counts["refused"]))
        db.session.remove()
        db.engine.dispose()
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL") or "postgresql://127.0.0.1:5432/test")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    on_both_backends("migration bench", ("backend", "instances", "start s", "preview s", "checked/s", "can move",
                                         "batch s", "instances/s", "done", "refused"),
                     measure, args.n, args.pg_url, "migration", not args.no_sqlite, not args.no_postgres)

if __name__ == "__main__":
    main()
