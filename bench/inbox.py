"""How fast the inbox is with a city's worth of open tasks, and whether it still shows the right ones (a benchmark,
not a test: it asserts nothing about time).

Why: a department specialist's role is offered its tasks in every school and PPE of the city, tens of thousands
of open tasks, of which the inbox shows 50. The issue's targets: p95 < 20 ms for the inbox query, and ≥ 300 req/s
for the HTTP inbox page with gunicorn on 2 workers.

In a throwaway PostgreSQL schema (created, migrated with Flask-Migrate, dropped at the end unless --keep) it loads
a city: 60 schools, 20 PPE, 3,000 users, 100,000 open human tasks and a year's history (bench/inbox_data.py, with
SQLAlchemy Core: going through the engine would take an hour). Then, for a school head (head17: school_head of
school-17, ppe_head of ppe-17 which it hosts, deputy of an absent coordinator) and a department specialist (iao:
iao_specialist, a city-wide role), it prints:
  (S) engine.inbox(user, InboxQuery(...)) in an app context: page 1 with a filter (overdue, an activity, a due
      date range), p50/p95/max ms, the CPU time of this process and the SQL statements per call; and
      engine.inbox_counts (the three tab counts of the page);
  (C) the correctness check (bench/inbox_check.py): each first page, total and tab count compared with a
      brute-force Python filter over all READY tasks; OK or MISMATCH;
  (T) the page GET /<filter> in-process through Flask's test client: its cost without network or gunicorn;
  (H) the same GET under load against gunicorn -w 2 (bench/inbox_http.py), with wrk or a Python client.

    .venv/bin/python bench/inbox.py              # full: 100k open tasks, 10 s of load per row (~3 min idle)
    .venv/bin/python bench/inbox.py --quick      # 20k open tasks, 3 s of load per row (~1 min)
    .venv/bin/python bench/inbox.py --explain    # also EXPLAIN (ANALYZE, BUFFERS) every statement on human_task
    .venv/bin/python bench/inbox.py --upgrade-to 0003   # the schema before migration 0004 (before/after)
    .venv/bin/python bench/inbox.py --pg-url postgresql://host:5432/db  # default: $DATABASE_URL, else 127.0.0.1
"""
import argparse
import gc
import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import inbox_check  # noqa: E402  (bench/ is on sys.path as the script's directory)
import inbox_data  # noqa: E402
import inbox_http  # noqa: E402

DEFAULT_PG = "postgresql://127.0.0.1:5432/test"
TARGET_P95_MS = 20.0
TARGET_RPS = 300.0
HTTP_PATHS = {"head": "/?overdue=1", "spec": "/?process_id=ppe_tech_check"}
NAMES = {"head": "school head (head17)", "spec": "dept. specialist (iao)"}


def scenarios(today: date):
    """(label, persona key, InboxQuery kwargs): first page with a filter, as the filter bar sends them."""
    soon = today + timedelta(days=30)
    return [
        ("available, overdue", "head", {"tab": "available", "overdue": True}),
        ("available, activity", "head", {"tab": "available", "process_id": "school_report"}),
        ("group, due ≤ +30 d", "head", {"tab": "group", "due_to": soon}),
        ("available, overdue", "spec", {"tab": "available", "overdue": True}),
        ("available, activity", "spec", {"tab": "available", "process_id": "ppe_tech_check"}),
        ("group, due ≤ +30 d", "spec", {"tab": "group", "due_to": soon}),
        ("available, unfiltered", "spec", {"tab": "available"}),
    ]


class Timing:
    def __init__(self, label, persona, samples, cpu, statements, note=""):
        self.label, self.persona, self.samples, self.cpu = label, persona, samples, cpu
        self.statements, self.note = statements, note

    @property
    def cpu_ms(self):  # this process's CPU time per call: the Python side (SQLAlchemy, Jinja, ...)
        return statistics.median(self.cpu) * 1000

    def ms(self, q):
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


