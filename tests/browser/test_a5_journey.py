"""Scenario A5 in a real browser: school №33 misses the parent-meeting report deadline (due 7 Dec); the reminder
and both escalations have fired by 12 Dec; the head of school №33 submits it (a wrong count is refused, the input
kept), it is recorded «сдано с опозданием на 5 дн.», and the head of school №12 cannot open it."""
import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_a1_journey import sign_in, sign_out
from tests.conftest import set_manual_clock

pytestmark = pytest.mark.browser


@pytest.fixture
def late_report(live):
    """School №33's report task of plan item 4.13, started on 1 Dec 2020 and left open until 12 Dec."""
    _base, app = live
    with app.app_context():
        import engine
        from engine import clock
        from engine.db import db
        set_manual_clock("2020-12-01T09:30:00+03:00")
        engine.ensure_user("head33", "school_head", "school-33", password="demo", full_name="Абдуллаева М.Р.")
        data = {"plan_item": {"number": "4.13", "title": "Сбор отчётов о родительских собраниях", "section": 4},
                "starts": "2020-12-01", "due": "2020-12-07", "lead_role": "school_head", "escalate_to": "iao_head",
                "params": {"report": "количество собраний и охват родителей", "document": "required"}}
        instance_id = engine.start("plan_school_report", data, unit="school-33", actor="iao").instance_id
        for day in ("2020-12-04T09:30", "2020-12-08T09:30", "2020-12-11T09:30", "2020-12-12T10:00"):
            moment = datetime.fromisoformat(day + "+03:00")
            clock.advance_to(moment)
            db.session.commit()
            engine.advance_timers(moment)
        [task] = [t for t in engine.list_tasks(instance_id=instance_id) if t.role == "school_head"]
        task_id = task.id
        db.session.remove()
    return instance_id, task_id


def test_a_late_report_is_submitted_marked_late_and_hidden_from_another_school(live, page, late_report, tmp_path):
    base, _app = live
    _instance_id, task_id = late_report

    sign_in(page, base, "head33")
    row = page.locator("table.list tr", has_text="Отчёт: 4.13")
    expect(row).to_contain_text("07.12.2020")
    expect(row).to_contain_text("просрочено на 5 дн.")
    row.get_by_role("link").first.click()
    expect(page.locator(".instructions")).to_contain_text("количество собраний и охват родителей")
    page.fill('textarea[name="summary"]', "Проведены собрания в 9-х и 11-х классах")
    page.fill('input[name="count_done"]', "60")
    page.fill('input[name="count_total"]', "56")
    pdf = tmp_path / "protocol.pdf"
    pdf.write_bytes(b"%PDF-1.4 protocol of the parent meeting")
    page.set_input_files('input[name="document"]', str(pdf))
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".field-error").first).to_contain_text("Выполнено не может быть больше, чем всего")
    expect(page.locator('textarea[name="summary"]')).to_have_value("Проведены собрания в 9-х и 11-х классах")
    expect(page.locator('input[name="count_total"]')).to_have_value("56")

    expect(page.locator("form.task-form").first).to_contain_text("protocol.pdf")  # the upload is kept with the refused input
    page.fill('input[name="count_done"]', "54")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".flash.success")).to_contain_text("Выполнено")
    expect(page.locator(".tabs, nav.tabs, main").first).to_contain_text("Все доступные 0")
    sign_out(page)

    sign_in(page, base, "iao")
    page.get_by_role("link", name="Мероприятия плана").click()
    page.get_by_role("link", name=re.compile("отчёт ОУ по пункту плана")).click()
    expect(page.locator("table.status-table tr", has_text="СОШ №33")).to_contain_text("сдано с опозданием на 5 дн.")
    sign_out(page)

    sign_in(page, base, "head12")
    response = page.goto(f"{base}/tasks/{task_id}")
    assert response.status in (403, 404)
    expect(page.locator("main")).not_to_contain_text("СОШ №33")
