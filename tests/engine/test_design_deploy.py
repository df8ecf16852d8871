"""A design checked and deployed from the modeller (issue 14 §2, §4): checked with the other files of its version
(a call activity into another file resolves), the same problems deploy gives and nothing stored; deployed as the
next version with the designer's comment, its instances left on theirs, and the draft gone once deployed."""
import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import Deployment, DesignDraft
from tests.conftest import process_xml

CALLER = process_xml('<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="callee"/>'
                     '<bpmn:userTask id="after" name="После вызова"/><bpmn:endEvent id="e"/>'
                     '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>'
                     '<bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="after"/>'
                     '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>', "caller")
CALLEE = process_xml('<bpmn:startEvent id="c_s"/><bpmn:userTask id="inner" name="Внутри"/><bpmn:endEvent id="c_e"/>'
                     '<bpmn:sequenceFlow id="c_f1" sourceRef="c_s" targetRef="inner"/>'
                     '<bpmn:sequenceFlow id="c_f2" sourceRef="inner" targetRef="c_e"/>', "callee")


@pytest.fixture
def deployed(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    engine.deploy([("caller.bpmn", CALLER), ("callee.bpmn", CALLEE)], actor="designer")
    return CALLER.decode()


def versions() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Deployment))


def test_a_design_is_checked_with_the_other_files_of_its_version_and_nothing_is_stored(deployed):
    renamed = deployed.replace("После вызова", "После вызова (изменено)")
    assert engine.check_design("caller", renamed).valid  # callee.bpmn comes from the version: it resolves
    broken = deployed.replace('calledElement="callee"', 'calledElement="nowhere"')
    found = engine.check_design("caller", broken)
    with pytest.raises(engine.InvalidDefinition) as refused:
        engine.deploy([("caller.bpmn", broken.encode()), ("callee.bpmn", CALLEE)], actor="designer")
    assert not found.valid and found.texts() == refused.value.problems()
    [problem] = found.problems
    assert (problem.file, problem.element, problem.element_type) == ("caller.bpmn", "call", "callActivity")
    line = CALLER[:CALLER.index(b'id="call"')].count(b"\n") + 1
    assert problem.line == line and problem.message == (
        "вызываемого процесса «nowhere» нет в развёртываемых вместе файлах (найдены процессы: callee, caller)")
    assert str(problem) == f"caller.bpmn, вызов процесса «call», строка {line}: {problem.message}"
    assert versions() == 1


def test_a_design_deploys_as_the_next_version_and_running_instances_keep_theirs(deployed):
    running = engine.start("caller", {}, actor="designer").instance_id
    engine.save_design("caller", deployed.replace("После вызова", "Черновик"), "designer", 0)
    final = deployed.replace("После вызова", "Итог")
    result = engine.deploy_design("caller", final, "designer", "  переименована задача  ")
    assert (result.version, result.reused) == (2, False) and versions() == 2
    assert db.session.get(Deployment, 2).comment == "переименована задача"
    [current] = engine.process_versions("caller")[:1]
    assert current["version"] == 2 and current["instances"] == 0
    assert engine.process_versions("caller")[1]["running"] == 1  # the running one stays on version 1
    assert db.session.scalar(select(DesignDraft.xml).where(DesignDraft.bpmn_id == "caller")) is not None
    engine.save_design("caller", final, "designer", 1)  # the draft now holds what is deployed: it goes
    assert engine.deploy_design("caller", final, "designer").reused
    assert db.session.scalar(select(DesignDraft.id).where(DesignDraft.bpmn_id == "caller")) is None
    assert engine.open_design("caller").xml == final and running


def test_a_design_deploy_refused_stores_nothing_and_keeps_the_draft(deployed):
    broken = deployed.replace('calledElement="callee"', 'calledElement="nowhere"')
    engine.save_design("caller", broken, "designer", 0)
    with pytest.raises(engine.InvalidDefinition):
        engine.deploy_design("caller", broken, "designer", "сломано")
    assert versions() == 1 and engine.open_design("caller").revision == 1
    with pytest.raises(engine.NotFound):
        engine.check_design("never_deployed", deployed)


def test_deploying_from_a_draft_supersedes_it_but_not_a_draft_saved_since(deployed):
    """The page deploys what it shows: its draft's revision with unsaved changes on top. That draft is then
    superseded (reopening shows the deployed version, not the older draft); a draft someone saved after the page
    opened its own is newer than what was deployed and stays."""
    engine.save_design("caller", deployed.replace("После вызова", "Черновик 1"), "designer", 0)
    engine.deploy_design("caller", deployed.replace("После вызова", "Итог 1"), "designer", revision=1)
    assert engine.open_design("caller").revision == 0
    assert "Итог 1" in engine.open_design("caller").xml
    engine.save_design("caller", deployed.replace("После вызова", "Черновик 2"), "designer", 0)
    engine.save_design("caller", deployed.replace("После вызова", "Черновик 3"), "admin", 1)
    engine.deploy_design("caller", deployed.replace("После вызова", "Итог 2"), "designer", revision=1)
    kept = engine.open_design("caller")
    assert kept.revision == 2 and "Черновик 3" in kept.xml
