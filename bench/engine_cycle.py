"""How fast one human-task completion is, raw and through the service layer (a benchmark, not a test).

In one process and one run it measures, for scenario A1 (processes/ppe_tech_check.bpmn, the checklist task
completed without faults, which runs the `evaluate` script and the gateway and stops at `accept`):

  (a)  the raw SpiffWorkflow cycle: restore → complete the READY checklist task → do_engine_steps → serialize.
       The spec is parsed once and cached: the instance JSON holds no spec and is restored onto the parsed spec
       objects with GIA Flow's spec-free converter (engine.bpmn.serializer.loads/dumps), exactly as (b) does.
       Every iteration restores the same starting JSON, so all iterations do the same work. Scripts run in the
       same RestrictedPython engine as (b) (engine.runtime.script_engine()); the engine clock is pinned so that
       (a) never touches the database.
  (a0) for reference, the same cycle with the library's own JSON (spec embedded and rebuilt on every restore).
  (b)  engine.complete() through the service layer (lock, restore, form validation, permission checks, run,
       save with projections, audit, commit) on a fresh migrated SQLite file and on a fresh PostgreSQL schema
       (created and dropped here). One completion per started instance, so each one is a real first completion.

It prints completions/s, median and p95 latency per completion, and the ratio b/a per database.
Targets (issue): b/a ≥ 0.5 on SQLite; ≥ 400 completions/s on PostgreSQL for one process.

    .venv/bin/python bench/engine_cycle.py               # ~45 s on an idle 2-core machine
    .venv/bin/python bench/engine_cycle.py --quick       # ~15 s
    .venv/bin/python bench/engine_cycle.py --no-postgres
    .venv/bin/python bench/engine_cycle.py --quick --no-postgres --profile /tmp/cycle.prof   # where (b) spends
    DATABASE_URL=postgresql://127.0.0.1:5432/test .venv/bin/python bench/engine_cycle.py
"""
import argparse
import gc
import logging
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROCESS_FILE = ROOT / "processes" / "ppe_tech_check.bpmn"
PROCESS_ID = "ppe_tech_check"
PPE, TECH = "ppe-17", "tech17"
DEFAULT_PG = "postgresql://127.0.0.1:5432/test"


def checklist(checked_on: str) -> dict:
    """The checklist form as a technician submits it: every item in order, two printing rooms (tests/engine/a1.py)."""
    data = {key: {"status": "ok"} for key in ("scanning", "auth_main", "auth_backup", "video", "metal_detector",
                                               "jammer", "generator")}
    data["printing"] = [{"room": f"Аудитория {n}", "status": "ok"} for n in (1, 2)]
    data["checked_on"] = checked_on
    return data


class Result:
    def __init__(self, scenario, latencies, wall, cpu, note=""):
        self.scenario, self.latencies, self.wall, self.cpu, self.note = scenario, latencies, wall, cpu, note

    @property
    def n(self):
        return len(self.latencies)

    @property
    def rate(self):
        return self.n / self.wall

    def pct(self, q):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --------------------------------------------------------------------------------------------------- setup

def make_app(url: str, workdir: Path):
    from webui import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": workdir / "uploads", "SECRET_KEY": "bench",
                       "GIA_CLOCK": "real", "TESTING": True})


def migrate_and_load(app):
    """Migrate the empty database, create the department's units and users (cli.demo), deploy A1."""
    from flask_migrate import upgrade

    import engine
    from cli.demo import USERS, ensure_city
    logging.disable(logging.INFO)  # alembic's "Running upgrade" lines
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)
    ensure_city((12, 17), (12, 17), auditoriums=lambda n: 2)
    for login, role, unit, name in USERS:
        engine.ensure_user(login, role, unit, password="demo", full_name=name)
    engine.deploy([(PROCESS_FILE.name, PROCESS_FILE.read_bytes())], actor="admin")


def start_data():
    local_today = datetime.now(timezone(timedelta(hours=3))).date()
    return {"check_due": (local_today + timedelta(days=30)).isoformat(), "fix_days": 7, "recheck_days": 3}


