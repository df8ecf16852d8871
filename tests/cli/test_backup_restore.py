"""The restore drill (issue 16 §1, §2), through `flask gia backup / restore / check` in subprocesses, on SQLite and
PostgreSQL: a simulated year backed up in the middle of activity (a Celery worker sweeping, a thread completing
tasks), restored into a fresh database and upload folder, checked, and lived on to the year's end with the same
outcome as the original lived on the same way. And what restore and check refuse: a non-empty database or upload
folder, a backup whose files do not match the manifest, a missing attachment file."""
import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.cli.conftest import Gia
from tests.conftest import BACKENDS, _pg_base_url, linear, make_app, stored_pdf

# A small city (one school, one PPE) lived to mid-May, then on to the year's end: a few seconds a run.
YEAR = ["--schools", "1", "--ppe", "1", "--seed", "5", "--late-share", "0.2"]
MIDYEAR = "2021-05-15"  # the exam season ahead: the part lived twice is the shorter
SIDE = linear('<bpmn:userTask id="n1" name="Сверить"/>', process_id="side")  # tasks completed during the backup


class Site:
    """A database and an upload folder, the CLI on them (`site.gia`), and an app for reading them in-process."""

    def __init__(self, url: str, folder: Path):
        self.url, self.folder, self.uploads = url, folder, folder / "uploads"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIA_", "FLASK_"))}
        env.update(DATABASE_URL=url, GIA_VAR_DIR=str(folder / "var"), UPLOAD_DIR=str(self.uploads),
                   GIA_CLOCK="manual", PYTHONWARNINGS="ignore")
        self.gia = Gia(env)
        self.app = make_app(url, folder)

    def run(self, func):
        with self.app.app_context():
            from engine.db import db
            try:
                return func()
            finally:
                db.session.remove()

    def close(self):
        with self.app.app_context():
            from engine.db import db
            db.engine.dispose()


