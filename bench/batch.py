"""A batch retry of 1,000 errored instances (issue 13's benchmark), on a fresh SQLite file and a fresh PostgreSQL
schema (created and dropped here); prints instances/s of engine.run_batch. It asserts nothing.

The failure is an honest outside one, not a data fix: each instance (tests/engine/batch_kit.py) runs a script
that reads the exam calendar (`add_days(calendar_date("batch_day"), 3)`) and fails while the supervisor has not
set that date. The bench starts N instances, which all stop in error there; sets the date in the calendar; then
asks for a batch retry of all N without corrections (engine.create_batch, then engine.run_batch in this process,
as a worker would run it: one instance per transaction, the item marked with the step). On PostgreSQL a second
round runs the job with two runners at once (threads, FOR UPDATE SKIP LOCKED sharing the items).

    .venv/bin/python bench/batch.py                    # ~1–2 min
    .venv/bin/python bench/batch.py -n 200 --no-postgres
    .venv/bin/python bench/batch.py --pg-url postgresql://host:5432/db   # default: $DATABASE_URL, else local
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


def one_round(app, n: int, runners: int) -> tuple:
    """(instances, seconds to put them in error, seconds of the batch, counts)."""
    import engine
    from engine import clock
    from engine.db import db
    from tests.engine import batch_kit as kit
    clock.set_mode("manual", datetime.fromisoformat("2021-03-01T09:00:00+03:00"))
    db.session.commit()
    kit.set_day(None)
    started = time.perf_counter()
    broken = kit.failing(n)
    failing = time.perf_counter() - started
    kit.set_day("2021-03-10")
    job_id = engine.create_batch(engine.user_by_login("operator"), "retry", {}, "дата внесена в календарь", broken)
    db.session.commit()
    results = []

    def runner():
        with app.app_context():
            results.append(engine.run_batch(job_id))
            db.session.remove()
    threads = [threading.Thread(target=runner) for _ in range(runners)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return n, failing, seconds, engine.batch_report(job_id, engine.user_by_login("operator")).counts


def measure(name: str, url: str, workdir: Path, n: int, rounds: list[int]) -> list[tuple]:
    app = make_app(url, workdir)
    app.config["GIA_BATCH_RUN"] = "none"  # run here, timed, not on a worker
    rows = []
    with app.app_context():
        from engine.db import db
        from tests.engine import batch_kit as kit
        migrate_and_load(app)
        kit.prepare()
        for runners in rounds:
            done, failing, seconds, counts = one_round(app, n, runners)
            rows.append((f"{name}, {runners} runner{'s' if runners > 1 else ''}", done, f"{failing:.1f}",
                         f"{seconds:.2f}", f"{done / seconds:,.0f}", counts["done"], counts["refused"]))
        db.session.remove()
        db.engine.dispose()
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL") or "postgresql://127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    on_both_backends("batch retry bench", ("backend", "instances", "to error s", "batch s", "instances/s", "done",
                                           "refused"),
                     measure, args.n, args.pg_url, "batch", postgres=not args.no_postgres)

if __name__ == "__main__":
    main()
