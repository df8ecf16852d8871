"""A submit is a lean request: completing a task from its page or through the REST API runs at most 10 SQL
statements (issue 12 §4; it ran 32 and 28), and the user's memberships are read once in it, however many checks
ask for them. Counted, not timed: each request starts on a fresh session, as it does in a server."""
from contextlib import contextmanager

from sqlalchemy import event

import engine
import forms
from engine import store
from engine.db import db
from tests.api.conftest import Api
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import csrf, posted
from tests.web.test_task_page_restores import counted

MOST = 10


@contextmanager
def statements():
    """Every statement sent to the database meanwhile (BEGIN included), one line each."""
    seen = []

    def listen(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def memberships_read(seen) -> int:
    return sum(s.startswith("SELECT membership.role") for s in seen)


def test_a_task_submitted_from_its_page_runs_at_most_ten_statements(site):
    task = only(start_check(), "checklist")
    tech = site("tech17")
    form = {**posted(checklist()), "csrf_token": csrf(tech.get(f"/tasks/{task.id}"))}
    db.session.remove()  # the request reads what it needs itself, as in a server
    with statements() as seen:
        response = tech.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 302 and "/tasks/" not in response.location  # done: to the inbox
    assert len(seen) <= MOST, "\n".join(seen)
    assert memberships_read(seen) == 1, "\n".join(seen)
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=task.instance_id)] == ["accept"]


def test_a_task_submitted_through_the_api_runs_at_most_ten_statements(site, primary_app, monkeypatch):
    api = Api(primary_app)
    task = only(start_check(), "checklist")
    token = api.token("tech17")
    assert api.get(f"/tasks/{task.id}", token=token).status_code == 200  # the token's last use is written now
    db.session.remove()
    restores = counted(monkeypatch, store, "workflow_of")
    checked = counted(monkeypatch, forms, "validate_json")
    with statements() as seen:
        response = api.post(f"/tasks/{task.id}/complete", token=token, json=checklist())
    assert response.status_code == 200, response.get_json()
    assert [t["bpmn_id"] for t in response.get_json()["next_tasks"]] == ["accept"]
    assert len(seen) <= MOST, "\n".join(seen)
    assert memberships_read(seen) == 1, "\n".join(seen)
    assert (len(restores), len(checked)) == (1, 1)  # the form checked once, the workflow restored once
