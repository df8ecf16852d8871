"""`flask db upgrade` from every released schema with its data in it (issue 16 §3).

Each migration is a release: tests/upgrades/fixtures/<revision>.json holds what a database at that revision held
(written by make_fixtures.py). Per backend and revision: an empty database is migrated to the revision and the
fixture's rows loaded; the revision's downgrade and upgrade again keep every row the older schema has (what the
revision added is lost by design, declared in LOST_BY_DOWNGRADE); `upgrade` to head keeps every row and value; and
the stored workflows restore and go on: the waiting checklist is completed through the engine.
"""
import json

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

import engine
from engine import store
from engine.bpmn import serializer
from engine.db import db
from engine.models import HumanTask, ProcessInstance
from tests.conftest import BACKENDS, own_database
from tests.engine.a1 import checklist
from tests.upgrades import rows
from tests.upgrades.make_fixtures import FIXTURES, revisions

REVISIONS = revisions()

# What a revision's downgrade drops by design: the tables and columns it added, with what they held. An upgrade
# after it derives again what it can (0009's submissions from the audit trail, 0010's drafted marks, 0014's
# variables, 0003's human_task.process_id, 0002's definition_sha, 0018's calendar); the rest is gone, and only
# this may differ. The test holds each revision to it: what its fixture held there is lost, nothing else.
LOST_BY_DOWNGRADE = {
    "0002": {"process_instance.waits"},
    "0003": {"user.email_opt_out", "task_comment", "task_snooze", "saved_filter",
             "api_token", "email_outbox", "login_attempt", "absence", "attachment.task_id"},
    "0005": {"plan", "plan_item", "process_instance.plan_item_id", "process_instance.submitted_on",
             "process_instance.late_days"},
    "0006": {"task_draft"},
    "0007": {"login_throttle"},  # the sign-in delays running: they start again from the next failure
    "0013": {"process_instance.error_element", "batch_job", "batch_item"},
    "0015": {"deployment.comment"},
    "0016": {"design_draft"},
    "0017": {"design_form_draft"},
    # seeded again from the file as of the upgrade: the supervisors' changes to the calendar are gone
    "0018": {"production_calendar_day.changed_at"},
}


def fixture(revision: str) -> dict:
    path = FIXTURES / f"{revision}.json"
    if not path.exists():
        pytest.fail(f"revision {revision} has no fixture: run .venv/bin/python -m tests.upgrades.make_fixtures")
    return json.loads(path.read_text())["tables"]


def snapshot() -> dict:
    db.session.remove()
    with db.engine.connect() as connection:
        return rows.dump(connection)


def differences(expected: dict, found: dict, allowed: frozenset = frozenset()) -> list[str]:
    """Rows of `expected` missing from `found`, and values that changed (in the columns both have), each as
    "table: ..." or "table.column: ..."; none about what `allowed` names."""
    problems = []
    have = rows.keyed(found)
    for table, by_key in rows.keyed(expected).items():
        if table in allowed:
            continue
        if table not in have:
            problems.append(f"{table}: table gone")
            continue
        for key, row in by_key.items():
            now = have[table].get(key)
            if now is None:
                problems.append(f"{table}: {key} lost")
                continue
            problems += [f"{table}.{column}: {key} {value!r} → {now[column]!r}" for column, value in row.items()
                         if column in now and f"{table}.{column}" not in allowed and now[column] != value]
    return problems


def held(data: dict, name: str) -> bool:
    """Does the fixture hold anything in table or column `name`?"""
    table, _, column = name.partition(".")
    given = data.get(table, {"rows": [], "columns": []})
    if not column:
        return bool(given["rows"])
    at = given["columns"].index(column)
    return any(row[at] not in (None, False, "") for row in given["rows"])


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_release_upgrades_with_its_data_and_its_workflows_go_on(backend, revision, tmp_path):
    data = fixture(revision)
    with own_database(backend, tmp_path, revision):
        with db.engine.begin() as connection:
            rows.load(connection, data, replace=True)
        assert not differences(data, snapshot())

        allowed = frozenset()
        previous = REVISIONS[REVISIONS.index(revision) - 1] if revision != REVISIONS[0] else None
        if previous:
            downgrade(revision=previous)
            assert not differences(fixture(previous), snapshot())  # the older schema's rows are all there
            upgrade(revision=revision)
            allowed = frozenset(LOST_BY_DOWNGRADE.get(revision, ()))
            lost = {problem.partition(":")[0] for problem in differences(data, snapshot())}
            assert lost == {name for name in allowed if held(data, name)}  # lost: what it says, and no more

        upgrade()
        assert not differences(data, snapshot(), allowed)
        _workflows_go_on()


def _workflows_go_on() -> None:
    """Every stored workflow restores; the waiting checklist of ППЭ №12 is completed and the check moves on to
    the department's acceptance, saved at the library's current format."""
    for instance in db.session.scalars(sa.select(ProcessInstance)):
        assert store.workflow_of(instance) is not None
    task = db.session.scalar(sa.select(HumanTask).where(HumanTask.unit_code == "ppe-12",
                                                        HumanTask.bpmn_id == "checklist"))
    engine.complete(task.id, engine.user_by_login("tech12"), checklist(checked_on="2021-03-15"))
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, task.instance_id)
    assert instance.serializer_version == serializer.FORMAT_VERSION and instance.status == "running"
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=instance.id)] == ["accept"]