class StatementCounter:
    """Counts (and, when `keep` is set, keeps) the SQL statements the engine sends."""
    def __init__(self, engine_):
        from sqlalchemy import event
        self.engine, self.count, self.keep, self.kept = engine_, 0, False, []
        event.listen(engine_, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if self.keep:
            self.kept.append((statement, parameters))

    def close(self):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._on)


def timed(counter, call, warmup, reps, setup=lambda: None):
    """Run call(setup()) warmup + reps times, timing the call only; (wall samples, CPU samples, statements per
    call, last result)."""
    walls, cpus, result, statements = [], [], None, 0
    for i in range(warmup + reps):
        arg = setup()
        before = counter.count
        c0, t0 = time.process_time(), time.perf_counter()
        result = call(arg)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        statements = counter.count - before
        if i >= warmup:
            walls.append(elapsed)
            cpus.append(cpu)
    return walls, cpus, statements, result


def measure_service(personas, cases, reps, warmup, explain) -> tuple[list[Timing], list[str]]:
    """(S): engine.inbox per case and engine.inbox_counts per persona, each call with a fresh session (as a
    request has) and the user loaded before the clock starts."""
    import engine
    from engine import InboxQuery
    from engine.db import db
    from engine.models import User
    counter = StatementCounter(db.engine)
    results, plans = [], []

    def fresh(uid):
        db.session.rollback()
        user = db.session.get(User, uid)
        _ = user.active, user.login
        return user

    def run(persona, label, fn, note):
        walls, cpus, statements, result = timed(counter, fn, warmup, reps, lambda: fresh(personas[persona]))
        results.append(Timing(label, persona, walls, cpus, statements, note(result)))
        if explain:
            plans.extend(explain_call(counter, fresh(personas[persona]), fn, f"{persona}: {label}"))

    try:
        gc.collect()
        for label, persona, kwargs in cases:
            run(persona, f"query: {label}", lambda u, kw=kwargs: engine.inbox(u, InboxQuery(**kw)),
                lambda page: f"{len(page.items)} rows of {page.total}{'+' if page.total_capped else ''}")
        for persona in personas:
            run(persona, "3 tab counts: inbox_counts", engine.inbox_counts,
                lambda counts: "mine/group/available = " + "/".join(map(str, counts.values())))
    finally:
        db.session.rollback()
        counter.close()
    return results, plans


def measure_in_process(app, personas, reps, warmup) -> list[Timing]:
    """(T): GET /<filter> through Flask's test client, signed in through the session: the page's own cost."""
    from engine.db import db
    counter = StatementCounter(db.engine)
    results = []
    try:
        for persona, uid in personas.items():
            path = HTTP_PATHS[persona]
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = str(uid), True
            # each request on a fresh session, as a server's: the app context held here would otherwise keep the
            # signed-in user and what is cached per transaction (memberships, the clock) from the last request
            walls, cpus, statements, resp = timed(counter, lambda _: client.get(path), warmup, reps,
                                                  setup=db.session.remove)
            if resp.status_code != 200 or b'class="tabs"' not in resp.data:
                raise RuntimeError(f"in-process GET {path}: HTTP {resp.status_code}, not the inbox")
            results.append(Timing(f"GET {path}", persona, walls, cpus, statements,
                                  f"{resp.data.count(b'<tr class=')} rows, {len(resp.data) // 1024} KiB"))
    finally:
        counter.close()
    return results


def explain_call(counter, user, call, title) -> list[str]:
    """Run `call` once, keep the statements it sent, and EXPLAIN ANALYZE those that read human_task."""
    from engine.db import db
    counter.keep, counter.kept = True, []
    try:
        call(user)
    finally:
        counter.keep = False
    db.session.rollback()
    out = [f"--- {title}: the {len(counter.kept)} statements of one call\n" + "\n".join(
        f"  {k + 1}. {_inline(st, pa)[:160]}" for k, (st, pa) in enumerate(counter.kept))]
    conn = db.session.connection()
    for statement, parameters in counter.kept:
        if "human_task" not in statement or not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        out.append(f"--- {title}\n{_inline(statement, parameters)}\n" + "\n".join(r[0] for r in rows))
    db.session.rollback()
    return out


