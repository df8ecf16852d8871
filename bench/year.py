"""The simulated school year as a benchmark: `flask gia simulate` on a fresh SQLite file and a fresh PostgreSQL
schema, for 60 schools / 20 PPE and (for the growth ratio) 120 and 240 schools, printing wall time, instances and
tasks, completions/s, database size and peak RSS. Each run is a subprocess of the real CLI, so its peak RSS is
its own. It asserts nothing; the issue's targets: the year for 60 schools in < 120 s on SQLite, and time per task
growing at most ×1.15 from 60 to 240 schools.

    .venv/bin/python bench/year.py                 # 60/20 on SQLite and PostgreSQL, then 120 and 240 on SQLite
    .venv/bin/python bench/year.py --quick         # 10 and 20 schools, SQLite only
    .venv/bin/python bench/year.py --no-postgres --sizes 60,120
    .venv/bin/python bench/year.py --postgres-only --sizes 1000 --ppe 300 --workers 2   # the republic-sized run
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"
TARGET_SECONDS = 120


def run(url: str, workdir: Path, schools: int, ppe: int, seed: int, workers: int = 1) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "GIA_VAR_DIR": str(workdir), "UPLOAD_DIR": str(workdir / "uploads"),
           "GIA_CLOCK": "manual", "SECRET_KEY": "bench"}
    subprocess.run([str(FLASK), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    started = time.perf_counter()
    proc = subprocess.Popen([str(FLASK), "--app", "wsgi", "gia", "simulate", "--schools", str(schools),
                             "--ppe", str(ppe), "--seed", str(seed), "--workers", str(workers), "--json"],
                            cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"simulate failed ({schools} schools): {out.decode()[-2000:]}")
    report = json.loads(out)
    report.update(wall=wall, rss_mb=usage.ru_maxrss / 1024, cpu=usage.ru_utime + usage.ru_stime)
    return report


def sqlite_run(schools, ppe, seed) -> dict:
    with tempfile.TemporaryDirectory(prefix="gia-year-") as tmp:
        path = Path(tmp) / "year.db"
        report = run(f"sqlite:///{path}", Path(tmp), schools, ppe, seed)
        report["db_mb"] = path.stat().st_size / 1e6
        return report


def postgres_run(base: str, schools, ppe, seed, workers=1) -> dict | None:
    try:
        from sqlalchemy import create_engine, text
        sys.path.insert(0, str(ROOT))
        from config import _database_url  # the driver the app uses (psycopg 3)
        base = _database_url(base)
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        schema = f"gia_bench_year_{uuid.uuid4().hex[:8]}"
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 (any failure to reach the server means: skip it)
        print(f"PostgreSQL at {base} not reachable ({exc.__class__.__name__}); skipped")
        return None
    sep = "&" if "?" in base else "?"
    try:
        with tempfile.TemporaryDirectory(prefix="gia-year-") as tmp:
            report = run(f"{base}{sep}options=-csearch_path%3D{schema}", Path(tmp), schools, ppe, seed, workers)
        with engine.connect() as conn:
            report["db_mb"] = float(conn.execute(text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'm')"),
                {"s": schema}).scalar()) / 1e6
        return report
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def row(label: str, r: dict) -> str:
    rate = r["completions"] / r["seconds"] if r["seconds"] else 0
    return (f"{label:<24} {r['schools']:>7} {r['ppe']:>4} {r['wall']:>8.1f} {r['instances']:>9} {r['tasks']:>7} "
            f"{r['completions']:>11} {rate:>9.1f} {r['db_mb']:>7.1f} {r['rss_mb']:>8.0f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 and 20 schools on SQLite only")
    parser.add_argument("--sizes", help="school counts, comma-separated (default 60,120,240)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-only", action="store_true", help="every size on PostgreSQL, none on SQLite")
    parser.add_argument("--ppe", type=int, help="PPE per run (default: a third of the schools)")
    parser.add_argument("--workers", type=int, default=1, help="simulation processes for PostgreSQL runs")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL", "").startswith("postgresql")
                        and os.environ["DATABASE_URL"] or "postgresql://127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("10,20" if args.quick else "60,120,240")).split(",")]
    print(f"GIA Flow simulated year 2020/21; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    print(f"{'run':<24} {'schools':>7} {'ppe':>4} {'wall s':>8} {'instances':>9} {'tasks':>7} {'completions':>11} "
          f"{'compl/s':>9} {'db MB':>7} {'RSS MB':>8}")
    results = []
    pg_label = f"PostgreSQL, {args.workers} proc." if args.workers > 1 else "PostgreSQL"
    for n in sizes:
        ppe = args.ppe or max(1, n // 3)
        if args.postgres_only:
            report = postgres_run(args.pg_url, n, ppe, args.seed, args.workers)
            if report is None:
                return
            results.append(report)
            print(row(pg_label, report), flush=True)
            continue
        report = sqlite_run(n, ppe, args.seed)
        results.append(report)
        print(row("SQLite", report), flush=True)
        if n == sizes[0] and not (args.no_postgres or args.quick):
            pg = postgres_run(args.pg_url, n, ppe, args.seed, args.workers)
            if pg:
                print(row(pg_label, pg), flush=True)
    base = results[0]
    print("time per task: " + ", ".join(f"{r['schools']} schools {1000 * r['wall'] / r['tasks']:.1f} ms"
                                         for r in results))
    if not args.postgres_only:
        verdict = "meets" if base["wall"] < TARGET_SECONDS else "MISSES"
        print(f"\ntarget: the year for {base['schools']} schools on SQLite in < {TARGET_SECONDS} s: "
              f"{base['wall']:.1f} s — {verdict}")
    for r in results[1:]:
        print(f"growth {base['schools']} → {r['schools']} schools (×{r['schools'] / base['schools']:.0f}): "
              f"wall ×{r['wall'] / base['wall']:.2f}, tasks ×{r['tasks'] / base['tasks']:.2f}, "
              f"time per task ×{(r['wall'] / r['tasks']) / (base['wall'] / base['tasks']):.2f} (1.00 = linear)")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
