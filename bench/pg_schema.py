"""A bench's own PostgreSQL schema: created for one run and dropped after it, so that a bench never touches the
tests' or the demo's tables."""
import os
import uuid
from contextlib import contextmanager

from bench.engine_cycle import pg_reachable


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
