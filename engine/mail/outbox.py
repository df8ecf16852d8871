"""Sending the e-mail outbox through SMTP: at most once per message, from Celery after the step has committed.

`send_pending` takes one due message at a time in a short transaction of its own (FOR UPDATE SKIP LOCKED on
PostgreSQL, so two workers never take the same row; on SQLite the BEGIN IMMEDIATE transaction serialises them),
marks it as being sent and counts the attempt, commits, and only then talks to the SMTP server; a second short
transaction records the result. No transaction stays open during the network conversation.

At most once, never twice (the issue says "never twice"): a message is claimed before it is handed to SMTP, and
a claimed message is taken again only when the attempt failed in a way that proves the server did not accept it
(no connection, a refusal of the sender or recipient, a 4xx reply to the message). A 5xx reply gives the message
up at once. When the connection breaks while the message itself is being transferred the server may or may not
have it: the message is marked uncertain and not sent again. A worker killed between the claim and the result
leaves the message marked as being sent, and it is not sent again either. Both are visible in `last_error` (an
operator may re-send by clearing it). The alternative, holding the row lock while sending, would deliver at
least once instead: a crash after the server accepted the message and before the commit would send it twice,
and on SQLite every writer of the application would wait for the SMTP conversation.

State of a row: sent (`sent_at` set); pending (`last_error` empty, or the plain error of a failed attempt while
attempts remain); given up (all attempts failed); claimed, uncertain or rejected (`last_error` starts with "[").
The first attempt is made at once (after the commit); attempt n + 1 is due MAIL_RETRY_MINUTES[n - 1] minutes after
the message was written, so a server that is down for a while costs retries spread over hours, not one minute.
"""
import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, format_datetime, parseaddr

from flask import current_app
from sqlalchemy import and_, or_, select

from .. import clock, store
from ..db import db, is_postgres
from ..models import EmailOutbox

log = logging.getLogger(__name__)

CLAIMED = "[sending]"  # set with the claim; replaced by the result
UNCERTAIN = "[uncertain] "  # the connection broke while the message was transferred
REJECTED = "[rejected] "  # a permanent (5xx) refusal


@dataclass
class SendResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # will be tried again
    given_up: list[int] = field(default_factory=list)  # rejected, uncertain, or out of attempts

    def as_dict(self) -> dict:
        return {"sent": len(self.sent), "failed": len(self.failed), "given_up": len(self.given_up)}


def enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def wake_senders() -> None:
    """Ask a worker to send what the committed step wrote (Celery task gia.send_mail). Never fails the step:
    without SMTP settings there is nothing to do, and when the broker cannot be reached the message waits for
    beat's sweep (every MAIL_SWEEP_SECONDS)."""
    if not enabled():
        return
    celery = current_app.extensions["celery"]
    try:
        with celery.producer_or_acquire() as producer:
            # One quick try: by default kombu keeps reconnecting for seconds, and the user is waiting.
            producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            celery.send_task("gia.send_mail", producer=producer, retry=False)
    except Exception as exc:  # noqa: BLE001 - the step has committed; its mail goes out with the next sweep
        log.warning("could not queue gia.send_mail (mail waits for the next sweep): %s", exc)


def send_pending(batch: int | None = None) -> SendResult:
    """Send up to `batch` due messages (default MAIL_BATCH) over one SMTP connection. Does nothing when
    SMTP_HOST is empty. Call it outside a transaction."""
    result = SendResult()
    if not enabled():
        return result
    batch = batch or current_app.config["MAIL_BATCH"]
    sender = _Sender(current_app.config)
    try:
        while len(result.sent) + len(result.failed) + len(result.given_up) < batch:
            claimed = _claim()
            if claimed is None:
                break
            row_id, message, attempt = claimed
            outcome, error = sender.send(message)
            _record(row_id, outcome, error, attempt, result)
            if outcome == "unreachable":
                break  # the server is down: leave the rest for later rather than spend their attempts
    finally:
        sender.close()
    if result.given_up:
        log.warning("e-mail given up: outbox rows %s", result.given_up)
    return result


def _schedule() -> list[timedelta]:
    return [timedelta(minutes=m) for m in current_app.config["MAIL_RETRY_MINUTES"]]


def _due(now):
    """Rows to send now: unsent, not claimed/uncertain/rejected, and the next attempt's time has come."""
    retries = [and_(EmailOutbox.attempts == n, EmailOutbox.created_at <= now - wait)
               for n, wait in enumerate(_schedule(), start=1)]
    return and_(EmailOutbox.sent_at.is_(None),
                or_(EmailOutbox.last_error.is_(None), EmailOutbox.last_error.notlike("[%")),
                or_(EmailOutbox.attempts == 0, *retries))


