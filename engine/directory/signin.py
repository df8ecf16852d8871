"""Slowing down password guessing without letting a guesser lock the owner out.

The design is OWASP's account-and-address throttle with exponential back-off. Failed sign-ins are counted for
each login *from each client address* (the account/IP-pair lockout of OWASP's "Slow Down Online Guessing Attacks
with Device Cookies", which its "Blocking Brute Force Attacks" page points to instead of plain account lockout,
whose first listed problem is that anyone can lock anyone out), and for each client address over every login
(that page's "lock out an IP address with multiple failed logins", against one address trying many accounts).
Past the free attempts a pair or an address waits for a delay that doubles with every further failure (the
Authentication Cheat Sheet's "exponential lockout") up to LONGEST_DELAY; after FORGET_AFTER without a failure its
count starts again. No account is locked as such: its owner signs in from any address that has not been failing,
or from the same one once the delay is over, and signing in forgets that login's failures at that address.

Atomic: an attempt counts itself as a failure *before* the password is checked, with both rows locked (SELECT ...
FOR UPDATE on PostgreSQL; on SQLite the transaction holds the write lock from BEGIN IMMEDIATE), and gives the
count back when the password was right. Parallel guesses are therefore counted one by one, and no more than the
limit of them reach the password check.

The client address is what the web server saw (webui trusts X-Forwarded-For only when TRUSTED_PROXIES says how
many proxies set it). Limits of the design, as OWASP notes: a botnet gets PAIR_LIMIT guesses per address, and
people behind one address (a school's network) share that address's count.
"""
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, tuple_, update

from .. import audit, clock, store
from ..db import db, is_postgres
from ..errors import ConflictError, TooManyAttempts
from ..models import LoginAttempt, LoginThrottle

PAIR_LIMIT = 5  # failures of one login from one address before it waits
ADDRESS_LIMIT = 20  # failures from one address over every login before it waits
FIRST_DELAY = timedelta(minutes=1)  # doubled for every further failure...
LONGEST_DELAY = timedelta(minutes=15)  # ...up to this
FORGET_AFTER = timedelta(hours=1)  # a count with no failure for this long starts again (longer than any delay)
KEEP_LOG = timedelta(days=30)  # how long LoginAttempt rows (failed password checks) are kept
EVERY_LOGIN = ""  # the `login` of the row counting an address's failures over every login


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt that has counted itself and may check the password."""
    login: str
    address: str
    pair_failures: int
    address_failures: int


def client_key(remote_addr: str | None) -> str:
    """The address failures are counted under: an IPv6 client by its /64 network (what one subscriber is usually
    given, so that moving within it gains nothing), an IPv4 one as it is."""
    text = (remote_addr or "").strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def begin(login: str, remote_addr: str | None) -> Attempt:
    """Count this attempt as a failure until the password proves right (`finish`). While the login at this address,
    or the address itself, waits out its delay: TooManyAttempts, nothing counted and no password checked."""
    address = client_key(remote_addr)
    now = clock.now()
    with store.transaction():
        by_address, pair = _locked_rows(login, address, now)
        refusal = _refusal(pair, by_address, now)
        if refusal is None:
            _count(pair, PAIR_LIMIT, now)
            _count(by_address, ADDRESS_LIMIT, now)
            attempt = Attempt(login, address, pair.failures, by_address.failures)
    if refusal is not None:
        raise refusal
    return attempt


def finish(attempt: Attempt, succeeded: bool) -> None:
    """After the password check: a right password forgets the failures of this login at this address and gives
    the address its count back; a wrong one is logged (LoginAttempt), and reaching a limit is audited."""
    now = clock.now()
    with store.transaction():
        if succeeded:
            # The address row first, as `begin` locks them. This attempt was counted, so the count is at least 1;
            # a lock it set goes with it (nobody else could count while that lock held the address).
            db.session.execute(update(LoginThrottle)
                               .where(LoginThrottle.login == EVERY_LOGIN, LoginThrottle.remote_addr == attempt.address,
                                      LoginThrottle.failures > 0)
                               .values(failures=LoginThrottle.failures - 1, locked_until=None))
            db.session.execute(delete(LoginThrottle).where(LoginThrottle.login == attempt.login,
                                                           LoginThrottle.remote_addr == attempt.address))
            return
        db.session.add(LoginAttempt(login=attempt.login, remote_addr=attempt.address, at=now))
        if attempt.pair_failures == PAIR_LIMIT:
            audit.record("login_locked", attempt.login, summary={"address": attempt.address},
                         message=f"{PAIR_LIMIT} failed sign-ins from {attempt.address}")
        if attempt.address_failures == ADDRESS_LIMIT:
            audit.record("login_locked", None, summary={"address": attempt.address},
                         message=f"{ADDRESS_LIMIT} failed sign-ins from {attempt.address} over several logins")
        _prune(attempt.login, now)


def delay_after(failures: int, limit: int) -> timedelta:
    """How long a pair or address waits after its `failures`-th failure (none below `limit`)."""
    if failures < limit:
        return timedelta(0)
    doublings = min(failures - limit, 16)  # 2**16 minutes is past LONGEST_DELAY already
    return min(FIRST_DELAY * 2 ** doublings, LONGEST_DELAY)


def _locked_rows(login: str, address: str, now: datetime) -> tuple[LoginThrottle, LoginThrottle]:
    """The address's row and the login-at-address row, created when missing, locked for this transaction. Always in
    this order, so that two transactions never wait for each other's rows."""
    keys = [(EVERY_LOGIN, address), (login, address)]
    for _ in range(3):  # a row pruned between the insert and the lock is inserted again
        _insert_missing(keys, now)
        query = (select(LoginThrottle).where(tuple_(LoginThrottle.login, LoginThrottle.remote_addr).in_(keys))
                 .order_by(LoginThrottle.login).execution_options(populate_existing=True))
        rows = {row.login: row for row in db.session.scalars(query.with_for_update() if is_postgres() else query)}
        if len(rows) == 2:
            return rows[EVERY_LOGIN], rows[login]
    raise ConflictError(_l("The database is busy; try again."))


