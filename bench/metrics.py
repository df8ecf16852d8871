"""What one scrape of /metrics costs (issue 16 §5), and one /readyz and one operators' page beside it, on the
demo's data: the database's gauges are read at every scrape, so their statements grow with the year.

By default the demo is built first, as `make run` builds it (`flask db upgrade`, then `flask gia demo
--plan-until DATE` in a temporary directory, on SQLite; with `--postgresql` in a schema of its own of
$DATABASE_URL, else 127.0.0.1:5432/test, dropped at the end); `--database-url` scrapes an existing database
instead (the `var/gia.sqlite3` of `make run`, or a PostgreSQL one). Each request goes through the Flask test client in this
process (no HTTP server: the figure is the application's cost). It prints the median, p95 and max milliseconds per
scrape, the size of the answer and the rows it counted. It asserts nothing.

Then the same scrape in multiprocess mode, as `make run` and the systemd units serve it (PROMETHEUS_MULTIPROC_DIR,
webui/health.py), in a process of its own started with the variable set (prometheus_client picks its mode when
imported): the counters are read from the files of `--processes` processes (default 4: two gunicorn workers, a
Celery worker, beat), copies of the measuring process's own files under other pids.

    .venv/bin/python bench/metrics.py                                 # demo to 04.12.2020, then 50 scrapes
    .venv/bin/python bench/metrics.py --until 2020-10-01 --n 100
    .venv/bin/python bench/metrics.py --postgresql
    .venv/bin/python bench/metrics.py --database-url sqlite:///var/gia.sqlite3
    .venv/bin/python bench/metrics.py --processes 9                   # multiprocess: 8 workers and beat

`scrape_cost(app, n)` is the measurement alone, for another bench to call with an application of its own.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = ROOT / ".venv" / "bin" / "flask"
DEMO_DATE = "2020-12-04"  # the Makefile's DEMO_DATE


def scrape_cost(app, n: int = 50, path: str = "/metrics") -> dict:
    """Milliseconds per GET of `path` over `n` requests (after one warm-up), from 127.0.0.1 (allowed by default)."""
    client = app.test_client()
    first = client.get(path)
    if first.status_code not in (200, 503):
        raise SystemExit(f"{path} answered {first.status_code}: {first.get_data(as_text=True)[:300]}")
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": statistics.median(times), "p95_ms": times[int(len(times) * 0.95) - 1], "max_ms": times[-1],
            "bytes": len(first.data)}


def _build_demo(tmp: Path, until: str, url: str | None = None) -> str:
    url = url or f"sqlite:///{tmp / 'gia.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "GIA_VAR_DIR": str(tmp), "UPLOAD_DIR": str(tmp / "uploads"),
           "FLASK_APP": "wsgi"}
    env.pop("GIA_CLOCK", None)
    for argv in ([str(FLASK), "db", "upgrade"], [str(FLASK), "gia", "demo", "--plan-until", until, "--json"]):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"{' '.join(argv[1:3])}: {time.perf_counter() - started:.0f} s", flush=True)
    return url


def _measure(url: str, n: int, processes: int = 0) -> None:
    from sqlalchemy import func, select

    from engine.db import db
    from engine.models import HumanTask, ProcessInstance
    from webui import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        instances = db.session.scalar(select(func.count()).select_from(ProcessInstance))
        tasks = db.session.scalar(select(func.count()).select_from(HumanTask))
        db.session.rollback()
        if processes:
            _as_other_processes(app, processes)
            print(f"\nmultiprocess mode: the counters of {processes} processes' files", end="")
        else:
            print(f"database: {db.engine.dialect.name}, {instances} instances, {tasks} task rows", end="")
        print(f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"\n{'request':<12} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'bytes':>8}")
        for path in ("/metrics", "/readyz") if not processes else ("/metrics",):
            cost = scrape_cost(app, n, path)
            print(f"{path:<12} {cost['median_ms']:>10.1f} {cost['p95_ms']:>8.1f} {cost['max_ms']:>8.1f} "
                  f"{cost['bytes']:>8}")
        db.engine.dispose()


def _as_other_processes(app, processes: int) -> None:
    """This process's multiprocess files (made by a first round of scrapes) copied under `processes - 1` other pids:
    what a scrape reads when every process of the machine has counted the same series."""
    scrape_cost(app, 5)
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    own = [path for path in folder.glob(f"*_{os.getpid()}.db")]
    for fake_pid in range(1, processes):
        for path in own:
            shutil.copy(path, folder / path.name.replace(f"_{os.getpid()}.db", f"_{10_000_000 + fake_pid}.db"))


def _measure_multiprocess(url: str, n: int, processes: int) -> None:
    """`_measure` in multiprocess mode, in a process started with PROMETHEUS_MULTIPROC_DIR set."""
    with tempfile.TemporaryDirectory(prefix="gia-metrics-mp-") as folder:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder}
        subprocess.run([sys.executable, __file__, "--database-url", url, "--n", str(n), "--processes",
                        str(processes), "--in-multiprocess"], env=env, check=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="scrape this database instead of building the demo")
    parser.add_argument("--until", default=DEMO_DATE, help=f"the demo date (default {DEMO_DATE})")
    parser.add_argument("--n", type=int, default=50, help="scrapes to time (default 50)")
    parser.add_argument("--postgresql", action="store_true", help="build the demo on PostgreSQL")
    parser.add_argument("--processes", type=int, default=4,
                        help="processes whose files a multiprocess scrape reads (default 4; 0: skip that mode)")
    parser.add_argument("--in-multiprocess", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args(argv)
    if args.in_multiprocess:
        _measure(args.database_url, args.n, args.processes)
        return
    if args.database_url:
        from config import _database_url
        _measure_both(_database_url(args.database_url), args)
        return
    with tempfile.TemporaryDirectory(prefix="gia-metrics-") as tmp:
        os.environ["GIA_VAR_DIR"] = tmp  # the app's own files (the broker's SQLite) stay in the temporary folder
        if not args.postgresql:
            _measure_both(_build_demo(Path(tmp), args.until), args)
            return
        base, schema = _pg_base(), f"gia_bench_metrics_{uuid.uuid4().hex[:8]}"
        _on_server(base, f'CREATE SCHEMA "{schema}"')
        try:
            url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
            _build_demo(Path(tmp), args.until, url)
            from config import _database_url
            _measure_both(_database_url(url), args)
        finally:
            _on_server(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _measure_both(url: str, args) -> None:
    _measure(url, args.n)
    if args.processes > 0:
        _measure_multiprocess(url, args.n, args.processes)


def _pg_base() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres")) else "postgresql://127.0.0.1:5432/test"


def _on_server(base: str, statement: str) -> None:
    import sqlalchemy as sa
    from config import _database_url
    engine = sa.create_engine(_database_url(base))
    with engine.begin() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


if __name__ == "__main__":
    main()
