"""The app's own pages pass its Content-Security-Policy (webui/security.py: scripts and styles only from
webui/static, nothing inline): every persona walks the pages it can reach by links, and any refusal Chromium
reports in the console fails the test, as does an inline on*= handler (refused only when it would fire)."""
import io
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from cli.demo import USERS

pytestmark = pytest.mark.browser

PAGES_PER_PERSONA = 40
PER_VIEW = 2
SKIPPED = ("/files/", ".xlsx", "/logout")  # downloads, and signing out ends the walk

INLINE_HANDLERS = """() => Array.from(document.querySelectorAll('*')).flatMap(el =>
    Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))"""


@pytest.fixture(scope="module")
def year(module_live):
    """The plan opened on 1 October 2020 with its first items started, and PPE №17's check with a faulty jammer
    (a photo), a comment and the head's fix task, so that the walk meets every kind of page; made once, as the
    personas' walks only read."""
    base, app = module_live
    with app.app_context():
        import engine
        from engine import attachments, store
        from engine.db import db
        from engine.plan import catalogue
        from engine.plan import running as plans
        from tests.conftest import set_manual_clock
        from tests.engine.a1 import checklist, only
        set_manual_clock("2020-10-01T09:30:00+03:00")
        db.session.commit()
        plans.open_plan(catalogue.load_default(), actor="iao")
        plans.start_due_items()
        instance_id = engine.start("ppe_tech_check", {"check_due": "2020-10-05", "fix_days": 7, "recheck_days": 3},
                                   unit="ppe-17", actor="iao").instance_id
        check = only(instance_id, "checklist")
        with store.transaction():
            photo = attachments.store(io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "jammer.png", "jammer-photo",
                                      instance_id=instance_id, task_id=check.id, actor="tech17").id
        engine.complete(check.id, engine.user_by_login("tech17"),
                        checklist(faulty=["jammer"], checked_on="2020-10-01", photo=photo))
        engine.comment(only(instance_id, "fix_task").id, engine.user_by_login("head17"), "Генератор в ремонте")
        db.session.remove()
    return base, app


def walk(page, base, app):
    """The same-origin pages reachable by links from the inbox, breadth first, at most PER_VIEW of each view (the
    Flask endpoint: two task pages, not every task)."""
    urls = app.url_map.bind("localhost")
    per_view, seen, queue, visited = {}, set(), deque([f"{base}/"]), 0
    while queue and visited < PAGES_PER_PERSONA:
        url = queue.popleft()
        parts = urlsplit(url)
        if url in seen or any(part in url for part in SKIPPED):
            continue
        seen.add(url)
        try:
            view = urls.match(parts.path)[0]
        except HTTPException:
            view = parts.path
        if per_view.get(view, 0) >= PER_VIEW:
            continue
        per_view[view] = per_view.get(view, 0) + 1
        page.goto(url)
        visited += 1
        yield url
        for href in page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)"):
            href = urldefrag(href).url
            if href.startswith(base) and href not in seen:
                queue.append(href)


@pytest.mark.parametrize("login", [user[0] for user in USERS] + [None])
def test_every_page_of_every_persona_passes_the_content_security_policy(page, year, login):
    refused = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    base, app = year
    page.goto(f"{base}/login")
    if login is None:  # the sign-in page and a page that does not exist, as nobody
        page.goto(f"{base}/no-such-page")
        assert not refused, "\n".join(refused)
        return
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    handlers, visited = [], []
    for url in walk(page, base, app):
        visited.append(url)
        handlers += [f"{url}: {found}" for found in page.evaluate(INLINE_HANDLERS)]
    page.goto(f"{base}/instances/999999")  # the error page too
    assert len(visited) > 3, visited
    assert not refused, "\n".join(sorted(set(refused)))
    assert not handlers, "\n".join(handlers)
