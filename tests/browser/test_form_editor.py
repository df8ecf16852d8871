"""The form editor in a real browser (issue 14 §6): a designer goes from the task in the modeller to its form, adds a
text field «Комментарий», sees it in the preview the server renders by the task page's own path, saves, and finds
it there after reloading; a new form starts empty and says so; axe-core finds no WCAG 2.1 A/AA violation."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in
from tests.browser.test_designer_properties import SELECT
from tests.browser.test_designer_roundtrip import open_designer

pytestmark = pytest.mark.browser

EDIT = "/designer/plan_school_report/forms/plan_report/edit"


def open_editor(page, url):
    page.goto(url)
    expect(page.locator("#form-editor-status[data-ready=true]")).to_be_attached()
    expect(page.locator("#form-editor-preview form.task-form")).to_be_attached()


def test_a_designer_adds_a_comment_field_sees_it_previewed_and_saves_it(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    page.evaluate(SELECT, "report_task")
    link = page.locator("[data-entry-id=gia-form-design] a")
    expect(link).to_have_text("Изменить форму")
    expect(link).to_have_attribute("href", EDIT)

    open_editor(page, f"{base}{EDIT}")
    preview = page.locator("#form-editor-preview")
    expect(preview.get_by_label("Что сделано")).to_be_visible()
    expect(page.get_by_label("Заголовок формы")).to_have_value("Отчёт по пункту плана")
    assert_accessible(page, "the form editor")

    page.get_by_role("button", name="Добавить поле").click()
    added = page.locator(".form-editor-field[data-path='4']")
    expect(added.get_by_label("Подпись")).to_be_focused()
    added.get_by_label("Подпись").fill("Комментарий")
    added.get_by_label("Имя (идентификатор)").fill("comment")
    added.get_by_label("Тип", exact=True).select_option(label="Текст")
    expect(preview.locator("textarea[name=comment]")).to_be_attached()
    expect(preview.get_by_label("Комментарий")).to_be_visible()
    expect(page.locator("#form-editor-status")).to_have_text("Есть несохранённые изменения.")

    page.get_by_role("button", name="Сохранить форму").click()
    expect(page.locator("#form-editor-status")).to_contain_text("Сохранено")
    expect(page.get_by_role("button", name="Вернуть как было")).to_be_visible()
    page.reload()
    expect(page.locator("#form-editor-status[data-ready=true]")).to_be_attached()
    expect(page.locator(".form-editor-field[data-path='4']").get_by_label("Подпись")).to_have_value("Комментарий")
    expect(page.locator(".form-editor-field[data-path='4']").get_by_label("Тип", exact=True)).to_have_value("text")
    expect(preview.get_by_label("Комментарий")).to_be_visible()
    assert_accessible(page, "the form editor with a saved draft")


def test_a_new_form_starts_empty_and_its_choices_are_edited_in_rows(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    open_editor(page, f"{base}/designer/plan_school_report/forms/school_visit/edit")
    expect(page.locator("#form-editor-root").get_by_text("В форме пока нет полей.")).to_be_visible()
    expect(page.locator("#form-editor-preview").get_by_text("В форме пока нет полей.")).to_be_visible()
    page.get_by_role("button", name="Добавить поле").click()
    field = page.locator(".form-editor-field[data-path='0']")
    field.get_by_label("Подпись").fill("Формат встречи")
    field.get_by_label("Тип", exact=True).select_option(label="Выбор одного")
    choice = field.locator("[data-role=choices] li").first
    choice.get_by_label("Значение").fill("online")
    choice.get_by_label("Как показать").fill("Дистанционно")
    field.get_by_role("button", name="Добавить вариант").click()
    second = field.locator("[data-role=choices] li").nth(1)
    second.get_by_label("Значение").fill("visit")
    second.get_by_label("Как показать").fill("Выезд в школу")
    preview = page.locator("#form-editor-preview")
    expect(preview.get_by_label("Выезд в школу")).to_be_attached()
    expect(preview.get_by_label("Дистанционно")).to_be_attached()
    field.get_by_label("Тип", exact=True).select_option(label="Строка")
    expect(field.locator("[data-role=choices]")).to_be_hidden()
    assert '"choices"' not in page.locator("#form-editor-json-text").input_value()
    field.get_by_label("Тип", exact=True).select_option(label="Выбор одного")  # switching back gives the choices back
    expect(preview.get_by_label("Выезд в школу")).to_be_attached()
    assert_accessible(page, "a new form in the editor")


def test_a_task_without_a_form_gets_a_new_one_from_the_panel(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    page.evaluate(SELECT, "report_task")
    panel = page.locator("#designer-properties")
    panel.get_by_label("Форма", exact=True).select_option("")
    key = panel.get_by_label("Ключ новой формы")
    key.fill("1 отчёт")
    panel.get_by_role("button", name="Создать форму").click()
    expect(panel.get_by_role("alert")).to_contain_text("латинские буквы")
    key.fill("school_visit")
    with page.context.expect_page() as opened:
        panel.get_by_role("button", name="Создать форму").click()
    editor = opened.value
    expect(editor.locator("#form-editor-status[data-ready=true]")).to_be_attached()
    assert editor.url.endswith("/designer/plan_school_report/forms/school_visit/edit")
    expect(editor.get_by_role("heading", level=1)).to_have_text("Форма school_visit")
    xml = page.evaluate("async () => (await window.giaDesigner.modeler.saveXML({format: true})).xml")
    assert '<spiffworkflow:property name="form" value="school_visit"' in xml
