"""engine.ops.check, what `flask gia check` verifies after a restore: a whole installation passes; a missing or
altered attachment file is named; task rows, a status or a next timer that disagree with the workflow are found;
a timer left unswept past the grace period is reported, one within it is not; a state whose definition is gone
cannot be restored and says so."""
from collections import OrderedDict
from datetime import datetime

import pytest
from sqlalchemy import update

import engine
from engine.db import db
from engine.models import DeploymentFile, HumanTask, ProcessInstance
from engine.models.instance import InstanceStatus
from engine.ops.check import check
from tests.conftest import linear, stored_pdf

# start → wait until `until` → user task n2
WAIT = ('<bpmn:intermediateCatchEvent id="n1" name="Wait"><bpmn:timerEventDefinition><bpmn:timeDate>until'
        '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


@pytest.fixture
def year(app, clock_at, deploy_xml):
    """One instance waiting on a timer (due 16 March 09:00), one at its user task, one stored file; 15 March."""
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(linear(WAIT, '<bpmn:userTask id="n2"/>'))
    waiting = engine.start("p", {"until": "2021-03-16T09:00:00+03:00"}, actor="admin").instance_id
    working = engine.start("p", {"until": "2021-03-14T09:00:00+03:00"}, actor="admin").instance_id
    engine.advance_timers()
    file = stored_pdf("evidence.pdf", "admin")
    db.session.commit()
    return {"waiting": waiting, "working": working, "file": file}


def _set(model, row_id, **values):
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def test_a_whole_installation_passes(year):
    report = check()
    assert report.ok, report.problems
    assert (report.instances, report.restored, report.attachments, report.files_ok) == (2, 2, 1, 1)


def test_a_missing_or_altered_attachment_file_is_named(year, app):
    from engine.attachments import path_of
    from engine.models import Attachment
    path = path_of(db.session.get(Attachment, year["file"]["attachment_id"]))
    path.write_bytes(b"%PDF-1.4 changed")
    [problem] = check().problems
    assert str(path) in problem and "контрольн" in problem  # «не совпадает с контрольной суммой»
    path.unlink()
    [problem] = check().problems
    assert str(path) in problem and "evidence.pdf" in problem


def test_task_rows_status_and_timer_that_disagree_with_the_workflow_are_found(year):
    [task] = engine.list_tasks(instance_id=year["working"])
    _set(HumanTask, task.id, state="COMPLETED")
    _set(ProcessInstance, year["waiting"], next_timer_at=datetime.fromisoformat("2021-03-17T06:00:00+00:00"))
    timer, tasks = check().problems  # instance by instance: the waiting one was started first
    assert timer.startswith(f"Экземпляр {year['waiting']} ") and "2021-03-16T06:00:00+00:00" in timer
    assert tasks.startswith(f"Экземпляр {year['working']} ") and task.id in tasks
    _set(HumanTask, task.id, state="READY")
    _set(ProcessInstance, year["waiting"], next_timer_at=datetime.fromisoformat("2021-03-16T06:00:00+00:00"),
         status="running")
    [problem] = check().problems
    assert problem.startswith(f"Экземпляр {year['waiting']} ") and InstanceStatus.word("running") in problem
    assert InstanceStatus.word("waiting") in problem


def test_a_timer_unswept_past_the_grace_period_is_reported(year, clock_at):
    clock_at("2021-03-16T09:05:00+03:00")  # due 5 minutes ago: a sweep is due to fire it
    assert check(grace_minutes=10).ok
    clock_at("2021-03-16T09:30:00+03:00")
    [problem] = check(grace_minutes=10).problems
    assert problem.startswith(f"Экземпляр {year['waiting']} ") and "30 мин назад" in problem
    assert check(as_of=datetime.fromisoformat("2021-03-16T09:00:00+03:00")).ok  # as of the backup's moment
    engine.advance_timers()
    assert check().ok


def test_a_state_whose_definition_is_lost_cannot_be_restored(year, monkeypatch):
    from engine.bpmn import spec_cache
    db.session.execute(update(DeploymentFile).values(content="<broken/>"))
    db.session.commit()
    monkeypatch.setattr(spec_cache, "_cache", OrderedDict())  # as in a fresh process: the specs parsed again
    problems = check().problems
    assert len(problems) == 2 and all("не удаётся восстановить" in p for p in problems), problems
