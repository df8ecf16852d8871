"""The designer's form editor, engine side (issue 14 §6): a form is drafted for a process and deployed with its next
version; instances of that version show and check the new form, running ones keep theirs; a definition that is not
a form is refused with the reason; a removed field the process still reads is named at the element reading it and
refused at deploy; two designers cannot overwrite each other's form draft."""
import copy
import json

import pytest
from sqlalchemy import func, select

import engine
import forms
from engine.db import db
from engine.models import DeploymentFile, DesignFormDraft
from tests.engine.plan_patterns import deploy_patterns, only, start_pattern

COMMENT = {"name": "comment", "type": "text", "label": "Комментарий", "max_length": 500}


@pytest.fixture
def patterns(org, clock_at):
    clock_at("2020-12-01T09:00:00+03:00")
    deploy_patterns()
    return engine.open_design("plan_school_report").xml


def with_comment() -> dict:
    definition = copy.deepcopy(forms.load_raw("plan_report"))
    definition["fields"].append(COMMENT)
    return definition


def field_names(definition) -> list[str]:
    return [f.name for f in definition.fields]


def test_a_catalogue_form_is_opened_as_the_process_has_it_and_an_unknown_key_as_a_new_form(patterns):
    opened = engine.open_form_design("plan_school_report", "plan_report")
    assert (opened.source, opened.revision) == ("catalogue", 0)
    assert opened.definition == forms.load_raw("plan_report")
    new = engine.open_form_design("plan_school_report", "school_survey")
    assert (new.source, new.definition["fields"]) == ("new", [])
    with pytest.raises(engine.NotFound):
        engine.open_form_design("no_such_process", "plan_report")
    with pytest.raises(engine.InvalidData):
        engine.open_form_design("plan_school_report", "../plan_report")


def test_a_form_draft_deploys_with_the_next_version_and_running_instances_keep_their_form(patterns):
    old = start_pattern("plan_school_report", unit="school-17")
    draft = engine.save_form_design("plan_school_report", "plan_report", with_comment(), "designer", 0)
    assert (draft.source, draft.revision, draft.problems) == ("draft", 1, [])
    assert engine.open_form_design("plan_school_report", "plan_report").definition["fields"][-1] == COMMENT
    assert forms.load("plan_report").field_named("comment") is None  # the catalogue is untouched

    result = engine.deploy_design("plan_school_report", patterns, "designer", "поле «Комментарий»")
    stored = db.session.scalar(select(DeploymentFile.content).where(
        DeploymentFile.deployment_id == result.version, DeploymentFile.filename == "forms/plan_report.json"))
    assert json.loads(stored)["fields"][-1] == COMMENT
    assert db.session.scalar(select(func.count()).select_from(DesignFormDraft)) == 0
    reopened = engine.open_form_design("plan_school_report", "plan_report")
    assert (reopened.source, reopened.definition["fields"][-1]) == ("version", COMMENT)

    new = start_pattern("plan_school_report", unit="school-12")
    assert "comment" in field_names(engine.task_form(only(new, "report_task")))
    assert "comment" not in field_names(engine.task_form(only(old, "report_task")))
    catalogue = {f["key"]: f for f in engine.design_catalogue("plan_school_report")["forms"]}
    assert catalogue["plan_report"]["own"] and not catalogue["escalation"]["own"]


def test_a_definition_that_is_not_a_form_is_refused_with_the_reason_and_nothing_is_kept(patterns):
    broken = with_comment()
    broken["fields"][-1] = {"name": "comment", "type": "paragraph", "label": "Комментарий"}
    with pytest.raises(engine.InvalidData) as refused:
        engine.save_form_design("plan_school_report", "plan_report", broken, "designer", 0)
    assert refused.value.field_errors["definition"] == [
        "forms/plan_report.json, поле 'comment': неизвестный тип 'paragraph'"]
    for bad, text in ((["not a form"], "Форма — это объект JSON со списком полей."),
                      ({"fields": [{"name": "n", "type": "integer", "min": 5, "max": 1}]},
                       "forms/form.json, поле 'n': min больше, чем max")):
        with pytest.raises(engine.InvalidData) as refused:
            engine.preview_form(bad)
        assert refused.value.field_errors["definition"] == [text]
    assert db.session.scalar(select(func.count()).select_from(DesignFormDraft)) == 0


def test_a_removed_field_the_process_reads_is_named_at_its_reader_and_refused_at_deploy(patterns):
    definition = forms.load_raw("plan_report")
    without_total = {**definition, "fields": [f for f in definition["fields"] if f["name"] != "count_total"]}
    draft = engine.save_form_design("plan_school_report", "plan_report", without_total, "designer", 0)
    [problem] = draft.problems
    assert problem.element == "report_task" and problem.file == "plan_school_report.bpmn"
    assert problem.message == ("свойство checks: читает поле «count_total», которого больше нет в форме «Отчёт по "
                               "пункту плана»: оставьте поле или измените то, что его читает")
    found = engine.check_design("plan_school_report", patterns)
    assert [str(p) for p in found.problems] == [str(problem)]  # the modeller shows it on the task
    with pytest.raises(engine.InvalidDefinition):
        engine.deploy_design("plan_school_report", patterns, "designer")
    engine.save_form_design("plan_school_report", "plan_report", with_comment(), "designer", 1)
    engine.deploy_design("plan_school_report", patterns, "designer")
    engine.save_form_design("plan_school_report", "plan_report", definition, "designer", 0)  # «comment» removed
    assert engine.check_design("plan_school_report", patterns).valid


def test_two_designers_cannot_overwrite_each_others_form_draft(patterns):
    engine.save_form_design("plan_school_report", "plan_report", with_comment(), "designer", 0)
    with pytest.raises(engine.ConflictError) as refused:
        engine.save_form_design("plan_school_report", "plan_report", forms.load_raw("plan_report"), "iao", 0)
    assert "сохранил" in str(refused.value) or "сохранила" in str(refused.value)
    engine.discard_form_design("plan_school_report", "plan_report", "designer")
    assert engine.open_form_design("plan_school_report", "plan_report").source == "catalogue"
