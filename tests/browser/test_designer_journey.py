"""The designer's journey of issue 14 ("Tests"), then the operator's: a designer opens plan_school_report in the
modeller, adds a second reminder timer to the report task, saves and sees the marker of its broken expression with
the Russian message, fixes it, adds a field to the report's form in the form editor, runs the dry run (the new timer
is reached), deploys with a comment and sees the added timer and field on the diff against the running version; a
school head's report on the new version asks for the field. The schools' reports already running cannot take a timer on
the task they wait at: the operator's preview says so, per instance. After a second change (the step after the
report renamed), the instances started on the timer's version move, and the report says which did."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import HumanTask, ProcessInstance
from tests.browser.test_a1_journey import sign_in
from tests.browser.test_designer_properties import SELECT
from tests.browser.test_designer_roundtrip import open_designer
from tests.engine.plan_patterns import start_pattern

pytestmark = pytest.mark.browser

# A second non-interrupting reminder on the report task, the day before the deadline, into the existing reminder
# script; its expression is broken first (a parenthesis missing).
ADD_TIMER = """() => {
  const m = window.giaDesigner.modeler, registry = m.get('elementRegistry'), modeling = m.get('modeling');
  const bpmnFactory = m.get('bpmnFactory'), canvas = m.get('canvas');
  const task = registry.get('report_task');
  canvas.setRootElement(canvas.findRoot(task));
  const timer = bpmnFactory.create('bpmn:TimerEventDefinition', {
    timeDate: bpmnFactory.create('bpmn:FormalExpression', { body: 'day_at(add_days(due, -1), 9' }) });
  const event = bpmnFactory.create('bpmn:BoundaryEvent', { id: 'report_reminder_2', name: 'Второе напоминание',
    cancelActivity: false, eventDefinitions: [timer] });
  timer.$parent = event;
  const shape = m.get('elementFactory').createShape({ type: 'bpmn:BoundaryEvent', businessObject: event });
  modeling.createShape(shape, { x: task.x + task.width - 12, y: task.y + task.height }, task, { attach: true });
  modeling.connect(shape, registry.get('report_remind'));
}"""
FIX_TIMER = """() => {
  const m = window.giaDesigner.modeler, shape = m.get('elementRegistry').get('report_reminder_2');
  m.get('modeling').updateModdleProperties(shape, shape.businessObject.eventDefinitions[0].timeDate,
                                           { body: 'day_at(add_days(due, -1), 9)' });
}"""
RENAME_RECORD = """() => { const m = window.giaDesigner.modeler;
  m.get('modeling').updateProperties(m.get('elementRegistry').get('record'),
                                     { name: 'Зафиксировать сдачу отчёта' }); }"""


def has_class(name: str):
    return re.compile(rf"\b{name}\b")


def start_reports(app, count: int) -> list[int]:
    with app.app_context():
        ids = [start_pattern("plan_school_report", unit="school-17", lead_role="school_head") for _ in range(count)]
        db.session.remove()
    return ids


def versions_of(app, ids) -> dict:
    with app.app_context():
        found = dict(db.session.execute(select(ProcessInstance.id, ProcessInstance.deployment_id)
                                        .where(ProcessInstance.id.in_(ids))).all())
        db.session.remove()
    return found


def report_task_of(app, instance_id: int) -> str:
    with app.app_context():
        found = db.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.bpmn_id == "report_task"))
        db.session.remove()
    return found


def add_comment_field(page, base):
    """«Изменить форму» from the report task opens the form editor in a new tab: a text field «Комментарий»."""
    page.evaluate(SELECT, "report_task")
    with page.context.expect_page() as opened:
        page.locator("[data-entry-id=gia-form-design] a").click()
    editor = opened.value
    expect(editor.locator("#form-editor-status[data-ready=true]")).to_be_attached()
    editor.get_by_role("button", name="Добавить поле").click()
    added = editor.locator(".form-editor-field[data-path='4']")
    added.get_by_label("Подпись").fill("Комментарий")
    added.get_by_label("Имя (идентификатор)").fill("comment")
    added.get_by_label("Тип", exact=True).select_option(label="Текст")
    expect(editor.locator("#form-editor-preview").get_by_label("Комментарий")).to_be_visible()
    editor.get_by_role("button", name="Сохранить форму").click()
    expect(editor.locator("#form-editor-status")).to_contain_text("Сохранено")
    expect(editor.locator("#form-editor-problems")).to_be_hidden()
    editor.close()


def deploy(page, comment: str) -> int:
    page.fill("#designer-comment", comment)
    page.click("#designer-deploy")
    message = page.locator("#designer-report-message")
    expect(message).to_contain_text("Развёрнута как версия")
    return int(message.inner_text().split("версия")[1].split(".")[0])


def test_a_designer_changes_the_school_report_and_an_operator_moves_what_can_move(live, page, browser):
    base, app = live
    app.config["GIA_BATCH_RUN"] = "inline"
    running = start_reports(app, 2)
    first = versions_of(app, running)[running[0]]

    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    page.evaluate(ADD_TIMER)
    page.click("#designer-save")
    problems = page.locator("#designer-problems")
    expect(problems).to_contain_text("report_reminder_2", timeout=15_000)
    expect(problems).to_contain_text("синтаксическая ошибка в «day_at(add_days(due, -1), 9»: скобка ( не закрыта")
    expect(page.locator("#designer-deploy")).to_be_disabled()
    assert "gia-problem-error" in page.locator(
        ".djs-element[data-element-id=report_reminder_2]").get_attribute("class")

    page.evaluate(FIX_TIMER)
    page.click("#designer-check")
    expect(page.locator("#designer-report-message")).to_contain_text("Ошибок нет", timeout=15_000)
    expect(page.locator("#designer-deploy")).to_be_enabled()

    add_comment_field(page, base)
    page.get_by_role("button", name="Пробный прогон").click()
    expect(page.locator("#dry-run-report")).to_be_visible(timeout=30_000)
    expect(page.locator(".djs-element[data-element-id=report_reminder_2]")).to_have_class(
        has_class("gia-reached"), timeout=30_000)

    timer_version = deploy(page, "Второе напоминание за день до срока")
    assert timer_version > first
    page.click("#designer-save")  # the page goes on from what it deployed: no conflict with its own old draft
    expect(page.locator("#designer-status")).to_contain_text("Черновик сохранён")
    page.goto(f"{base}/designer/plan_school_report/diff")
    changes = page.locator("table", has_text="report_reminder_2")
    expect(changes).to_contain_text("добавлен")
    expect(page.locator("#diff-new .djs-element[data-element-id=report_work]")).to_have_class(
        has_class("diff-inside"))
    page.locator("#diff-new .bjs-drilldown").click()
    expect(page.locator("#diff-new .djs-element[data-element-id=report_reminder_2]")).to_have_class(
        has_class("diff-added"))
    expect(page.locator("#diff-form-changes tr.diff-added")).to_contain_text("Комментарий (comment)")

    on_timer_version = start_reports(app, 1)
    head = browser.new_page()
    sign_in(head, base, "head17")
    head.goto(f"{base}/tasks/{report_task_of(app, on_timer_version[0])}")
    expect(head.get_by_label("Комментарий", exact=True)).to_be_visible()  # the new version's form
    head.goto(f"{base}/tasks/{report_task_of(app, running[0])}")
    expect(head.get_by_label("Что сделано")).to_be_visible()
    expect(head.get_by_label("Комментарий", exact=True)).to_have_count(0)  # a running report keeps its version's form
    head.close()
    open_designer(page, base, "plan_school_report")
    page.evaluate(RENAME_RECORD)
    renamed_version = deploy(page, "Шаг после отчёта назван точнее")

    operator = browser.new_page()
    sign_in(operator, base, "operator")
    operator.goto(f"{base}/activities/plan_school_report#versions")
    operator.locator(f"form.version-migrate:has(input[name=version][value='{first}'])").get_by_role(
        "button").click()
    expect(operator.locator("#batch-version")).to_contain_text(str(renamed_version))
    expect(operator.locator("#batch-expected")).to_have_text("0")
    expect(operator.locator("#batch-sample")).to_contain_text(
        "будет отказано: Подпроцесс «Отчёт по пункту плана» (report_work), который в нём выполняется, изменён")
    expect(operator.locator("#batch-refusals")).to_contain_text("report_work")

    operator.goto(f"{base}/activities/plan_school_report#versions")
    row = operator.locator(f"form.version-migrate:has(input[name=version][value='{timer_version}'])")
    row.get_by_role("button").click()
    expect(operator.locator("#batch-expected")).to_have_text("1")
    operator.fill("textarea[name=reason]", "переименован шаг после отчёта")
    operator.once("dialog", lambda dialog: dialog.accept())
    operator.get_by_role("button", name="Подтвердить и выполнить").click()
    expect(operator.locator("#batch-state")).to_contain_text("Пакет выполнен", timeout=20_000)
    expect(operator.locator("#count-done")).to_have_text("1")
    assert versions_of(app, running + on_timer_version) == {
        running[0]: first, running[1]: first, on_timer_version[0]: renamed_version}