def _inline(statement, parameters):
    text = statement
    if isinstance(parameters, dict):
        for key, value in sorted(parameters.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f"%({key})s", repr(value if not isinstance(value, datetime) else value.isoformat()))
    return re.sub(r"\s+", " ", text)


# ------------------------------------------------------------------------------------------------- main

def pg_base_url(given):
    from config import _database_url
    env = os.environ.get("DATABASE_URL", "")
    url = given or (env if env.startswith(("postgresql", "postgres")) else DEFAULT_PG)
    return _database_url(url) if url.startswith(("postgresql", "postgres")) else None


def _load_avg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def _table(head, rows):
    lines = [head, *rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) if i in (0, 1) or i == len(head) - 1 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in out)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k open tasks, fewer repetitions, 3 s of load")
    parser.add_argument("--tasks", type=int, help="open human tasks (default 100,000; --quick 20,000)")
    parser.add_argument("--history", type=int, help="completed human tasks besides (default: half as many as open)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--reps", type=int, help="timed calls per service-layer row (default 100; --quick 30)")
    parser.add_argument("--seconds", type=float, help="load duration per HTTP row (default 10; --quick 3)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections of the load client")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--no-http", action="store_true", help="no gunicorn: (S), (C) and (T) only")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of each statement")
    parser.add_argument("--upgrade-to", default="head", help="migrate only to this revision (e.g. 0003)")
    parser.add_argument("--add-index", action="append", default=[], metavar="NAME=COL,COL",
                        help="experiment: create this human_task index after migrating (repeatable)")
    parser.add_argument("--drop-index", action="append", default=[], metavar="NAME",
                        help="experiment: drop this index after migrating (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the schema (prints its name) instead of dropping")
    parser.add_argument("--pg-url", help=f"PostgreSQL URL (default: $DATABASE_URL or {DEFAULT_PG})")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    n_open = args.tasks or (20_000 if args.quick else 100_000)
    n_history = n_open // 2 if args.history is None else args.history
    reps = args.reps or (30 if args.quick else 100)
    warmup = 5 if args.quick else 10
    seconds = args.seconds or (3 if args.quick else 10)
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    for name in ("spiff", "spiff.metrics", "sqlalchemy.engine", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)

    import sqlalchemy as sa
    base = pg_base_url(args.pg_url)
    if base is None:
        sys.exit("PostgreSQL is needed: give --pg-url postgresql://... or DATABASE_URL")
    print(f"GIA Flow inbox benchmark — {n_open:,} open tasks (+{n_history:,} completed), {args.users:,} users, "
          f"60 schools, 20 PPE; PostgreSQL, schema migrated to {args.upgrade_to}"
          + "".join(f"; +index {i}" for i in args.add_index) + "".join(f"; -index {i}" for i in args.drop_index))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {_load_avg()} at start")
    began = time.perf_counter()
    admin = sa.create_engine(base, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            pg_version = conn.exec_driver_sql("SHOW server_version").scalar()
    except Exception as exc:
        sys.exit(f"PostgreSQL not reachable at {base}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    schema = f"gia_bench_inbox_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    workdir = Path(tempfile.mkdtemp(prefix="gia-bench-inbox-"))
    try:
        app = inbox_data.make_app(url, workdir)
        with app.app_context():
            from engine import clock
            from engine.db import db
            org, described = inbox_data.populate(schema, args.upgrade_to, args.users, n_open, n_history, args.seed,
                                                 args.add_index, args.drop_index)
            print(f"\nPostgreSQL {pg_version}; schema {schema}")
            print("\n".join(f"  {line}" for line in described))
            personas = {"head": org.head_id, "spec": org.spec_id}
            cases = scenarios(clock.now().astimezone(clock.local_zone()).date())
            service, plans = measure_service(personas, cases, reps, warmup, args.explain)
            loads = {"S": _load_avg()}
            checks = inbox_check.check(personas, cases)
            in_process = measure_in_process(app, personas, max(20, reps // 4), 5)
            db.session.remove()
            db.engine.dispose()
        http = None
        if not args.no_http:
            paths = [("head", "head17", HTTP_PATHS["head"]), ("spec", "iao", HTTP_PATHS["spec"])]
            http = inbox_http.measure_http(url, workdir, seconds, args.connections, client, paths)
            loads["H"] = _load_avg()
    finally:
        if args.keep:
            print(f"\n  schema kept: {schema} (DROP SCHEMA \"{schema}\" CASCADE when done)")
        else:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    report(service, checks, in_process, http, plans, reps, warmup, seconds, loads)
    print(f"\n  total run time {time.perf_counter() - began:.1f} s; load average {_load_avg()} at the end "
          "(other processes on the machine inflate every number)")


def report(service, checks, in_process, http, plans, reps, warmup, seconds, loads):
    print(f"\n(S) service layer: engine.inbox() in an app context, page 1 of 50, sort by due date; {reps} timed "
          f"calls each after {warmup} warm-up (load average {loads['S']} after them)")
    rows = []
    for r in service:
        is_target = r.label.startswith("query:") and "unfiltered" not in r.label
        verdict = ("meets" if r.ms(0.95) < TARGET_P95_MS else "MISSES") if is_target else ""
        rows.append((NAMES[r.persona], r.label, f"{r.ms(0.5):.2f}", f"{r.ms(0.95):.2f}", f"{r.ms(1):.2f}",
                     f"{r.cpu_ms:.2f}", r.statements, f"p95 < {TARGET_P95_MS:.0f}" if is_target else "", verdict,
                     r.note))
    print(_table(("user", "measurement", "p50 ms", "p95 ms", "max ms", "CPU ms", "SQL", "target", "verdict",
                  "result"), rows))
    print("  (CPU ms: median CPU time of this process per call, the Python side; the rest of the latency is the")
    print("   database and waiting for a CPU. SQL: statements per call, incl. the user's memberships and the clock;")
    print("   the unfiltered row is for reference)")
    bad = sum("MISMATCH" in verdict for _p, _l, verdict in checks)
    print(f"\n(C) correctness: engine.inbox's first page (ids in order), total and tab counts against a brute-force "
          f"Python filter of all READY tasks (offered_to, tab, filter, hidden instances, snoozes): "
          f"{'all OK' if not bad else f'{bad} MISMATCH'}")
    print(_table(("user", "case", "result"), [(NAMES[p], label, verdict) for p, label, verdict in checks]))
    print(f"\n(T) the inbox page in-process: Flask test client, GET with the session cookie, no network; "
          f"{len(in_process[0].samples)} timed requests each")
    rows = [(NAMES[r.persona], r.label, f"{r.ms(0.5):.2f}", f"{r.ms(0.95):.2f}", f"{r.ms(1):.2f}",
             f"{r.cpu_ms:.2f}", r.statements, r.note) for r in in_process]
    print(_table(("user", "request", "p50 ms", "p95 ms", "max ms", "CPU ms", "SQL", "page"), rows))
    if http:
        print(f"\n(H) HTTP: GET /<filter> signed in, gunicorn -w 2 (sync workers) on loopback, {seconds:g} s of load "
              f"per row (load average {loads['H']} after the load)")
        rows = []
        for persona, path, load, check in http:
            verdict = "meets" if load.rate >= TARGET_RPS and load.errors == 0 else "MISSES"
            rows.append((NAMES[persona], path, f"{load.requests:,}", f"{load.rate:,.0f}", f"{load.p50:.1f}",
                         f"{load.p95:.1f}", f"{load.p99:.1f}", load.errors, f"≥ {TARGET_RPS:.0f} req/s", verdict,
                         check))
        print(_table(("user", "path", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "target",
                      "verdict", "page"), rows))
        print(f"  client: {http[0][2].tool}; {http[0][2].note}")
        print("  the load client, the two workers and PostgreSQL share the machine's CPUs")
    if plans:
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the statements that read human_task:\n")
        print("\n\n".join(plans))


if __name__ == "__main__":
    main()
