"""Backup and restore of the simulated year (issue 16 §1, §2): `flask gia simulate` for 60 schools on a fresh SQLite
file and a fresh PostgreSQL schema, then `flask gia backup`, `flask gia restore` into an empty database (a new
file; a new PostgreSQL database, dropped after) and `flask gia check`, each a subprocess of the real CLI, printing
wall times, the backup's size and the database's rows; and the cost of one /metrics scrape on that year
(bench/metrics.py `scrape_cost`, when present). It asserts nothing.

    .venv/bin/python bench/backup.py                      # 60 schools / 20 PPE, SQLite and PostgreSQL
    .venv/bin/python bench/backup.py --schools 10 --until 2021-01-31 --no-postgres   # a quick look
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
sys.path.insert(0, str(ROOT))
FLASK = ROOT / ".venv" / "bin" / "flask"


def cli(url: str, workdir: Path, *args) -> tuple[float, dict | None]:
    """Run `flask ARGS` on `url` with uploads in workdir/uploads: (wall seconds, its --json output if any)."""
    env = {**os.environ, "DATABASE_URL": url, "GIA_VAR_DIR": str(workdir), "UPLOAD_DIR": str(workdir / "uploads"),
           "GIA_CLOCK": "manual", "SECRET_KEY": "bench", "FLASK_APP": "wsgi"}
    started = time.perf_counter()
    done = subprocess.run([str(FLASK), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(map(str, args))} failed:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    return wall, json.loads(done.stdout) if "--json" in args else None


def measure(label: str, source: str, target: str, tmp: Path, args) -> None:
    source_dir, target_dir = tmp / "source", tmp / "target"
    source_dir.mkdir()
    target_dir.mkdir()
    cli(source, source_dir, "db", "upgrade")
    year = ["gia", "simulate", "--schools", str(args.schools), "--ppe", str(args.ppe or max(1, args.schools // 3)),
            "--json"] + (["--until", args.until] if args.until else [])
    simulated, report = cli(source, source_dir, *year)
    took, backup = cli(source, source_dir, "gia", "backup", tmp / "backups", "--json")
    restored, _ = cli(target, target_dir, "gia", "restore", tmp / "backups", "--json")
    checked, verdict = cli(target, target_dir, "gia", "check", "--json")
    rows = sum(backup["tables"].values())
    print(f"{label:<11} {report['instances']:>9} {rows:>9} {simulated:>8.1f} {took:>9.1f} {backup['size'] / 1e6:>8.1f} "
          f"{restored:>10.1f} {checked:>8.1f}  {'ok' if verdict['ok'] else verdict['problems'][:3]}", flush=True)
    scrape(label, source)


def scrape(label: str, url: str) -> None:
    try:
        from bench.metrics import scrape_cost
    except ImportError:
        return
    from config import _database_url
    from webui import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database_url(url), "TESTING": True})
    with app.app_context():
        cost = scrape_cost(app, 20)
        from engine.db import db
        db.engine.dispose()
    print(f"{'':<11} /metrics on this year: median {cost['median_ms']:.1f} ms, p95 {cost['p95_ms']:.1f} ms, "
          f"{cost['bytes']} bytes", flush=True)


def sqlite(args) -> None:
    with tempfile.TemporaryDirectory(prefix="gia-backup-") as tmp:
        tmp = Path(tmp)
        measure("SQLite", f"sqlite:///{tmp / 'source.sqlite3'}", f"sqlite:///{tmp / 'target.sqlite3'}", tmp, args)


def postgres(args) -> None:
    from sqlalchemy import create_engine, make_url
    from config import _database_url
    base = _database_url(args.pg_url)
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    schema, database = f"gia_bench_backup_{uuid.uuid4().hex[:8]}", f"gia_bench_restore_{uuid.uuid4().hex[:8]}"
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    except Exception as exc:  # noqa: BLE001 (any failure to reach the server means: skip it)
        print(f"PostgreSQL at {base} not reachable ({exc.__class__.__name__}); skipped")
        return
    sep = "&" if "?" in base else "?"
    target = make_url(base).set(database=database).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="gia-backup-") as tmp:
            measure("PostgreSQL", f"{base}{sep}options=-csearch_path%3D{schema}", target, Path(tmp), args)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        server.dispose()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=60)
    parser.add_argument("--ppe", type=int, help="PPE (default: a third of the schools)")
    parser.add_argument("--until", help="stop the year on this day (YYYY-MM-DD); default: the whole year")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL", "").startswith("postgresql")
                        and os.environ["DATABASE_URL"] or "postgresql://127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    print(f"GIA Flow backup and restore of the simulated year, {args.schools} schools; {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    print(f"{'database':<11} {'instances':>9} {'rows':>9} {'year s':>8} {'backup s':>9} {'size MB':>8} "
          f"{'restore s':>10} {'check s':>8}  check")
    sqlite(args)
    if not args.no_postgres:
        postgres(args)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
