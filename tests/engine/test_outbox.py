"""E-mail without Celery: the outbox rows a step writes in its own transaction (and a failed step does not), who
receives them (role and unit, city-wide roles, deputies, opt-out), one message per event however often it is
written, and `send_pending` delivering them to a real SMTP server (aiosmtpd) at most once: retried when the server
was down, given up when refused, never re-sent when the delivery was uncertain, not doubled by two senders."""
import sqlite3
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

import engine
from engine import access, mail
from engine.db import db
from engine.models import EmailOutbox, HumanTask, Notification, ProcessInstance, User
from engine.models.instance import InstanceStatus
from engine.mail import outbox as outbox_service
from engine.mail import send_pending
from tests.conftest import linear
from tests.engine.a1 import checklist, only, start_check
from tests.mailserver import MailServer, body, free_port, mail_server  # noqa: F401 - the fixture

LOGINS = ("tech17", "head17", "head12", "iao", "iao_head", "guo_head")  # tech12 has no address


def address(login):
    return f"{login}@gia.example"


@pytest.fixture
def smtp_app(app, monkeypatch, tmp_path):
    """SMTP settings of the tests (the server is filled in by each) and a broker of the test's own (an SQLite
    file) for the nudge sent after each commit."""
    monkeypatch.setenv("CELERY_BROKER_URL", f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")
    app.config.update(SMTP_TIMEOUT_SECONDS=5.0, MAIL_RETRY_MINUTES=[1, 5])
    return app


@pytest.fixture
def mailer(smtp_app):
    """The demo organisation (as conftest's `org`, without passwords: hashing them is slow), every user but tech12
    with an address."""
    from cli.demo import USERS, ensure_city
    ensure_city((12, 17), (12, 17), auditoriums=lambda n: 2)
    for login, role, unit, name in USERS:
        engine.ensure_user(login, role, unit, full_name=name, email=address(login) if login in LOGINS else None)
    return {login: engine.user_by_login(login) for login, *_ in USERS}


def two_tasks(deploy_xml, script=None):
    """A process of two manager's tasks (or one and `script`), and a manager with an address."""
    engine.ensure_user("mgr", "manager", None, email="mgr@gia.example")
    task = ('<bpmn:userTask id="{id}" name="Подготовить {id}"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="role" value="manager"/></spiffworkflow:properties>'
            '</bpmn:extensionElements></bpmn:userTask>')
    second = f'<bpmn:scriptTask id="n2"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>' if script else (
        task.format(id="n2"))
    deploy_xml(linear(task.format(id="n1"), second))
    instance_id = engine.start("p", actor="mgr").instance_id
    [first] = engine.list_tasks(instance_id=instance_id)
    return instance_id, first


def write(count, at="2021-03-15T10:00:00+03:00"):
    """Outbox rows written directly (as a step would), to the addresses u0@… u<count-1>@…"""
    with engine.store.transaction():
        mail.insert_rows([{"event_key": f"test:{n}", "to_addr": f"u{n}@gia.example", "subject": f"№{n}",
                           "body": "Текст письма", "created_at": datetime.fromisoformat(at), "attempts": 0}
                          for n in range(count)])


def use(app, server):
    app.config.update(server.config())


def opt_out(*logins):
    for login in logins:
        engine.user_by_login(login).email_opt_out = True
    db.session.commit()


def outbox() -> dict:
    rows = {row.event_key: row for row in db.session.scalars(select(EmailOutbox).order_by(EmailOutbox.id))}
    db.session.commit()
    return rows


def key(kind, thing, login):
    return f"{kind}:{thing}:{engine.user_by_login(login).id}"


def test_a_fault_mails_the_head_of_the_school_a_link_to_the_fix_task(app, mailer, clock_at, mail_server):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    check = only(instance_id, "checklist")
    assert set(outbox()) == {key("assign", check.id, "tech17")}

    fix = engine.complete(check.id, mailer["tech17"], checklist(faulty=["jammer"])).next_tasks[0]
    note = db.session.scalars(select(Notification)).one()
    rows = outbox()
    assert set(rows) == {key("assign", check.id, "tech17"), key("assign", fix.id, "head17"),
                         key("note", note.id, "iao")}
    assert {r.created_at for r in rows.values()} == {datetime.fromisoformat("2021-03-15T10:00:00+03:00")}
    assert not any(r.sent_at for r in rows.values())  # nothing is sent inside the step

    use(app, mail_server)
    assert len(send_pending().sent) == 3
    base = app.config["PUBLIC_BASE_URL"]
    [new_task] = mail_server.messages(address("head17"))
    assert new_task["Subject"] == f"Новая задача: {fix.name}"
    text = body(new_task)
    assert f"{base}/tasks/{fix.id}" in text and "Срок: 22.03.2021" in text and "Омарова З.К." in text
    assert "МБОУ «СОШ №17»" in text
    [info] = mail_server.messages(address("iao"))
    assert info["Subject"].startswith("Уведомление: ППЭ №17")
    assert f"{base}/instances/{instance_id}" in body(info) and note.text in body(info)
    [first] = mail_server.messages(address("tech17"))
    assert f"{base}/tasks/{check.id}" in body(first)
    assert all(r.sent_at and r.attempts == 1 and r.last_error is None for r in outbox().values())

    assert send_pending().sent == []  # each message once
    assert len(mail_server.messages()) == 3


def test_deputies_get_the_mail_of_the_absent_and_opted_out_or_addressless_users_none(app, mailer, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    opt_out("iao")
    engine.set_absence(mailer["head17"], "head12", date(2021, 3, 14), date(2021, 3, 20))
    engine.ensure_user("tech17b", "ppe_tech", "ppe-17")  # no address
    instance_id = start_check()
    check = only(instance_id, "checklist")
    fix = engine.complete(check.id, mailer["tech17"], checklist(faulty=["jammer"])).next_tasks[0]
    assert set(outbox()) == {key("assign", check.id, "tech17"), key("assign", fix.id, "head17"),
                             key("assign", fix.id, "head12")}

    # The recipients are exactly the users a task is offered to (the inbox's rule read the other way).
    users = list(db.session.scalars(select(User)))
    for task in [db.session.get(HumanTask, check.id), db.session.get(HumanTask, fix.id),
                 HumanTask(role="iao_specialist", unit_code="ppe-17"), HumanTask(role="school_head", unit_code=None),
                 HumanTask(role=None, unit_code="school-17"), HumanTask(role=None, unit_code=None)]:
        offered = {u.login for u in users if access.offered_to(u, task)}
        assert {u.login for u in access.offered_users(task.role, task.unit_code)} == offered, task.role
    db.session.commit()


def test_a_step_that_fails_writes_no_mail(smtp_app, deploy_xml):
    instance_id, task = two_tasks(deploy_xml, 'notify("manager", None, "Напоминание: срок", "reminder")\nx = 1 / 0')
    assert set(outbox()) == {key("assign", task.id, "mgr")}

    with pytest.raises(engine.ProcessError):
        engine.complete(task.id, engine.user_by_login("mgr"), {})
    assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.ERROR
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert set(outbox()) == {key("assign", task.id, "mgr")}


def test_reminder_and_escalation_one_mail_per_recipient_however_many_sweeps(app, mailer, clock_at, mail_server):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    check = only(instance_id, "checklist")
    for _ in range(2):
        engine.advance_timers(datetime.fromisoformat("2021-03-20T10:00:00+03:00"))
    escalation = only(instance_id, "check_escalate_iao")
    notes = {n.kind: n for n in db.session.scalars(select(Notification))}
    assert set(notes) == {"reminder", "escalation"}
    # The head of IAO gets the escalation naming the new task, not a second «Новая задача» for it.
    assert set(outbox()) == {key("assign", check.id, "tech17"), key("note", notes["reminder"].id, "tech17"),
                             key("note", notes["escalation"].id, "iao_head")}

    use(app, mail_server)
    send_pending()
    send_pending()
    base = app.config["PUBLIC_BASE_URL"]
    [escalated] = mail_server.messages(address("iao_head"))
    assert escalated["Subject"] == "Эскалация: ППЭ №17 (на базе СОШ №17) не заполнил чек-лист к 19.03.2021."
    assert f"{base}/tasks/{escalation.id}" in body(escalated) and "Вам поступила задача" in body(escalated)
    reminded = [m for m in mail_server.messages(address("tech17")) if m["Subject"].startswith("Напоминание")]
    assert len(reminded) == 1 and f"{base}/tasks/{check.id}" in body(reminded[0])
    assert len(mail_server.messages()) == 3


def test_one_message_per_event_key_whoever_writes_it(smtp_app):
    row = {"event_key": "assign:t-1:1", "to_addr": "a@gia.example", "subject": "s", "body": "b",
           "created_at": datetime.fromisoformat("2021-03-15T10:00:00+03:00"), "attempts": 0}
    with engine.store.transaction():
        assert mail.insert_rows([row, dict(row, to_addr="b@gia.example")]) == 1
    with engine.store.transaction():
        assert mail.insert_rows([dict(row, subject="again")]) == 0
    [kept] = outbox().values()
    assert (kept.to_addr, kept.subject) == ("a@gia.example", "s")


def test_smtp_down_the_message_waits_and_is_delivered_later(smtp_app, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    server = MailServer(free_port())  # not started yet: connection refused
    use(smtp_app, server)
    write(2)
    first = send_pending()
    assert len(first.failed) == 1 and not first.sent  # the second is not tried while the server is down
    row = outbox()["test:0"]
    assert row.sent_at is None and row.attempts == 1 and "Connection" in row.last_error

    # The second's first attempt; the first's next one is not due yet (MAIL_RETRY_MINUTES).
    assert send_pending().failed == [outbox()["test:1"].id]
    assert outbox()["test:0"].attempts == 1
    server.start()
    try:
        clock_at("2021-03-15T10:01:30+03:00")
        assert len(send_pending().sent) == 2
        rows = outbox()
        assert [(r.attempts, r.last_error) for r in rows.values()] == [(2, None), (2, None)]
        assert all(r.sent_at for r in rows.values())
        assert sorted(m["Subject"] for m in server.messages()) == ["№0", "№1"]
        assert body(server.messages("u0@gia.example")[0]).strip() == "Текст письма"
    finally:
        server.stop()


def test_after_the_last_attempt_the_message_is_given_up(smtp_app, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    use(smtp_app, MailServer(free_port()))  # never started
    write(1)
    results = []
    for minute in ("00", "01", "05", "30"):
        clock_at(f"2021-03-15T10:{minute}:30+03:00")
        results.append(send_pending().as_dict())
    assert [r["failed"] for r in results] == [1, 1, 0, 0] and [r["given_up"] for r in results] == [0, 0, 1, 0]
    [row] = outbox().values()
    assert row.attempts == 3 and row.sent_at is None and "Connection" in row.last_error


def test_a_refused_recipient_is_given_up_at_once_the_others_are_delivered(smtp_app, clock_at, mail_server):
    clock_at("2021-03-15T10:00:00+03:00")
    mail_server.refuse.add("u1@gia.example")
    write(3)
    use(smtp_app, mail_server)
    result = send_pending()
    assert (len(result.sent), len(result.given_up)) == (2, 1)
    refused = outbox()["test:1"]
    assert refused.sent_at is None and refused.last_error.startswith("[rejected] 550")
    clock_at("2021-03-16T10:00:00+03:00")
    assert send_pending().as_dict() == {"sent": 0, "failed": 0, "given_up": 0}
    assert sorted(m["To"] for m in mail_server.messages()) == ["u0@gia.example", "u2@gia.example"]


def test_an_uncertain_delivery_is_not_repeated(smtp_app, clock_at, mail_server):
    """The server takes the message but the client never hears so: sending again might deliver it twice."""
    clock_at("2021-03-15T10:00:00+03:00")
    write(1)
    use(smtp_app, mail_server)
    smtp_app.config["SMTP_TIMEOUT_SECONDS"] = 0.5
    mail_server.stall.set()
    assert len(send_pending().given_up) == 1
    [row] = outbox().values()
    assert row.last_error.startswith("[uncertain] ") and row.sent_at is None
    mail_server.stall.clear()
    clock_at("2021-03-16T10:00:00+03:00")
    assert send_pending().as_dict() == {"sent": 0, "failed": 0, "given_up": 0}
    assert len(mail_server.messages()) == 1


def test_two_senders_at_once_send_each_message_once(smtp_app, mail_server):
    write(24)
    use(smtp_app, mail_server)
    results, errors = [], []

    def sender():
        try:
            with smtp_app.app_context():
                results.append(send_pending(batch=24))
        except Exception as exc:  # reported below
            errors.append(exc)
    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(len(r.sent) for r in results) == 24
    subjects = sorted(m["Subject"] for m in mail_server.messages())
    assert subjects == sorted(f"№{n}" for n in range(24))
    assert all(r.sent_at and r.attempts == 1 for r in outbox().values())
    print("sent per sender:", [len(r.sent) for r in results])


def test_workers_are_nudged_after_the_commit(smtp_app, mail_server, deploy_xml, tmp_path):
    use(smtp_app, mail_server)
    instance_id, task = two_tasks(deploy_xml)
    engine.claim(task.id, engine.user_by_login("mgr"))  # writes no mail: no nudge
    with sqlite3.connect(tmp_path / "broker.sqlite3") as broker:
        payloads = [row[0] for row in broker.execute("SELECT payload FROM kombu_message")]
    assert len(payloads) == 1 and "gia.send_mail" in payloads[0]


def test_a_broker_that_cannot_be_reached_does_not_fail_the_step(smtp_app, mail_server, deploy_xml, monkeypatch,
                                                                caplog):
    use(smtp_app, mail_server)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    # alembic's fileConfig (when the test database was migrated) turned off the loggers that existed before it
    monkeypatch.setattr(outbox_service.log, "disabled", False)
    instance_id, task = two_tasks(deploy_xml)
    result = engine.complete(task.id, engine.user_by_login("mgr"), {})
    assert [t.bpmn_id for t in result.next_tasks] == ["n2"] and len(outbox()) == 2
    assert "could not queue gia.send_mail" in caplog.text
    assert len(send_pending().sent) == 2  # what beat's sweep does
