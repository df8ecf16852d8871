"""`flask gia backup DIR`: one consistent snapshot of everything the year needs, written to DIR/<UTC time>/.

What a snapshot holds: the database (SQLite's online backup API, which copies a consistent image while other
processes go on writing; `pg_dump -Fc` on PostgreSQL, reading one MVCC snapshot and holding only ACCESS SHARE
locks, which block no writer), the uploaded files, the deployed definitions written out as files for people to
read (the database holds them too), and manifest.json: versions, the alembic revision, rows per table read from
the same snapshot as the dump, and the SHA-256 of every file. Uploads are copied after the database snapshot:
a file is written before its row commits (engine.attachments.store) and never removed, so every row of the
snapshot finds its file. The folder is written under a hidden temporary name and renamed when complete, so a
folder with a timestamp name is always a whole backup.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import store
from ..db import db, is_postgres
from ..errors import EngineError
from ..models import EngineSetting
from .ticks import BACKUP_KEY, _upsert

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS = "uploads"
DEFINITIONS = "definitions"
LAST_BACKUP_KEY = BACKUP_KEY  # ISO UTC of the last complete backup
NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z$")  # a complete backup's folder (20261207T020000.123456Z)
PARTIAL_STALE_SECONDS = 24 * 3600
UPLOAD_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")  # what engine.attachments stores; temp files are not
FORMAT = 1
_CHUNK = 1 << 20


class BackupError(EngineError):
    pass


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    seconds: float
    size: int
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"path": str(self.path), "seconds": round(self.seconds, 2), "size": self.size,
                "tables": self.manifest["tables"], "files": len(self.manifest["files"]),
                "missing_uploads": self.manifest["missing_uploads"], "removed": self.removed}


def backup(target: Path, keep: int | None = None) -> BackupResult:
    """Write a backup under `target` and, with `keep`, remove all but the newest `keep` complete backups there."""
    started = time.perf_counter()
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    work = target / f".{name}.partial"
    work.mkdir(mode=0o700)  # the database holds password hashes and pupils' data: its owner's eyes only
    try:
        manifest = _snapshot(work)
        manifest["taken_at"] = name_moment(name).isoformat()
        manifest["files"] = {path: _file_entry(work / path) for path in _files_under(work)}
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _sync(work)
        final = target / name
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _record(name_moment(name))
    removed = prune(target, keep) if keep else []
    size = sum(entry["size"] for entry in manifest["files"].values())
    return BackupResult(final, manifest, time.perf_counter() - started, size, removed)


def name_moment(name: str) -> datetime:
    return datetime.strptime(name, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=timezone.utc)


def complete_backups(target: Path) -> list[Path]:
    """The complete backups under `target`, oldest first."""
    if not Path(target).is_dir():
        return []
    return sorted(p for p in Path(target).iterdir() if NAME.match(p.name) and (p / MANIFEST).is_file())


def prune(target: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` complete backups, and what a killed backup left (a partial folder over a day
    old: a backup still being written is younger); folders of other names are left alone."""
    old = complete_backups(target)[:-keep] if keep > 0 else []
    stale = time.time() - PARTIAL_STALE_SECONDS
    old += [p for p in Path(target).iterdir() if p.name.startswith(".") and p.name.endswith(".partial")
            and p.is_dir() and p.stat().st_mtime < stale]
    for path in old:
        shutil.rmtree(path)
    return [p.name for p in old]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"sha256": sha256_of(path), "size": path.stat().st_size}


def _files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _snapshot(work: Path) -> dict:
    if is_postgres():
        return _pg_snapshot(work)
    return _sqlite_snapshot(work)


def _sqlite_snapshot(work: Path) -> dict:
    source_path = db.engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError(_l("Only a database in a file can be backed up."))
    copy = work / SQLITE_FILE
    source, dest = sqlite3.connect(source_path, timeout=60), sqlite3.connect(copy)
    try:
        # One step (pages=-1): the copy is taken under one read transaction, a consistent image; in WAL mode
        # writers go on meanwhile. Copied in several steps, a write in between would restart the copy.
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        source.close()
        dest.close()
    reader = sa.create_engine(f"sqlite:///{copy}")
    try:
        with reader.connect() as conn:
            manifest = _describe(conn, "sqlite", None)
            attachments = _attachment_hashes(conn)
            _write_definitions(conn, work)
    finally:
        reader.dispose()
    manifest["missing_uploads"] = _copy_uploads(attachments, work)
    return manifest


