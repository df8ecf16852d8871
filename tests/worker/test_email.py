"""E-mail sent by a real Celery worker to a real SMTP server (aiosmtpd): each step that offers a task or raises a
reminder or escalation nudges the worker after its commit, and every recipient gets exactly one message per event,
even when two timer sweeps run at once; sending again sends nothing.

Observed from outside: the messages the SMTP server received, the outbox rows, and the worker's log of its
gia.send_mail tasks. Waits are polls with a deadline, never a fixed sleep.
"""
import re
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select

import engine
from engine import clock
from engine.db import db
from engine.models import EmailOutbox
from engine.mail import send_pending
from tests.conftest import load_org
from tests.engine.a1 import checklist, only, start_check
from tests.mailserver import body, mail_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.worker

BEFORE = datetime.fromisoformat("2021-03-15T10:00:00+03:00")
# The fix found on the 15th is due on the 22nd: reminder on the 21st at 09:00, escalation to the head of IAO on
# the 23rd at 09:00.
AFTER_FIX_DEADLINE = datetime.fromisoformat("2021-03-23T10:00:00+03:00")
MAIL_DONE = re.compile(r"Task gia\.send_mail\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: "
                       r"\{'sent': (?P<sent>\d+), 'failed': (?P<failed>\d+), 'given_up': (?P<given_up>\d+)\}")


def address(login):
    return f"{login}@gia.example"


def outbox_state() -> Counter:
    """How many outbox rows are sent and unsent, read in a transaction of its own (on SQLite every transaction
    takes the write lock, so none is left open while the worker runs)."""
    try:
        return Counter("sent" if r.sent_at else (r.last_error or "pending")
                       for r in db.session.scalars(select(EmailOutbox)))
    finally:
        db.session.rollback()


def subjects(server, login) -> list[str]:
    return [m["Subject"] for m in server.messages(address(login))]


def test_the_worker_mails_each_recipient_once_per_event(celery_run, mail_server, monkeypatch):
    celery = celery_run
    # The worker reads its SMTP settings from the environment; this process's app nudges it after each commit.
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(mail_server.port))
    celery.app.config.update(mail_server.config())
    org = load_org()
    for login in ("tech17", "head17", "head12", "iao", "iao_head", "guo_head"):
        org[login].email = address(login)
    org["iao"].email_opt_out = True
    clock.set_mode("manual", BEFORE)
    db.session.commit()
    worker = celery.worker(concurrency=2)  # no beat: the mail goes out on the nudges alone
    celery.wait_ready(worker)

    instance_id = start_check()
    check = only(instance_id, "checklist")
    fix = engine.complete(check.id, org["tech17"], checklist(faulty=["jammer"])).next_tasks[0]
    # tech17's checklist, head17's fix; iao (the fault report) has opted out.
    celery.wait_for(lambda: outbox_state() == Counter(sent=2), "the mail of both steps sent")
    base = celery.app.config["PUBLIC_BASE_URL"]
    [new_task] = mail_server.messages(address("head17"))
    assert new_task["Subject"] == f"Новая задача: {fix.name}"
    assert f"{base}/tasks/{fix.id}" in body(new_task)
    assert subjects(mail_server, "tech17") == [f"Новая задача: {check.name}"]
    assert not mail_server.messages(address("iao"))

    # The reminder to the head of school 17 and the escalation to the head of IAO fall due; two sweeps at once.
    clock.advance_to(AFTER_FIX_DEADLINE)
    db.session.commit()
    sent = [celery.send_sweep(), celery.send_sweep()]
    celery.wait_for(lambda: all(s in {d["id"] for d in celery.sweeps()} for s in sent), "both sweeps")
    celery.wait_for(lambda: outbox_state() == Counter(sent=4), "the reminder and the escalation sent")
    escalation = only(instance_id, "fix_escalate_iao")
    assert sum(s["fired"] for s in celery.sweeps()) == 1

    assert subjects(mail_server, "head17") == [
        f"Новая задача: {fix.name}",
        "Напоминание: Подавитель сигналов сотовой связи в ППЭ №17 (на базе СОШ №17) нужно устранить до 22.03.2021."]
    assert f"{base}/tasks/{fix.id}" in body(mail_server.messages(address("head17"))[1])
    [escalated] = mail_server.messages(address("iao_head"))
    assert escalated["Subject"].startswith("Эскалация: в ППЭ №17")
    assert f"{base}/tasks/{escalation.id}" in body(escalated)
    assert len(mail_server.messages()) == 4 and not subjects(mail_server, "guo_head")

    # Sending again, here or by the worker, sends nothing: each message went out once.
    assert send_pending().as_dict() == {"sent": 0, "failed": 0, "given_up": 0}
    db.session.rollback()
    task_id = celery.app.extensions["celery"].send_task("gia.send_mail").id
    celery.wait_for(lambda: f"gia.send_mail[{task_id}] succeeded" in celery.logs(), "one more send_mail")
    done = [m.groupdict() for m in MAIL_DONE.finditer(celery.logs())]
    assert sum(int(d["sent"]) for d in done) == 4 and not any(int(d["failed"]) for d in done)
    assert len(mail_server.messages()) == 4
