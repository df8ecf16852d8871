"""The process designer's drafts (issue 14 §1, §7): opened from the latest deployed file, saved with a revision;
a save from an older revision is refused with who saved meanwhile, never overwriting; what is not BPMN (or hides
an entity) is refused; each save is audited."""
import pytest

import engine
from engine.db import db
from engine.errors import ConflictError, InvalidData, NotFound
from engine.models import AuditEvent, DesignDraft
from tests.conftest import linear


@pytest.fixture
def deployed(org, deploy_xml, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    deploy_xml(linear('<bpmn:task id="n1" name="Первая"/>', process_id="p"), name="p.bpmn")
    second = linear('<bpmn:task id="n1" name="Вторая"/>', process_id="p")
    deploy_xml(second, name="p.bpmn")
    return second.decode()


def test_opens_the_latest_deployed_file_when_there_is_no_draft(deployed):
    design = engine.open_design("p")
    assert design.revision == 0 and design.xml == deployed and design.deployment_id == 2
    with pytest.raises(NotFound):
        engine.open_design("nothing")


def test_saves_bump_the_revision_and_a_stale_one_is_refused_with_who_and_when(deployed):
    first = engine.save_design("p", deployed.replace("Вторая", "Третья"), "designer", 0)
    assert first.revision == 1
    assert engine.open_design("p").xml.count("Третья") == 1
    second = engine.save_design("p", deployed.replace("Вторая", "Четвёртая"), "admin", 1)
    assert second.revision == 2
    with pytest.raises(ConflictError) as refused:  # the designer still on revision 1
        engine.save_design("p", deployed.replace("Вторая", "Пятая"), "designer", 1)
    assert "15.03.2021 10:00" in refused.value.message
    assert engine.user_by_login("admin").full_name in refused.value.message
    stored = engine.open_design("p")
    assert (stored.revision, stored.saved_by) == (2, "admin") and "Четвёртая" in stored.xml
    assert db.session.query(AuditEvent).filter_by(action="design_draft").count() == 2
    with pytest.raises(ConflictError):  # a first save when a draft exists is stale too
        engine.save_design("p", deployed, "designer", 0)


def test_the_list_shows_each_deployed_process_with_its_draft(deployed):
    [row] = [r for r in engine.design_list() if r.bpmn_id == "p"]
    assert (row.deployment_id, row.draft_saved_at) == (2, None)
    engine.save_design("p", deployed, "designer", 0)
    [row] = [r for r in engine.design_list() if r.bpmn_id == "p"]
    assert row.draft_saved_by == engine.user_by_login("designer").full_name and row.draft_saved_at is not None


@pytest.mark.parametrize("xml", [
    "", "<bpmn:definitions", "<notbpmn/>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">'
    '<bpmn:documentation>&e;</bpmn:documentation></bpmn:process></bpmn:definitions>',
])
def test_what_is_not_bpmn_is_refused_and_nothing_is_stored(deployed, xml):
    with pytest.raises(InvalidData):
        engine.save_design("p", xml, "designer", 0)
    assert db.session.query(DesignDraft).count() == 0


def test_a_draft_must_keep_its_process_and_stay_under_the_size_limit(deployed, app):
    with pytest.raises(InvalidData):
        engine.save_design("p", deployed.replace('id="p"', 'id="other"'), "designer", 0)
    app.config["MAX_BPMN_BYTES"] = 200
    with pytest.raises(InvalidData):
        engine.save_design("p", deployed, "designer", 0)
    assert db.session.query(DesignDraft).count() == 0
