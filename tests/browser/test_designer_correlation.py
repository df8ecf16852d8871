"""Message correlation in the modeller's properties panel (issue 14 §1) and the token simulation in Russian (§3),
in a real browser. A designer opens ppe_stage2_act (one act per PPE and exam day: its messages carry the PPE and
the day), selects the boundary event that waits for «условия ОВЗ не подтверждены» and sees the correlation property
«ППЭ» with its expression `ppe`; changes it, saves the draft, and the draft kept on the server holds the new
expression under that message's retrieval expression; gives another message a new property; takes a message out of
«ППЭ» and puts it back by choosing the property; undo takes each change back. Switching the token simulation on
shows its palette, log and start button in Russian."""
import time

import pytest
from lxml import etree
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import DesignDraft
from tests.browser.test_a11y import assert_accessible
from tests.browser.test_a1_journey import sign_in
from tests.browser.test_designer_properties import SAVED, SELECT
from tests.browser.test_designer_roundtrip import open_designer, semantic

pytestmark = pytest.mark.browser

BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
UNDO = "() => window.giaDesigner.modeler.get('commandStack').undo()"


def correlation(xml: str) -> dict:
    """{property id: (name, {message id: expression})}, as the engine reads them from the file."""
    root = etree.fromstring(xml.encode())
    return {prop.get("id"): (prop.get("name"), {
        r.get("messageRef"): r.findtext("bpmn:formalExpression", namespaces=BPMN)
        for r in prop.iterfind("bpmn:correlationPropertyRetrievalExpression", BPMN)})
        for prop in root.iterfind("bpmn:correlationProperty", BPMN)}


def model_when(page, wanted, seconds: float = 5) -> dict:
    """The correlation the modeller would save, once `wanted` holds of it (the panel writes after a debounce)."""
    deadline = time.monotonic() + seconds
    while True:
        found = correlation(page.evaluate(SAVED))
        if wanted(found) or time.monotonic() > deadline:
            return found
        page.wait_for_timeout(100)


MESSAGES = ("ppe_s2_msg_open", "ppe_s2_msg_done", "ppe_s2_msg_census")
ORIGINAL = {"ppe": ("ППЭ", {message: "ppe" for message in MESSAGES}),
            "day": ("День экзамена", {message: "exam_day" for message in MESSAGES})}


def test_a_designer_changes_the_ppe_correlation_and_the_draft_keeps_it(module_live, page):
    base, app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "ppe_stage2_act")
    opened = page.evaluate(SAVED)
    assert correlation(opened) == ORIGINAL
    page.evaluate(SELECT, "ppe_s2_on_open")
    group = page.locator("#designer-properties [data-group-id=group-gia-correlation]")
    expect(group).to_contain_text("Корреляция")
    expect(group).to_contain_text("процесс находит свой экземпляр")
    expression = group.get_by_label("Выражение для «ППЭ»")
    expect(expression).to_have_value("ppe")
    expect(group.get_by_label("Название свойства «ppe»")).to_have_value("ППЭ")
    assert_accessible(page, "/designer/ppe_stage2_act with a message's correlation")

    expression.fill("str(ppe)")
    changed = model_when(page, lambda found: found["ppe"][1]["ppe_s2_msg_open"] == "str(ppe)")
    assert changed == {**ORIGINAL, "ppe": ("ППЭ", {**ORIGINAL["ppe"][1], "ppe_s2_msg_open": "str(ppe)"})}
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.locator("#designer-status")).to_contain_text("Черновик сохранён")
    with app.app_context():
        draft = db.session.scalar(select(DesignDraft.xml).where(DesignDraft.bpmn_id == "ppe_stage2_act"))
        db.session.remove()
    assert correlation(draft) == changed
    before, after = semantic(opened), semantic(draft)  # nothing else of the file changed
    assert len(before) == len(after)
    assert [(old[3], new[3]) for old, new in zip(before, after) if old != new] == [("ppe", "str(ppe)")]
    page.evaluate(UNDO)
    assert correlation(page.evaluate(SAVED)) == ORIGINAL
    expect(expression).to_have_value("ppe")

    # another message gets a property of its own
    page.evaluate(SELECT, "ppe_s2_on_done")
    group.get_by_label("Код свойства").fill("exam")
    group.get_by_label("Название нового свойства").fill("Экзамен")
    group.get_by_label("Выражение нового свойства").fill("exam_key")
    group.get_by_role("button", name="Создать свойство").click()
    assert correlation(page.evaluate(SAVED)) == {**ORIGINAL, "exam": ("Экзамен", {"ppe_s2_msg_done": "exam_key"})}
    expect(group.get_by_label("Выражение для «Экзамен»")).to_have_value("exam_key")
    group.get_by_label("Код свойства").fill("ppe")  # a taken code is refused with the reason
    group.get_by_role("button", name="Создать свойство").click()
    expect(group.get_by_role("alert")).to_have_text("Код ppe уже занят в этой схеме.")
    group.get_by_label("Код свойства").fill("ppe_s2_on_open_def")  # any id of the file, not only a property's
    group.get_by_role("button", name="Создать свойство").click()
    expect(group.get_by_role("alert")).to_have_text("Код ppe_s2_on_open_def уже занят в этой схеме.")
    page.evaluate(UNDO)
    assert correlation(page.evaluate(SAVED)) == ORIGINAL
    group.get_by_label("Код свойства").fill("exam")  # the code the undone property had is free again
    group.get_by_role("button", name="Создать свойство").click()
    assert correlation(page.evaluate(SAVED)) == {**ORIGINAL, "exam": (None, {"ppe_s2_msg_done": "exam"})}
    page.evaluate(UNDO)

    # the census leaves «ППЭ», then joins it again by choosing it; undo takes the choice back
    page.evaluate(SELECT, "ppe_s2_census")
    group.get_by_role("button", name="Убрать сообщение из «ППЭ»").click()
    left = {**ORIGINAL, "ppe": ("ППЭ", {m: "ppe" for m in MESSAGES if m != "ppe_s2_msg_census"})}
    assert correlation(page.evaluate(SAVED)) == left
    group.get_by_label("Добавить к свойству корреляции").select_option("ppe")
    assert correlation(page.evaluate(SAVED)) == ORIGINAL
    expect(group.get_by_label("Выражение для «ППЭ»")).to_have_value("ppe")
    page.evaluate(UNDO)
    assert correlation(page.evaluate(SAVED)) == left


def test_the_token_simulation_speaks_russian(module_live, page):
    base, _app = module_live
    sign_in(page, base, "designer")
    open_designer(page, base, "plan_school_report")
    page.get_by_role("button", name="Симуляция токенов").click()
    palette = page.locator(".bts-palette")
    expect(palette).to_be_visible()
    expect(palette.locator("[title='Сбросить симуляцию']")).to_have_count(1)
    palette.locator("[title='Показать или скрыть журнал симуляции']").click()
    log = page.locator(".bts-log")
    expect(log).to_contain_text("Журнал симуляции")
    expect(log).to_contain_text("Записей пока нет")
    page.locator(".bts-context-pad[title='Запустить событие']:visible").first.click()
    expect(log).to_contain_text("Процесс запущен")
    shown = page.evaluate("""() => [...document.querySelectorAll('[class*="bts-"]')].flatMap((e) =>
        [e.getAttribute('title') || '', e.getAttribute('aria-label') || '', e.textContent]).join(' | ')""")
    for english in ("Token Simulation", "Simulation Log", "No Entries", "Reset Simulation", "Trigger Event",
                    "Toggle Simulation Log", "Set animation speed", "Process started", "Start Event"):
        assert english not in shown, english
