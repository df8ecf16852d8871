"""Nothing typed is lost (issue 10, point 27), in a real browser: the head of school №17 types into her fix task,
the page saves a draft while she types and again when she leaves, she finds all of it on another device (a new
browser context), nobody else sees any of it, and once she submits the draft is gone."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.test_a1_journey import sign_in
from tests.engine.a1 import checklist, only, start_check

pytestmark = pytest.mark.browser

FIRST = "Подавитель заменён"
MORE = ", проверен в аудитории 2"


@pytest.fixture
def fix_task(live):
    """(base, app, task id): the head of school №17's open fix task after a faulty jammer."""
    base, app = live
    with app.app_context():
        import engine
        from engine.db import db
        instance_id = start_check()
        engine.complete(only(instance_id, "checklist").id, engine.user_by_login("tech17"),
                        checklist(faulty=["jammer"], checked_on="2021-03-15"))
        task_id = only(instance_id, "fix_task").id
        db.session.remove()
    return base, app, task_id


def drafts(app) -> int:
    with app.app_context():
        from engine.db import db
        from engine.models import TaskDraft
        count = db.session.scalar(select(func.count()).select_from(TaskDraft))
        db.session.remove()
    return count


def open_as(browser, base, login, task_id):
    """A fresh browser (another device): signed in as `login`, on the task page."""
    page = browser.new_context().new_page()
    sign_in(page, base, login)
    page.goto(f"{base}/tasks/{task_id}")
    return page


def test_a_draft_follows_its_author_to_another_device_and_no_one_else(browser, fix_task):
    base, app, task_id = fix_task

    laptop = open_as(browser, base, "head17", task_id)
    laptop.fill("textarea[name=action]", FIRST)
    expect(laptop.locator(".draft-saved")).to_contain_text("Черновик сохранён в", timeout=15_000)
    expect(laptop.locator(".draft-files")).to_contain_text("приложить заново")
    # More typing, then she leaves at once: the page sends the rest as it goes (pagehide).
    laptop.type("textarea[name=action]", MORE)
    laptop.goto(f"{base}/")
    laptop.context.close()

    phone = open_as(browser, base, "head17", task_id)
    for _ in range(40):  # the last save was sent as the page left; wait for it to be in
        if phone.locator("textarea[name=action]").input_value() == FIRST + MORE:
            break
        phone.wait_for_timeout(250)
        phone.reload()
    expect(phone.locator("textarea[name=action]")).to_have_value(FIRST + MORE)
    expect(phone.locator(".draft-saved")).to_contain_text("Восстановлен черновик от")

    # Others: the administrator may act on the task and gets an empty form; tech17 sees the task, not the draft.
    for login in ("admin", "tech17"):
        other = open_as(browser, base, login, task_id)
        assert FIRST not in other.content(), login
        if login == "admin":
            expect(other.locator("textarea[name=action]")).to_have_value("")
        other.goto(f"{base}/instances/{only_instance(app, task_id)}")
        assert FIRST not in other.content(), login
        other.context.close()

    phone.fill("input[name=fixed_on]", "2021-03-15")
    phone.get_by_role("button", name="Отправить").click()
    expect(phone.locator(".flash.success")).to_be_visible()
    assert drafts(app) == 0
    phone.context.close()


def only_instance(app, task_id) -> int:
    with app.app_context():
        from engine.db import db
        from engine.models import HumanTask
        instance_id = db.session.get(HumanTask, task_id).instance_id
        db.session.remove()
    return instance_id
