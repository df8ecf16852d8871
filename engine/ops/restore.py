"""`flask gia restore DIR`: a backup (engine.ops.backup) put back onto an EMPTY database and upload folder, as on
another machine after a loss. Nothing is overwritten: a database with tables or an upload folder with files is
refused, and every file of the backup is checked against the manifest before anything is written.

SQLite: the backup's file is copied into place. PostgreSQL: `pg_restore --no-owner --single-transaction` into the
empty database, so a failure leaves it empty. The dump holds the schema it was taken from; restored into a
database whose search path names another schema, the restored one is renamed to it (an empty one of that name,
e.g. a new database's `public`, is dropped first).
"""
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..db import db, is_postgres
from .backup import (MANIFEST, PG_FILE, SQLITE_FILE, UPLOADS, BackupError, complete_backups, pg_environment,
                     pg_tool, run_tool, sha256_of, tool_major)


class RefusedRestore(BackupError):
    def __init__(self, problems: list[str]):
        self.lines = problems
        super().__init__(_l("Restore refused: %(first)s"), first=problems[0])

    def problems(self) -> list[str]:
        return self.lines


@dataclass
class RestoreResult:
    source: Path
    manifest: dict
    files: int
    tables: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"source": str(self.source), "taken_at": self.manifest.get("taken_at"),
                "database": self.manifest["database"], "alembic_revision": self.manifest.get("alembic_revision"),
                "uploads": self.files, "tables": self.tables, "clock": self.manifest.get("clock")}


def backup_folder(path: Path) -> Path:
    """`path` itself when it is one backup, else the newest complete backup under it."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return path
    found = complete_backups(path)
    if not found:
        raise RefusedRestore([str(_l("No backup in %(path)s: no manifest.json there or in a folder under it.",
                                     path=path))])
    return found[-1]


def verify(folder: Path) -> dict:
    """The manifest, once every file it lists is there with its size and SHA-256 and nothing else is; else
    RefusedRestore naming each file that differs."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RefusedRestore([str(_l("The backup's manifest cannot be read: %(detail)s", detail=exc))]) from None
    problems = []
    for relative, entry in sorted(listed.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(str(_l("File %(file)s of the backup is missing.", file=relative)))
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            problems.append(str(_l("File %(file)s of the backup does not match its checksum in the manifest.",
                                   file=relative)))
    extra = [p.relative_to(folder).as_posix() for p in folder.rglob("*")
             if p.is_file() and p.name != MANIFEST and p.relative_to(folder).as_posix() not in listed]
    problems += [str(_l("File %(file)s is not in the backup's manifest.", file=name)) for name in sorted(extra)]
    if problems:
        raise RefusedRestore(problems)
    return manifest


def restore(path: Path) -> RestoreResult:
    folder = backup_folder(path)
    manifest = verify(folder)
    kind = "postgresql" if is_postgres() else "sqlite"
    if manifest["database"] != kind:
        raise RefusedRestore([str(_l("The backup holds a %(have)s database; this installation uses %(want)s.",
                                     have=manifest["database"], want=kind))])
    uploads = Path(current_app.config["UPLOAD_DIR"])
    problems = _not_empty(uploads)
    if problems:
        raise RefusedRestore(problems)
    if kind == "sqlite":
        _restore_sqlite(folder / SQLITE_FILE)
    else:
        _restore_pg(folder / PG_FILE, manifest["schema"])
    files = _restore_uploads(folder / UPLOADS, uploads)
    tables = _counts(manifest["tables"])
    differ = [t for t, n in manifest["tables"].items() if tables.get(t) != n]
    if differ:
        raise BackupError(_l("The restored database's rows differ from the manifest in: %(tables)s"),
                          tables=", ".join(differ))
    return RestoreResult(folder, manifest, files, tables)


def _not_empty(uploads: Path) -> list[str]:
    problems = []
    tables = _tables()
    if tables:
        problems.append(str(_l("The database is not empty (tables %(tables)s): restore needs an empty database; "
                               "create a new one (do not run `flask db upgrade` on it).",
                               tables=", ".join(tables[:5]) + ("…" if len(tables) > 5 else ""))))
    if uploads.is_dir() and any(uploads.iterdir()):
        problems.append(str(_l("The upload folder %(path)s is not empty: restore needs an empty one.",
                               path=uploads)))
    return problems


def _tables() -> list[str]:
    with db.engine.connect() as conn:
        schema = _target_schema(conn) if is_postgres() else None
        return sorted(sa.inspect(conn).get_table_names(schema=schema))


def _target_schema(conn) -> str:
    """The schema this installation's tables go to: the first of the search path that is not "$user"."""
    path = conn.exec_driver_sql("SHOW search_path").scalar()
    names = [n.strip().strip('"') for n in path.split(",") if n.strip() and n.strip() != '"$user"']
    return names[0] if names else "public"


def _counts(expected: dict) -> dict:
    with db.engine.connect() as conn:
        schema = _target_schema(conn) if is_postgres() else None
        return {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t, schema=schema))).scalar()
                for t in expected}


def _restore_sqlite(source: Path) -> None:
    target = Path(db.engine.url.database)
    db.session.remove()
    db.engine.dispose()  # no connection of ours keeps the empty file open while it is replaced
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        # the empty database's log: left beside the copy, SQLite would apply it to the restored file
        stale.unlink(missing_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    shutil.copyfile(source, temp)
    os.replace(temp, target)


def _restore_pg(dump: Path, source_schema: str) -> None:
    tool = pg_tool("pg_restore")
    url = db.engine.url
    with db.engine.connect() as conn:
        server = int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
        target_schema = _target_schema(conn)
        existing = set(conn.exec_driver_sql("SELECT nspname FROM pg_namespace").scalars())
    if tool_major(tool) < server:
        raise BackupError(_l("%(tool)s %(client)s is older than the PostgreSQL %(server)s server."), tool=tool,
                          client=tool_major(tool), server=server)
    if source_schema != target_schema and source_schema in existing:
        raise RefusedRestore([str(_l("The database already holds a schema %(schema)s (the backup's); restore "
                                     "into a new database.", schema=source_schema))])
    # A schema that exists already is not created again (pg_restore would fail on it): its entry is left out.
    entries = _listing(tool, dump, url)
    keep = [line for line in entries.splitlines()
            if not (source_schema in existing and f" SCHEMA - {source_schema} " in f"{line} ")]
    with tempfile.TemporaryDirectory() as temp:
        listing = Path(temp) / "list"
        listing.write_text("\n".join(keep) + "\n", encoding="utf-8")
        run_tool([tool, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                  f"--use-list={listing}", f"--dbname={url.database}", str(dump)], url)
    if source_schema != target_schema:
        with db.engine.begin() as conn:
            if target_schema in existing:
                conn.exec_driver_sql(f'DROP SCHEMA "{target_schema}" RESTRICT')  # empty: checked before
            conn.exec_driver_sql(f'ALTER SCHEMA "{source_schema}" RENAME TO "{target_schema}"')
    db.engine.dispose()


def _listing(tool: str, dump: Path, url) -> str:
    done = subprocess.run([tool, "--list", str(dump)], env=pg_environment(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(_l("%(tool)s failed: %(detail)s"), tool="pg_restore", detail=done.stderr.strip()[-2000:])
    return done.stdout


def _restore_uploads(source: Path, target: Path) -> int:
    count = 0
    if not source.is_dir():
        return 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=dest.parent, prefix=".restore-")
        os.close(fd)
        shutil.copyfile(path, temp)
        os.replace(temp, dest)
        count += 1
    return count