def _claim():
    """Take the oldest due message: mark it claimed and count the attempt, in a transaction of its own."""
    with store.transaction():
        query = select(EmailOutbox).where(_due(clock.now())).order_by(EmailOutbox.id).limit(1)
        if is_postgres():
            query = query.with_for_update(skip_locked=True)
        row = db.session.scalars(query).first()
        if row is None:
            return None
        row.attempts += 1
        row.last_error = CLAIMED
        claimed = (row.id, _message(row, current_app.config["MAIL_FROM"]), row.attempts)
    return claimed


def _record(row_id, outcome, error, attempt, result: SendResult) -> None:
    with store.transaction():
        row = db.session.get(EmailOutbox, row_id)
        if outcome == "sent":
            row.sent_at, row.last_error = clock.now(), None
            result.sent.append(row_id)
        elif outcome == "rejected":
            row.last_error = (REJECTED + error)[:4000]
            result.given_up.append(row_id)
        elif outcome == "uncertain":
            row.last_error = (UNCERTAIN + error)[:4000]
            result.given_up.append(row_id)
        else:  # failed or unreachable: not accepted, may be tried again
            row.last_error = error[:4000]
            (result.given_up if attempt > len(_schedule()) else result.failed).append(row_id)


def _message(row: EmailOutbox, sender: str) -> MIMEText:
    # The classic email API: the modern one folds a long Cyrillic subject into encoded words with the space
    # between two words outside them, and readers then drop it ("в ППЭ" is shown as "вППЭ").
    message = MIMEText(row.body, "plain", "utf-8")  # base64: 7-bit clean for any server
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = row.to_addr
    message["Subject"] = Header(row.subject, "utf-8")
    message["Date"] = format_datetime(row.created_at)
    # The same event always has the same Message-ID, so that a mail client would fold a copy into one.
    domain = address.rpartition("@")[2] or "gia-flow"
    message["Message-ID"] = f"<{hashlib.sha256(row.event_key.encode()).hexdigest()[:32]}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    return message


class _Sender:
    """One SMTP connection, opened on the first message and kept for the batch. `send` tells what happened:
    sent, failed (not accepted; retry), unreachable (no connection; retry), rejected (5xx; never retry),
    uncertain (the connection broke during the transfer of the message; never retry)."""

    def __init__(self, config):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = c["SMTP_TIMEOUT_SECONDS"]
        if c["SMTP_SSL"]:
            conn = smtplib.SMTP_SSL(c["SMTP_HOST"], c["SMTP_PORT"], timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(c["SMTP_HOST"], c["SMTP_PORT"], timeout=timeout)
        try:
            conn.ehlo()
            if c["SMTP_STARTTLS"] and not c["SMTP_SSL"]:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if c["SMTP_USER"]:
                conn.login(c["SMTP_USER"], c["SMTP_PASSWORD"])
        except BaseException:
            _quietly(conn.close)
            raise
        return conn

    def send(self, message: MIMEText) -> tuple[str, str | None]:
        kept = self.conn is not None
        if self.conn is None:
            try:
                self.conn = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                return "unreachable", _describe(exc)
        conn = self.conn
        sender, recipient = parseaddr(str(message["From"]))[1], message["To"]
        try:
            code, reply = conn.mail(sender)
            if code == 250:
                code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                _quietly(conn.rset)
                return ("rejected" if code >= 500 else "failed"), f"{code} {_text(reply)}"
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            if kept:  # the connection kept from the previous message had gone stale: once more on a new one
                return self.send(message)
            return "failed", _describe(exc)  # nothing of the message was transferred yet
        try:
            # data() raises SMTPDataError only when DATA itself is refused (before any of the message is sent);
            # any other failure inside it may come after the server took the message.
            code, reply = conn.data(message.as_bytes(policy=compat32.clone(linesep="\r\n")))
        except smtplib.SMTPDataError as exc:
            _quietly(conn.rset)
            return ("rejected" if exc.smtp_code >= 500 else "failed"), _describe(exc)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return "uncertain", _describe(exc)
        if code == 250:
            return "sent", None
        _quietly(conn.rset)
        return ("rejected" if code >= 500 else "failed"), f"{code} {_text(reply)}"

    def _drop(self):
        if self.conn is not None:
            _quietly(self.conn.close)
            self.conn = None

    def close(self):
        if self.conn is not None:
            _quietly(self.conn.quit)
            self._drop()


def _quietly(call):
    try:
        call()
    except (OSError, smtplib.SMTPException):
        pass


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