def quiet_logs():
    for name in ("spiff", "spiff.metrics", "spiff.task", "spiff.workflow", "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(logging.WARNING)


# ------------------------------------------------------------------------------------- (a) raw SpiffWorkflow

def raw_cycle(n: int, warmup: int) -> list[Result]:
    """Runs inside an app context (for the RestrictedPython engine and its config), clock pinned."""
    from SpiffWorkflow.util.task import TaskState

    from engine import clock, runtime
    from engine.bpmn import serializer
    from engine.bpmn.parsing import parse_bundle
    from engine.models import Unit
    from engine.db import db
    from sqlalchemy import select

    # engine.bpmn.parsing.parse_bundle = SpiffBpmnParser(validator=VALIDATOR) + the sandbox's compile checks;
    # parsed here once and reused by every iteration.
    bundle, errors = parse_bundle([(PROCESS_FILE.name, PROCESS_FILE.read_bytes())], 5 * 1024 * 1024)
    assert not errors, errors
    startable = bundle.get(PROCESS_ID)
    spec, subs = startable.spec, startable.subprocess_specs
    seed = {**start_data(), "gia_unit": db.session.scalar(select(Unit).where(Unit.code == PPE)).as_data()}
    db.session.rollback()
    script_engine = runtime.script_engine()
    form = checklist(datetime.now().date().isoformat())

    results = []
    with clock.pinned(datetime.now(timezone.utc)):
        workflow = runtime.create(spec, subs, seed)
        workflow.do_engine_steps()
        [ready] = workflow.get_tasks(state=TaskState.READY, manual=True)
        assert ready.task_spec.bpmn_id == "checklist", ready.task_spec.bpmn_id
        task_id = ready.id

        def one(loads, dumps, state):
            wf = loads(state)
            wf.script_engine = script_engine
            task = wf.get_task_from_id(task_id)
            task.set_data(checklist=form)
            task.run()
            wf.do_engine_steps()
            out = dumps(wf)
            return wf, out

        def run(name, loads, dumps, note, n=n):
            state = dumps(workflow)
            wf, _ = one(loads, dumps, state)
            [after] = wf.get_tasks(state=TaskState.READY, manual=True)
            assert after.task_spec.bpmn_id == "accept", after.task_spec.bpmn_id
            for _ in range(warmup):
                one(loads, dumps, state)
            latencies = []
            gc.collect()
            cpu, began = time.process_time(), time.perf_counter()
            for _ in range(n):
                t0 = time.perf_counter()
                one(loads, dumps, state)
                latencies.append(time.perf_counter() - t0)
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            results.append(Result(name, latencies, wall, cpu, f"{note}; JSON {len(state):,} B"))

        run("(a) raw cycle, spec cached", lambda s: serializer.loads(s, spec, subs), serializer.dumps,
            "GIA spec-free converter")
        try:
            from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
            from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
            library = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
            run("(a0) raw cycle, library JSON", library.deserialize_json, library.serialize_json,
                "spec embedded, rebuilt per restore", n=max(100, n // 3))
        except Exception as exc:  # informative only
            print(f"   (a0) skipped: {type(exc).__name__}: {exc}")
    return results


# --------------------------------------------------------------------------------------------- (b) service

def service_cycle(label: str, n: int, warmup: int, profile: str | None = None) -> Result:
    import engine
    from engine.db import db

    tech = engine.user_by_login(TECH)
    data = start_data()
    t0 = time.perf_counter()
    task_ids = []
    for _ in range(n + warmup):
        instance_id = engine.start(PROCESS_ID, data, unit=PPE, actor="iao").instance_id
        [task] = engine.list_tasks(instance_id=instance_id)
        task_ids.append(task.id)
    started = time.perf_counter() - t0
    db.session.rollback()
    form = checklist(datetime.now().date().isoformat())

    def one(task_id):
        result = engine.complete(task_id, tech, dict(form))
        assert [t.bpmn_id for t in result.next_tasks] == ["accept"], result.next_tasks

    for task_id in task_ids[:warmup]:
        one(task_id)
    latencies = []
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
    gc.collect()
    cpu, began = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for task_id in task_ids[warmup:]:
        t0 = time.perf_counter()
        one(task_id)
        latencies.append(time.perf_counter() - t0)
    if profiler:
        profiler.disable()
        _print_profile(profiler, profile, label)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Result(f"(b) engine.complete, {label}", latencies, wall, cpu,
                  f"{n + warmup} instances started in {started:.1f} s ({(n + warmup) / started:.0f}/s)")


def _print_profile(profiler, path: str, label: str) -> None:
    """The profile of (b) saved to `path`, and its 25 most expensive functions by own time and by cumulative time
    (the figures of a profiled run are inflated; the table's are not: they come from a run without it)."""
    import pstats
    profiler.dump_stats(path)
    print(f"\n(b) on {label} under cProfile, saved to {path}:")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)


def run_sqlite(workdir: Path, n_raw, n_service, warmup, profile=None):
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = make_app(url, workdir)
    with app.app_context():
        migrate_and_load(app)
        raw = raw_cycle(n_raw, warmup)
        service = service_cycle("SQLite", n_service, warmup)
        if profile:
            service_cycle("SQLite", n_service, warmup, profile)
        from engine.db import db
        db.session.remove()
        db.engine.dispose()
    return raw, service


def pg_base_url(given: str | None):
    from config import _database_url
    env = os.environ.get("DATABASE_URL", "")
    url = given or (env if env.startswith(("postgresql", "postgres")) else DEFAULT_PG)
    return _database_url(url) if url.startswith(("postgresql", "postgres")) else None


def pg_reachable(base: str) -> str | None:
    import sqlalchemy as sa
    try:
        engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def run_postgres(workdir: Path, base: str, n_service, warmup):
    from bench.pg_schema import throwaway_schema
    with throwaway_schema(base) as url:
        app = make_app(url, workdir)
        with app.app_context():
            migrate_and_load(app)
            result = service_cycle("PostgreSQL", n_service, warmup)
            from engine.db import db
            db.session.remove()
            db.engine.dispose()
        return result


# ---------------------------------------------------------------------------------------------------- main

def table(rows, raw_rate):
    head = ("scenario", "completions", "seconds", "compl./s", "median ms", "p95 ms", "CPU ms", "b/a")
    lines = [head]
    for r in rows:
        ratio = f"{r.rate / raw_rate:.2f}" if r.scenario.startswith("(b)") else ""
        lines.append((r.scenario, f"{r.n}", f"{r.wall:.2f}", f"{r.rate:,.0f}", f"{r.pct(0.5) * 1000:.2f}",
                      f"{r.pct(0.95) * 1000:.2f}", f"{r.cpu / r.n * 1000:.2f}", ratio))
    return aligned(lines)


def aligned(lines: list[tuple]) -> str:
    """Rows as a text table: the first row is the header, underlined; the first column left, the rest right."""
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(lines[0]))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (~15 s)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", help=f"PostgreSQL URL (default: $DATABASE_URL or {DEFAULT_PG})")
    parser.add_argument("--raw", type=int, help="raw cycles to time")
    parser.add_argument("--service", type=int, help="service-layer completions to time per database")
    parser.add_argument("--profile", metavar="FILE", help="also run (b) on SQLite under cProfile, save it to FILE "
                                                         "and print where the time goes")
    args = parser.parse_args(argv)
    n_raw = args.raw or (1000 if args.quick else 2000)
    n_service = args.service or (100 if args.quick else 600)
    warmup = 20 if args.quick else 50
    quiet_logs()

    print(f"GIA Flow engine cycle benchmark — {PROCESS_FILE.relative_to(ROOT)}, checklist task "
          f"(no faults → evaluate script → gateway → accept)")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {_load()} at start")
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="gia-bench-"))
    try:
        raw, sqlite_service = run_sqlite(workdir / "sqlite", n_raw, n_service, warmup, args.profile)
        rows = [*raw, sqlite_service]
        pg_note = None
        if args.no_postgres:
            pg_note = "PostgreSQL: skipped (--no-postgres)"
        else:
            base = pg_base_url(args.pg_url)
            problem = "not a postgresql:// URL" if base is None else pg_reachable(base)
            if problem:
                pg_note = f"PostgreSQL: not reachable, skipped ({problem}); use --no-postgres to silence"
            else:
                rows.append(run_postgres(workdir / "pg", base, n_service, warmup))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    raw_rate = raw[0].rate
    print()
    print(table(rows, raw_rate))
    print("  (CPU ms: this process's CPU time per completion; the rest of the latency is waiting for the database "
          "server, fsync or other processes)")
    print()
    for r in rows:
        print(f"  {r.scenario}: {r.note}")
    if pg_note:
        print(f"  {pg_note}")
    print()
    for r in rows:
        if r.scenario.startswith("(b)"):
            if "SQLite" in r.scenario:
                verdict = "meets" if r.rate / raw_rate >= 0.5 else "misses"
                print(f"  target SQLite b/a ≥ 0.5: {r.rate / raw_rate:.2f} — {verdict} "
                      f"(from median latencies, less sensitive to other load: {raw[0].pct(0.5) / r.pct(0.5):.2f})")
            else:
                verdict = "meets" if r.rate >= 400 else "misses"
                print(f"  target PostgreSQL ≥ 400 completions/s: {r.rate:,.0f} — {verdict}")
    print(f"\n  total run time {time.perf_counter() - began:.1f} s; load average {_load()} at the end "
          "(other processes on the machine inflate every number)")


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


if __name__ == "__main__":
    main()
