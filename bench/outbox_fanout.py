"""A department's step that sends one message per school (a multi-instance send task starting one school instance
each), timed end to end: the step with its inline delivery, and, where the message outbox exists
(engine.service.routing.drain_stale), the step alone (the rows written, delivery left) and the sweep delivering the
rows left behind. Prints figures; asserts only that every school was started once.

    .venv/bin/python bench/outbox_fanout.py --schools 200 [--rounds 3] [--pg postgresql+psycopg://127.0.0.1:5432/test]

Run it on a copy of the tree with the previous engine/service/routing.py to compare (the script does not need the
outbox). Quote the load average it prints with the figures."""
import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_app(url: str, workdir: Path):
    from webui import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": workdir / "uploads", "SECRET_KEY": "bench",
                       "GIA_CLOCK": "real", "TESTING": True})


def migrate():
    from flask_migrate import upgrade
    logging.disable(logging.INFO)
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)


def started(dept) -> int:
    from sqlalchemy import func, select

    from engine.db import db
    from engine.models import ProcessInstance
    count = db.session.scalar(select(func.count()).where(ProcessInstance.parent_id == dept))
    db.session.rollback()
    return count


def one_round(schools: list[str], boss, deferred: bool) -> dict:
    import engine
    from engine.service import routing
    from tests.engine.plan_patterns import only
    dept = engine.start("dept", {"schools": schools, "ref": uuid.uuid4().hex}, actor="boss").instance_id
    task = only(dept, "prepare").id
    real = getattr(routing, "drain", None)
    if deferred:
        routing.drain = lambda ids, inline_limit=None: routing.DrainResult()  # as if killed after the commit
    try:
        t0 = time.perf_counter()
        engine.complete(task, boss)
        step = time.perf_counter() - t0
    finally:
        if deferred:
            routing.drain = real
    figures = {"step": step}
    if deferred:
        t0 = time.perf_counter()
        engine.drain_outbox(min_age_seconds=0)
        figures["sweep"] = time.perf_counter() - t0
    assert started(dept) == len(schools), (started(dept), len(schools))
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", help="a PostgreSQL URL (a fresh schema is made in it); default SQLite")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    workdir = Path(tempfile.mkdtemp(prefix="gia-outbox-bench-"))
    schema = None
    if args.pg:
        import sqlalchemy as sa
        schema = f"gia_bench_{uuid.uuid4().hex[:8]}"
        with sa.create_engine(args.pg).begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = make_app(url, workdir)
    for name in ("spiff", "spiff.metrics", "spiff.task", "spiff.workflow", "engine.service.routing"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        with app.app_context():
            import engine
            from engine.service import routing
            from tests.engine.test_message_outbox import collection
            migrate()
            boss = engine.ensure_user("boss", "admin", None)
            engine.deploy([("collection.bpmn", collection())], actor="admin")
            schools = [f"school-{n}" for n in range(1, args.schools + 1)]
            has_outbox = hasattr(routing, "drain_stale")
            one_round(schools[:5], boss, deferred=False)  # warm the caches
            print(f"{args.schools} schools, {'PostgreSQL' if args.pg else 'SQLite'}, outbox: {has_outbox}")
            for n in range(args.rounds):
                inline = one_round(schools, boss, deferred=False)
                line = (f"round {n + 1}: step with inline delivery {inline['step']:.2f} s "
                        f"({1000 * inline['step'] / args.schools:.1f} ms per school)")
                if has_outbox:
                    left = one_round(schools, boss, deferred=True)
                    line += (f"; step alone {left['step']:.2f} s, sweep {left['sweep']:.2f} s "
                             f"({1000 * left['sweep'] / args.schools:.1f} ms per school)")
                print(line, flush=True)
            from engine.db import db
            db.session.remove()
            db.engine.dispose()
    finally:
        if schema:
            import sqlalchemy as sa
            with sa.create_engine(args.pg).begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
