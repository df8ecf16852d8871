"""No technical text on any page (issue 10 §10): every persona of the demo organisation signs in and walks the
pages reachable from the navigation and the links on them; the text a person reads (document.body.innerText, not
attributes, not <code> kept for logins an administrator needs) must hold no identifiers: snake_case words
(process ids, calendar keys, role codes), raw ISO dates, or the logins of simulated people.

The data gives the pages something to show: the plan opened in October with a month lived (reports handed in,
others overdue, escalations raised), and a PPE check with a faulty jammer fixed and waiting for its re-check."""
import random
import re
from collections import deque
from datetime import date
from urllib.parse import urljoin, urlsplit

import pytest

from cli.demo import USERS
from tests.browser.test_a1_journey import sign_in
from tests.conftest import set_manual_clock, stored_pdf

pytestmark = pytest.mark.browser

IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b|\b\d{4}-\d{2}-\d{2}\b|\bsim-[a-z]")
SKIP = re.compile(r"\.(xlsx|pdf|png|jpe?g|csv|bpmn|xml)(\?|$)|/files/|/download|/exports/|/api/|logout")
PAGES_PER_PERSONA = 60
PER_SHAPE = 6  # pages of one shape (e.g. /tasks/<id>) a persona visits: the rest render the same template
READ_TEXT = """() => { const kept = [...document.querySelectorAll('code')];
  kept.forEach(e => e.style.display = 'none');
  const text = document.body.innerText; kept.forEach(e => e.style.display = ''); return text; }"""


def _lived(app):
    """The plan opened on 01.10.2020 and lived to 02.11.2020, and scenario A1 up to the re-check."""
    import engine
    import forms
    from sqlalchemy import select
    from engine.db import db
    from engine.models import HumanTask
    from engine.plan import catalogue as plan_catalogue
    from engine.plan import running as plans
    from forms.sample import sample_data
    from tests.engine.a1 import checklist, only
    with app.app_context():
        set_manual_clock("2020-10-01T09:30:00+03:00")
        engine.ensure_user("sim-ppe_head-17", "ppe_head", "ppe-17")  # as the simulated year makes people: no name
        plans.open_plan(plan_catalogue.load_default(), actor="iao")
        plans.start_due_items()
        evidence = stored_pdf("evidence.pdf", "iao")
        rng = random.Random(7)
        people = {(role, unit): engine.user_by_login(login) for login, role, unit, _ in USERS}
        for task in db.session.scalars(select(HumanTask).where(HumanTask.state == "READY",
                                                               HumanTask.form_key != "escalation")).all()[::3]:
            user = people.get((task.role, task.unit_code)) or people.get((task.role, "iao"))
            if user is None:
                continue
            data = sample_data(forms.load(task.form_key), rng, today=date(2020, 10, 1), file_ref=evidence)
            try:
                engine.complete(task.id, user, data)
            except engine.EngineError:
                db.session.rollback()  # rules tying fields to process data: left undone, which is fine here
        set_manual_clock("2020-11-02T10:00:00+03:00")
        engine.advance_timers()
        check = engine.start("ppe_tech_check", {"check_due": "2020-11-06", "fix_days": 7, "recheck_days": 3},
                             unit="ppe-17", actor="iao").instance_id
        engine.start("ppe_tech_check", {"check_due": "2020-11-06", "fix_days": 7, "recheck_days": 3},
                     unit="ppe-12", actor="iao")
        [fix] = engine.complete(only(check, "checklist").id, engine.user_by_login("tech17"),
                                checklist(faulty=["jammer"], checked_on="2020-11-02")).next_tasks
        engine.complete(fix.id, engine.user_by_login("head17"), {"action": "Подавитель заменён",
                                                                 "fixed_on": "2020-11-02"})
        db.session.remove()


def _shape(url: str) -> str:
    """/tasks/1b2c…?page=2 → /tasks/N?page=N: pages that differ only by ids."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "N", url)


def _walk(page, base: str, login: str) -> dict[str, list[str]]:
    """{url: identifiers seen} for the pages `login` reaches from the start page."""
    found, seen, shapes = {}, set(), {}
    queue = deque([f"{base}/"])
    while queue and len(seen) < PAGES_PER_PERSONA:
        url = queue.popleft()
        shape = _shape(url)
        if url in seen or shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(url)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = page.goto(url)
        if response is None or response.status != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        hits = sorted(set(IDENTIFIER.findall(page.evaluate(READ_TEXT))))
        if hits:
            found[url[len(base):]] = hits
        for href in page.eval_on_selector_all("a[href]:not([download])",
                                              "links => links.map(a => a.getAttribute('href'))"):
            target = urljoin(url, href).split("#")[0]
            if urlsplit(target).netloc == urlsplit(base).netloc and not SKIP.search(target) and target not in seen:
                queue.append(target)
    return found


def test_no_page_of_any_persona_shows_identifiers(live, browser):
    base, app = live
    _lived(app)
    problems = {}
    for login, *_ in USERS:
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, base, login)
        for url, hits in _walk(page, base, login).items():
            problems[f"{login} {url}"] = hits
        context.close()
    assert not problems, "identifiers in the text people read:\n" + "\n".join(
        f"{where}: {', '.join(hits)}" for where, hits in sorted(problems.items()))
