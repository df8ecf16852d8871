"""A new process from a plan pattern (issue 14 §9): each pattern's copy, under a new id and name, is the new
process's first draft; it checks and deploys as its own process (its file alone) and runs like the pattern;
malformed, taken or clashing ids, empty names and unknown patterns are refused by field, storing nothing."""
import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import DesignDraft
from engine.service.design_patterns import PATTERNS
from tests.engine.plan_patterns import deploy_patterns, only, start_pattern


def drafts() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(DesignDraft))


@pytest.mark.parametrize("pattern", [key for key, _title, _text in PATTERNS])
def test_each_pattern_starts_a_new_process_that_deploys_on_its_own(org, pattern):
    new_id = f"new_{pattern}"
    design = engine.new_design(new_id, "Опрос ОУ о готовности", pattern, "designer")
    assert design.revision == 1
    opened = engine.open_design(new_id)
    assert (opened.revision, opened.saved_by, opened.deployment_id) == (1, "designer", None)
    assert f'id="{new_id}"' in opened.xml and 'name="Опрос ОУ о готовности"' in opened.xml
    assert f'id="{pattern}"' not in opened.xml
    row = next(r for r in engine.design_list() if r.bpmn_id == new_id)
    assert (row.name, row.deployment_id, row.draft_saved_by) == ("Опрос ОУ о готовности", None, "Разработчик процессов")
    assert engine.check_design(new_id, opened.xml).valid
    result = engine.deploy_design(new_id, opened.xml, "designer", "Новый процесс по образцу")
    assert result.process_ids == [new_id]
    assert [v["version"] for v in engine.process_versions(new_id)] == [result.version]
    assert drafts() == 0  # the draft has done its work


def test_the_copy_runs_like_its_pattern(org, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    deploy_patterns()
    design = engine.new_design("school_survey", "Опрос ОУ", "plan_school_report", "designer")
    engine.deploy_design("school_survey", design.xml, "designer")
    instance_id = start_pattern("school_survey", unit="school-17", lead_role="school_head")
    task = only(instance_id, "report_task")
    assert (task.role, task.unit_code, task.form_key) == ("school_head", "school-17", "plan_report")


def test_wrong_ids_names_and_patterns_are_refused_by_field_and_nothing_is_stored(org):
    engine.new_design("taken_draft", "Есть", "plan_dept_task", "designer")
    deploy_patterns()
    for bpmn_id, name, pattern, field, words in (
            ("1abc", "Имя", "plan_dept_task", "bpmn_id", "не с цифры"),
            ("ab", "Имя", "plan_dept_task", "bpmn_id", "от 3 до 64"),
            ("опрос", "Имя", "plan_dept_task", "bpmn_id", "латинских"),
            ("plan_dept_task", "Имя", "plan_dept_task", "bpmn_id", "уже есть"),
            ("taken_draft", "Имя", "plan_dept_task", "bpmn_id", "уже есть"),
            ("work_start", "Имя", "plan_school_report", "bpmn_id", "В образце уже есть элемент"),
            ("fine_id", "  ", "plan_dept_task", "name", "название"),
            ("fine_id", "Я" * 201, "plan_dept_task", "name", "длиннее 200"),
            ("fine_id", "Имя", "../config", "pattern", "образцов"),
            ("fine_id", "Имя", "ege_choices", "pattern", "образцов")):
        with pytest.raises(engine.InvalidData) as refused:
            engine.new_design(bpmn_id, name, pattern, "designer")
        assert words in " ".join(refused.value.field_errors[field]), (bpmn_id, name, pattern)
    assert drafts() == 1
