"""A bench's own databases: a fresh SQLite file, and a PostgreSQL schema created for one run and dropped after
it, so that a bench never touches the tests' or the demo's tables."""
import os
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from bench.engine_cycle import aligned, pg_reachable


@contextmanager
def throwaway_schema(base: str, label: str = ""):
    """A fresh PostgreSQL schema for one bench run, dropped afterwards, whatever happens: yields the URL that
    works in it (search_path set on every connection)."""
    import sqlalchemy as sa
    schema = f"gia_bench_{label + '_' if label else ''}{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def postgres_base(pg_url: str) -> str | None:
    """The server's URL for `pg_url`, or None (having said why) when it cannot be reached."""
    from config import _database_url
    base = _database_url(pg_url)
    problem = pg_reachable(base)
    if problem:
        print(f"PostgreSQL skipped: {problem}")
        return None
    return base


def on_both_backends(title: str, header: tuple, measure, n: int, pg_url: str, label: str,
                     sqlite: bool = True, postgres: bool = True) -> None:
    """Print `measure(backend, url, workdir, n, runners)`'s rows under `header`: one runner on SQLite, one and
    two on PostgreSQL, with the machine's load at the start and the end (the figures are only as quiet as it)."""
    print(f"GIA Flow {title}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start", flush=True)
    rows = [header]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if sqlite:
            rows += measure("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", workdir, n, [1])
        base = postgres_base(pg_url) if postgres else None
        if base is not None:
            with throwaway_schema(base, label) as url:
                rows += measure("PostgreSQL", url, workdir, n, [1, 2])
    print(aligned(rows))
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