def _pg_snapshot(work: Path) -> dict:
    tool = pg_tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # The dump and everything the manifest says are read in one snapshot, exported by this transaction.
        server = int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
        client = tool_major(tool)
        if client < server:
            raise BackupError(_l("%(tool)s %(client)s cannot dump a PostgreSQL %(server)s server: install the "
                                 "client of the server's version."), tool=tool, client=client, server=server)
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        run_tool([tool, "--format=custom", "--no-owner", f"--schema={schema}", f"--snapshot={snapshot}",
                  f"--file={work / PG_FILE}"], db.engine.url)
        manifest = _describe(conn, "postgresql", schema)
        manifest["pg_dump"] = client
        attachments = _attachment_hashes(conn)
        _write_definitions(conn, work)
        conn.rollback()
    manifest["missing_uploads"] = _copy_uploads(attachments, work)
    return manifest


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(_l("%(tool)s is not installed: PostgreSQL's client programs are needed."), tool=name)
    return found


def tool_major(tool: str) -> int:
    text = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"\)\s*(\d+)", text)  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
    if found is None:
        raise BackupError(_l("Cannot tell the version of %(tool)s: %(text)s"), tool=tool, text=text.strip())
    return int(found.group(1))


def pg_environment(url) -> dict:
    """The connection of `url` (a SQLAlchemy URL) as libpq's variables: a password never appears in a command line
    (other users see those in `ps`) nor in a log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": url.database, "PGOPTIONS": url.query.get("options"),
              "PGSSLMODE": url.query.get("sslmode")}
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def run_tool(argv: list[str], url) -> None:
    done = subprocess.run(argv, env=pg_environment(url), capture_output=True, text=True)
    if done.returncode != 0:
        detail = done.stderr.strip()
        if url.password:
            detail = detail.replace(url.password, "***")
        raise BackupError(_l("%(tool)s failed: %(detail)s"), tool=Path(argv[0]).name, detail=detail[-2000:])


def _describe(conn, kind: str, schema: str | None) -> dict:
    tables = sorted(sa.inspect(conn).get_table_names(schema=schema))
    counts = {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t, schema=schema))).scalar()
              for t in tables}
    settings = dict(conn.execute(sa.select(EngineSetting.key, EngineSetting.value)).all()) \
        if "engine_setting" in tables else {}
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
        if "alembic_version" in tables else None
    return {"format": FORMAT, "database": kind, "schema": schema, "alembic_revision": revision,
            "app": _app_version(), "spiffworkflow": metadata.version("SpiffWorkflow"),
            "serializer": _serializer_version(), "clock": {"mode": settings.get("clock.mode", "real"),
                                                          "now": settings.get("clock.now")},
            "tables": counts}


def _serializer_version() -> str:
    from ..bpmn.serializer import FORMAT_VERSION
    return FORMAT_VERSION


def _app_version() -> str | None:
    """The commit the code was deployed from, when it runs from a git checkout; GIA_VERSION otherwise."""
    if os.environ.get("GIA_VERSION"):
        return os.environ["GIA_VERSION"]
    base = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(["git", "-C", str(base), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _attachment_hashes(conn) -> set[str]:
    return set(conn.execute(sa.text("SELECT DISTINCT sha256 FROM attachment")).scalars())


def _write_definitions(conn, work: Path) -> None:
    """Every deployed version's files as deployed, definitions/v0007/plan_order.bpmn: to read or deploy again
    without the database."""
    rows = conn.execute(sa.text("SELECT deployment_id, filename, content FROM deployment_file ORDER BY id"))
    for deployment_id, filename, content in rows:
        folder = work / DEFINITIONS / f"v{deployment_id:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / Path(filename).name).write_text(content, encoding="utf-8")


def _copy_uploads(referenced: set[str], work: Path) -> list[str]:
    """Copy the stored files (not the temporary ones of uploads under way); return the referenced hashes
    whose file is missing from the upload folder."""
    root = Path(current_app.config["UPLOAD_DIR"])
    present = set()
    if root.is_dir():
        for relative in _files_under(root):
            if not UPLOAD_NAME.match(relative):
                continue
            target = work / UPLOADS / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relative, target)
            present.add(relative.split("/")[1])
    return sorted(referenced - present)


def _sync(work: Path) -> None:
    """Flush the files to disk before the rename makes the backup look complete."""
    for path in [*work.rglob("*"), work]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _record(moment: datetime) -> None:
    """The mark /readyz and gia_last_backup_age_seconds read (engine.ops.ticks), written as the sweep's tick is."""
    db.session.rollback()
    with store.transaction():
        _upsert(LAST_BACKUP_KEY, moment.isoformat())