def _insert_missing(keys, now: datetime) -> None:
    from sqlalchemy.dialects import postgresql, sqlite  # here: on SQLite, the PostgreSQL dialect is never imported
    make = postgresql.insert if is_postgres() else sqlite.insert
    for login, address in keys:  # one by one, in the locking order
        db.session.execute(make(LoginThrottle).values(login=login, remote_addr=address, failures=0, last_at=now)
                           .on_conflict_do_nothing())


def _refusal(pair: LoginThrottle, by_address: LoginThrottle, now: datetime) -> TooManyAttempts | None:
    if _waiting(pair, now):
        return TooManyAttempts(_l("Too many failed sign-ins for this login. Try again in %(minutes)s minutes."),
                               minutes=_minutes_left(pair, now))
    if _waiting(by_address, now):
        return TooManyAttempts(_l("Too many failed sign-ins from this address. Try again in %(minutes)s minutes."),
                               minutes=_minutes_left(by_address, now))
    return None


def _waiting(row: LoginThrottle, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


def _minutes_left(row: LoginThrottle, now: datetime) -> int:
    return max(1, math.ceil((row.locked_until - now).total_seconds() / 60))


def _count(row: LoginThrottle, limit: int, now: datetime) -> None:
    if row.last_at < now - FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_at = now
    row.locked_until = now + delay_after(row.failures, limit) if row.failures >= limit else None


def _prune(login: str, now: datetime) -> None:
    """Drop counts quiet for FORGET_AFTER (they would start again anyway; no delay lasts that long) and the log of
    this login's failures older than KEEP_LOG. Rows another attempt holds are left for later (SKIP LOCKED)."""
    stale = (select(LoginThrottle.login, LoginThrottle.remote_addr)
             .where(LoginThrottle.last_at < now - FORGET_AFTER).limit(100))
    keys = [tuple(key) for key in db.session.execute(stale.with_for_update(skip_locked=True) if is_postgres()
                                                     else stale)]
    if keys:
        db.session.execute(delete(LoginThrottle)
                           .where(tuple_(LoginThrottle.login, LoginThrottle.remote_addr).in_(keys)))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.login == login, LoginAttempt.at < now - KEEP_LOG))
