"""Scenario A3 in a real browser (plan 3.9, 3.33): on 20 Nov 2020 the coordinator of school №5 registers an ОГЭ
participant with disabilities (ОВЗ); without the ПМПК scan the form refuses and keeps the input. In May the head of
PPE №17 cannot sign the stage-2 act ППЭ-01 of the ОГЭ in Russian while the conditions are unconfirmed (the page names
the pupil), names the pupil's maths teacher as assistant (refused), then a social pedagogue; the act is signed. The
head of PPE №12 cannot open PPE №17's tasks."""
import os
import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import open_task, sign_in, sign_out
from tests.browser.test_a9_journey import at
from tests.conftest import set_manual_clock

pytestmark = pytest.mark.browser

PUPIL = "Алиев Магомед Расулович"
SHOTS = os.environ.get("GIA_JOURNEY_SHOTS")  # a folder: the journeys save their key pages there for a look


def shoot(page, name, full_page=True):
    """The page as the user sees it, saved when GIA_JOURNEY_SHOTS names a folder (CI does not need them)."""
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=full_page)


def add_people(*people):
    """Users (login, role, unit, full name) who sign in with the demo password; call inside an app context."""
    import sqlalchemy as sa
    import engine
    from engine.db import db
    from engine.models import User
    from tests.conftest import _demo_password_hash
    for login, role, unit, name in people:
        engine.ensure_user(login, role, unit, full_name=name)
    db.session.execute(sa.update(User).where(User.login.in_([p[0] for p in people]))
                       .values(password_hash=_demo_password_hash()))
    db.session.commit()


@pytest.fixture
def ovz(live):
    """The 2020/21 plan open (its calendar puts the ОГЭ in Russian on 24 May 2021 and in maths on 27 May), PPE
    №17's stage-2 acts of those two days started on 1 Nov and the ОВЗ registration of school №5 started on 20 Nov:
    (ovz instance id, act instance id)."""
    _base, app = live
    with app.app_context():
        import sqlalchemy as sa
        import engine
        from engine.db import db
        from engine.models import Unit
        from engine.plan import catalogue
        from engine.plan import running as plans
        set_manual_clock("2020-11-01T10:00:00+03:00")
        plans.open_plan(catalogue.load_default(), actor="admin")
        add_people(("coord5", "school_coordinator", "school-5", "Гасанова Л.М."),
                   ("ppehead17", "ppe_head", "ppe-17", "Рамазанов И.Ш."),
                   ("ppehead12", "ppe_head", "ppe-12", "Каримова Д.А."))
        ppe = db.session.scalar(sa.select(Unit).where(Unit.code == "ppe-17"))
        ppe.attrs = {**(ppe.attrs or {}), "exams": ["oge_russian", "oge_math"]}  # it hosts the two ОГЭ days
        db.session.commit()
        act = engine.start("ppe_stage2_act", {}, unit="ppe-17", actor="iao").instance_id
        set_manual_clock("2020-11-01T10:01:00+03:00")  # the acts start and ask for open ОВЗ conditions a minute later
        engine.advance_timers(datetime.fromisoformat("2020-11-01T10:01:00+03:00"))
        set_manual_clock("2020-11-20T10:00:00+03:00")
        registration = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
        db.session.remove()
    return registration, act


