"""Rows of a database as JSON and back, by the tables and columns the database has at its revision.

A fixture is the data a released schema held: {"revision": "0005", "tables": {name: {"columns": [...],
"rows": [[...], ...]}}}. It is written from a database at that revision and loaded into an empty one migrated to
it, on SQLite or PostgreSQL alike (values are typed by the columns reflected there, not by the dump).
"""
import json
from datetime import date, datetime, timezone

import sqlalchemy as sa

SKIPPED = {"alembic_version"}


def reflect(connection) -> sa.MetaData:
    meta = sa.MetaData()
    meta.reflect(connection)
    return meta


def dump(connection) -> dict[str, dict]:
    """Every row of every table, ordered by primary key, with values made JSON (times as naive UTC ISO)."""
    meta = reflect(connection)
    tables = {}
    for table in meta.sorted_tables:
        if table.name in SKIPPED:
            continue
        columns = [c.name for c in table.columns]
        order = list(table.primary_key.columns) or list(table.columns)
        rows = [[plain(value) for value in row] for row in connection.execute(sa.select(table).order_by(*order))]
        tables[table.name] = {"columns": columns, "key": [c.name for c in order], "rows": rows}
    return tables


def plain(value):
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode()
    if isinstance(value, str) and value[:1] in "[{":
        try:  # a JSON column SQLite reflects as text: compare what it holds, not its spacing
            return json.loads(value)
        except ValueError:
            return value
    return value


def load(connection, tables: dict[str, dict], replace: bool = False) -> None:
    """Insert the fixture's rows, typed by the columns of the database (parents before children). With `replace`,
    the rows the tables hold already (what a migration seeded) are deleted first: the fixture holds them too."""
    meta = reflect(connection)
    if replace:
        for table in reversed(meta.sorted_tables):
            if tables.get(table.name, {}).get("rows"):
                connection.execute(table.delete())
    for table in meta.sorted_tables:
        given = tables.get(table.name)
        if not given or not given["rows"]:
            continue
        kinds = {c.name: c.type for c in table.columns}
        rows = [{name: typed(value, kinds[name]) for name, value in zip(given["columns"], row) if name in kinds}
                for row in given["rows"]]
        connection.execute(table.insert(), rows)
    if connection.dialect.name == "postgresql":
        _restart_sequences(connection, meta)


def typed(value, kind):
    if value is None:
        return None
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.JSON):
        return value
    if isinstance(value, (dict, list)):  # JSON kept in a text column
        return json.dumps(value, ensure_ascii=False)
    return value


def _restart_sequences(connection, meta) -> None:
    """Ids were given explicitly: the next row the engine inserts must not take one of them."""
    for table in meta.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = connection.exec_driver_sql(
                f"SELECT pg_get_serial_sequence('\"{table.name}\"', '{column.name}')").scalar()
            if sequence:
                connection.exec_driver_sql(
                    f"SELECT setval('{sequence}', (SELECT COALESCE(MAX(\"{column.name}\"), 0) + 1 "
                    f"FROM \"{table.name}\"), false)")


def keyed(tables: dict[str, dict]) -> dict[str, dict]:
    """{table: {primary key: {column: value}}} for comparing two dumps row by row and column by column."""
    out = {}
    for name, given in tables.items():
        columns = given["columns"]
        at = [columns.index(c) for c in given["key"]]
        out[name] = {json.dumps([row[i] for i in at]): dict(zip(columns, row)) for row in given["rows"]}
    return out