@pytest.fixture
def sites(backends, tmp_path):
    """`sites(kind, name)`: the source (the test's fresh database) first, then empty targets (a new SQLite file,
    or a new PostgreSQL database dropped after the test)."""
    made, databases = [], []

    def site(kind: str, name: str) -> Site:
        folder = tmp_path / name
        folder.mkdir()
        if not made:
            url = backends(kind).fresh(folder)
        elif kind == "sqlite":
            url = f"sqlite:///{folder / 'gia.sqlite3'}"
        else:
            database = f"test_restore_{uuid.uuid4().hex[:10]}"
            _on_server(f'CREATE DATABASE "{database}"')
            databases.append(database)
            url = sa.make_url(_pg_base_url()).set(database=database).render_as_string(hide_password=False)
        made.append(Site(url, folder))
        return made[-1]
    yield site
    for each in made:
        each.close()
    for database in databases:
        _on_server(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _on_server(statement: str) -> None:
    server = sa.create_engine(_pg_base_url(), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(statement)
    server.dispose()


def _side_instances(count: int) -> list[str]:
    """`count` instances of the side process for `admin`, and their READY task ids."""
    import engine
    engine.ensure_user("admin", "admin")
    engine.deploy([("side.bpmn", SIDE)], actor="admin")
    for _ in range(count):
        engine.start("side", {}, actor="admin")
    return _open_side_tasks()


def _open_side_tasks() -> list[str]:
    from engine.db import db
    from engine.models import HumanTask
    return list(db.session.scalars(sa.select(HumanTask.id).where(HumanTask.process_id == "side",
                                                                  HumanTask.state == "READY")))


def _finish_side_tasks():
    import engine
    admin = engine.user_by_login("admin")
    for task_id in _open_side_tasks():
        engine.complete(task_id, admin, {})


def _outcome() -> dict:
    """Instances by plan item (or process, for parts without an item) and status, tasks by item, element and state."""
    from engine.db import db
    from engine.models import HumanTask, PlanItem, ProcessInstance as Instance
    item = sa.func.coalesce(PlanItem.number, Instance.process_id)
    instances = db.session.execute(sa.select(item, Instance.status, sa.func.count())
                                   .outerjoin(PlanItem, PlanItem.id == Instance.plan_item_id)
                                   .group_by(item, Instance.status)).all()
    tasks = db.session.execute(sa.select(item, HumanTask.bpmn_id, HumanTask.state, sa.func.count())
                               .join(Instance, Instance.id == HumanTask.instance_id)
                               .outerjoin(PlanItem, PlanItem.id == Instance.plan_item_id)
                               .group_by(item, HumanTask.bpmn_id, HumanTask.state)).all()
    return {"instances": sorted(map(tuple, instances)), "tasks": sorted(map(tuple, tasks))}


@pytest.mark.worker
@pytest.mark.parametrize("kind", BACKENDS)
def test_the_restore_drill_brings_the_year_back_with_the_same_outcome(kind, sites, tmp_path, request, monkeypatch):
    from tests.worker.conftest import BROKER_URL, CeleryRun
    broker = BROKER_URL or f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    source = sites(kind, "source")
    source.gia("simulate", *YEAR, "--until", MIDYEAR)
    side = source.run(lambda: _side_instances(8))
    run = CeleryRun(request.node, tmp_path, source.url, broker)
    source.gia.env.update(CELERY_BROKER_URL=broker, CELERY_QUEUE=run.queue)
    backups = tmp_path / "backups"
    try:
        run.wait_ready(run.worker(concurrency=None))
        completed, stop = [], threading.Event()

        def complete_meanwhile():
            for task_id in side:
                if stop.is_set():
                    return
                run.send_sweep()
                source.gia.complete(task_id)
                completed.append(task_id)

        completer = threading.Thread(target=complete_meanwhile)
        completer.start()
        run.wait_for(lambda: completed, "a side task completed")
        taken = source.gia("backup", backups)
        stop.set()
        completer.join()
        assert completed and len(completed) < len(side)  # the backup was taken while tasks were being completed
    finally:
        run.close()
    manifest = json.loads((Path(taken["path"]) / "manifest.json").read_text())
    assert manifest["tables"]["process_instance"] > 50 and manifest["alembic_revision"]
    assert manifest["files"]["database.pgdump" if kind == "postgresql" else "database.sqlite3"]["sha256"]

    target = sites(kind, "restored")
    restored = target.gia("restore", backups)
    assert restored["tables"] == manifest["tables"] and restored["uploads"] == 1
    report = target.gia("check")
    assert report["ok"] and report["instances"] == report["restored"] == manifest["tables"]["process_instance"]

    for site in (source, target):
        site.run(_finish_side_tasks)
    ended = Gia.together(lambda: source.gia("simulate", *YEAR, "--resume"),
                         lambda: target.gia("simulate", *YEAR, "--resume"))
    for report in ended:
        report.pop("seconds")
    assert ended[0] == ended[1] and ended[0]["completions"] > 50
    assert source.run(_outcome) == target.run(_outcome)

    # A file lost after the restore is named by check.
    [evidence] = [p for p in target.uploads.rglob("*") if p.is_file()]
    evidence.unlink()
    problems = target.gia.fails("check")
    assert problems and all(str(evidence) in p for p in problems)


@pytest.mark.parametrize("kind", BACKENDS)
def test_restore_refuses_a_non_empty_target_and_a_backup_that_does_not_match_its_manifest(kind, sites, tmp_path):
    source = sites(kind, "source")
    source.run(lambda: (_side_instances(2), stored_pdf("evidence.pdf", "admin")))
    backups = tmp_path / "backups"
    taken = Path(source.gia("backup", backups)["path"])

    refused = source.gia.fails("restore", taken)
    assert any(p.startswith("База данных не пуста") for p in refused), refused
    assert any(str(source.uploads) in p for p in refused), refused

    corrupt = tmp_path / "corrupt" / taken.name
    shutil.copytree(taken, corrupt)
    database = next(p for p in corrupt.iterdir() if p.name.startswith("database."))
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    target = sites(kind, "restored")
    refused = target.gia.fails("restore", corrupt)
    assert refused == [f"Файл {database.name} резервной копии не совпадает с контрольной суммой в манифесте."]
    assert target.run(lambda: sa.inspect(__import__("engine").db.db.engine).get_table_names()) == []
    assert not list(target.uploads.rglob("*"))

    assert target.gia("restore", backups)["uploads"] == 1
    report = target.gia("check")
    assert report["ok"] and (report["instances"], report["attachments"]) == (2, 1)


def test_a_backup_records_its_time_and_keeps_the_newest(app, tmp_path):
    from engine.db import db
    from engine.models import EngineSetting
    from engine.ops.backup import LAST_BACKUP_KEY, backup, complete_backups
    results = [backup(tmp_path / "backups", keep=2) for _ in range(3)]
    assert complete_backups(tmp_path / "backups") == [r.path for r in results[1:]]
    assert results[1].removed == [] and results[2].removed == [results[0].path.name]
    recorded = db.session.get(EngineSetting, LAST_BACKUP_KEY).value
    assert recorded == results[2].manifest["taken_at"]
    assert not [p for p in (tmp_path / "backups").iterdir() if p.name.startswith(".")]  # no partial folder left
    # What a backup killed mid-copy left is removed once it is a day old; one being written (younger) is not.
    killed, running = tmp_path / "backups" / ".20261201T230000.000000Z.partial", \
        tmp_path / "backups" / ".20261207T230000.000000Z.partial"
    killed.mkdir(), running.mkdir()
    os.utime(killed, (time.time() - 25 * 3600,) * 2)
    assert killed.name in backup(tmp_path / "backups", keep=2).removed
    assert not killed.exists() and running.exists()


def test_beat_backs_up_nightly_into_the_configured_folder_keeping_the_newest(app, tmp_path):
    from engine.jobs import backup as nightly, init_celery
    from engine.ops.backup import complete_backups
    assert "backup" not in app.extensions["celery"].conf.beat_schedule  # no folder, no nightly backup
    app.config.update(BACKUP_DIR=str(tmp_path / "nightly"), BACKUP_KEEP=1, BACKUP_HOUR_UTC=21)
    scheduled = init_celery(app).conf.beat_schedule["backup"]
    assert scheduled["task"] == "gia.backup" and scheduled["schedule"].hour == {21}
    first, second = nightly(), nightly()
    assert second["removed"] == [Path(first["path"]).name]
    assert complete_backups(tmp_path / "nightly") == [Path(second["path"])]