def test_a3_ovz_participant_registered_confirmed_by_the_ppe_head_and_the_act_signed(live, page, ovz, tmp_path):
    base, app = live
    pmpk = tmp_path / "pmpk.pdf"
    pmpk.write_bytes(b"%PDF-1.4 PMPK conclusion of 10.11.2020")
    act_scan = tmp_path / "ppe01.pdf"
    act_scan.write_bytes(b"%PDF-1.4 act PPE-01")

    # The coordinator of school №5 registers the pupil; without the ПМПК scan the form refuses, the input kept.
    sign_in(page, base, "coord5")
    open_task(page, "Участник с ОВЗ: регистрация")
    expect(page.locator('input[name="teachers-0-fio"]')).to_have_value("")  # an empty row, not numbered
    page.fill('input[name="fio"]', PUPIL)
    page.fill('input[name="class_name"]', "9Б")
    page.check('input[name="exam"][value="oge"]')
    for label in ("Русский язык", "Математика"):
        page.get_by_label(label, exact=True).check()
    for label in ("Ассистент", "Увеличение продолжительности на 1,5 часа", "Аудитория на первом этаже"):
        page.get_by_label(label, exact=True).check()
    page.get_by_label(re.compile("ППЭ №17")).check()
    page.fill('input[name="teachers-0-fio"]', "Гаджиева Патимат Алиевна")
    page.fill('input[name="teachers-0-subject"]', "Русский язык")
    page.get_by_role("button", name="Добавить строку").click()
    page.fill('input[name="teachers-1-fio"]', "Омаров Шамиль Магомедович")
    page.fill('input[name="teachers-1-subject"]', "Математика")
    page.fill('input[name="pmpk_date"]', "2020-11-10")
    page.get_by_role("button", name="Зарегистрировать").click()
    expect(page.locator(".flash.error")).to_contain_text("Исправьте отмеченные поля")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(".field-error")).to_contain_text("Обязательное поле")
    expect(page.locator('input[name="fio"]')).to_have_value(PUPIL)
    expect(page.get_by_label("Ассистент", exact=True)).to_be_checked()
    expect(page.locator('input[name="teachers-1-fio"]')).to_have_value("Омаров Шамиль Магомедович")
    shoot(page, "a3_registration_refused")
    page.set_input_files('input[name="pmpk_scan"]', str(pmpk))
    page.get_by_role("button", name="Зарегистрировать").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    sign_out(page)

    # 13 May: the head of PPE №17 has both tasks; the act is refused while the conditions are unconfirmed.
    at(app, "2021-05-13T10:00:00+03:00")
    sign_in(page, base, "ppehead17")
    row = page.locator("table.list tr", has_text="Условия для участника с ОВЗ")
    expect(row).to_contain_text("14.05.2021")
    expect(row).to_contain_text("ассистент, +1,5 часа, аудитория на первом этаже")
    open_task(page, "ОГЭ 24.05.2021: русский язык")
    act_url = page.url
    page.fill('input[name="signed_on"]', "2021-05-13")
    page.set_input_files('input[name="act_scan"]', str(act_scan))
    page.get_by_role("button", name="Подписать акт").click()
    refusal = page.locator(".field-error, .flash.error").filter(has_text="Акт ППЭ-01 нельзя подписать")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text(f"{PUPIL} (МБОУ «СОШ №5»)")
    shoot(page, "a3_act_refused")

    # The pupil's maths teacher as assistant is refused; a social pedagogue in room 101 on the ground floor is not.
    page.get_by_role("navigation").get_by_role("link", name="Мои задачи").click()
    open_task(page, "Условия для участника с ОВЗ")
    confirm_url = page.url
    expect(page.locator(".instructions")).to_contain_text("Омаров Шамиль Магомедович")
    page.fill('input[name="room"]', "101")
    page.fill('input[name="floor"]', "1")
    page.fill('input[name="assistant_fio"]', "Омаров Шамиль Магомедович")
    page.fill('input[name="assistant_position"]', "учитель математики")
    page.get_by_role("button", name="Подтвердить условия").click()
    error = page.locator(".field-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Ассистентом не может быть учитель участника по сдаваемому предмету")
    expect(page.locator('input[name="room"]')).to_have_value("101")
    shoot(page, "a3_assistant_refused")
    page.fill('input[name="assistant_fio"]', "Курбанова Саида Исаевна")
    page.fill('input[name="assistant_position"]', "социальный педагог")
    page.get_by_role("button", name="Подтвердить условия").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")

    # The act is signed now.
    open_task(page, "ОГЭ 24.05.2021: русский язык")
    page.fill('input[name="signed_on"]', "2021-05-13")
    page.set_input_files('input[name="act_scan"]', str(act_scan))
    page.get_by_role("button", name="Подписать акт").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    sign_out(page)

    # Another PPE's head opens neither task.
    sign_in(page, base, "ppehead12")
    for url in (act_url, confirm_url):
        response = page.goto(url)
        assert response.status in (403, 404)
        expect(page.locator("main")).not_to_contain_text(PUPIL)
