"""Personal tokens for the REST API: made and revoked by their owner, stored as a SHA-256 only.

The plaintext (`gia_` and 43 URL-safe characters) is returned once by `create_token` and never stored; a lookup
hashes what was sent and compares hashes. A token works while it is neither revoked nor expired and its owner is
active. Its last use is written at most once a minute, so that a busy client does not write on every request.
"""
import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from .. import audit, clock, store
from ..db import db
from ..errors import EngineError, InvalidState, NotFound
from ..models import ApiToken, User

TOKEN_PREFIX = "gia_"
MAX_DAYS = 3650
LAST_USED_EVERY = timedelta(minutes=1)
_SHOWN = 12  # characters of the token kept to tell tokens apart (the prefix and 8 random ones)


class InvalidToken(EngineError):
    """The token sent is unknown, revoked or expired, or its owner was switched off."""


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`, valid for `days` (None: until revoked). Returns the row and the plaintext, which
    is shown to the user once and not kept anywhere."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise EngineError(_l("Name the token (up to 200 characters)."))
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS):
        raise EngineError(_l("A token is valid for 1 to %(max)s days."), max=MAX_DAYS)
    if not user.active:
        raise EngineError(_l("A switched-off user cannot get a token."))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        now = clock.now()
        row = ApiToken(user_id=user.id, name=name, token_hash=_digest(plaintext), prefix=plaintext[:_SHOWN],
                       created_at=now, expires_at=now + timedelta(days=days) if days else None)
        db.session.add(row)
        db.session.flush()
        audit.record("token_create", user.login, summary={"token": row.id, "name": name, "prefix": row.prefix,
                                                          "days": days})
    return row, plaintext


def revoke_token(token_id: int, user: User) -> ApiToken:
    """Revoke one of `user`'s tokens; it stops working at once."""
    row = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if row is None or row.user_id != user.id:
        if row is not None:  # someone else's token: refused like a missing one, and recorded
            with store.transaction():
                audit.record("denied", user.login, message=f"revoke api token {row.id}")
        raise NotFound(_l("Token %(id)s not found."), id=token_id)
    with store.transaction():
        row = db.session.get(ApiToken, token_id)
        if row.revoked_at is not None:
            raise InvalidState(_l("The token «%(name)s» is already revoked."), name=row.name)
        row.revoked_at = clock.now()
        audit.record("token_revoke", user.login, summary={"token": row.id, "name": row.name, "prefix": row.prefix})
    return row


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def token_status(row: ApiToken, now=None) -> str:
    """active, expired or revoked."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or clock.now()):
        return "expired"
    return "active"


def check_token(plaintext) -> User:
    """The active user `plaintext` belongs to, or InvalidToken saying why not. A refusal of a token that exists
    (revoked, expired, owner switched off) is recorded in the audit trail under its owner's login."""
    if not isinstance(plaintext, str) or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        raise InvalidToken(_l("The API token is not valid. Create a token on your profile page and send it as "
                              "«Authorization: Bearer <token>»."))
    # The owner and the engine clock's setting are read with the token: the request needs all three.
    found = db.session.execute(clock.with_setting(
        select(ApiToken, User).outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(plaintext)))).first()
    if found is None:
        raise InvalidToken(_l("The API token is not valid. Create a token on your profile page and send it as "
                              "«Authorization: Bearer <token>»."))
    row, user, mode, at = found
    clock.remember_setting(mode, at)
    now = clock.now()
    status = token_status(row, now)
    if status != "active" or user is None or not user.active:
        if status == "revoked":
            refusal = InvalidToken(_l("The API token «%(name)s» was revoked. Create a new one on your profile "
                                      "page."), name=row.name)
        elif status == "expired":
            refusal = InvalidToken(_l("The API token «%(name)s» has expired. Create a new one on your profile "
                                      "page."), name=row.name)
        else:
            refusal = InvalidToken(_l("The account this API token belongs to is switched off."))
        with store.transaction():
            audit.record("denied", user.login if user is not None else None,
                         message=f"api token {row.prefix}: {status if status != 'active' else 'user inactive'}")
        raise refusal
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        with store.transaction():
            db.session.execute(update(ApiToken).where(
                ApiToken.id == row.id, or_(ApiToken.last_used_at.is_(None),
                                           ApiToken.last_used_at <= now - LAST_USED_EVERY))
                .values(last_used_at=now).execution_options(synchronize_session=False))
        db.session.expire(row, ["last_used_at"])
    return user


def user_for_token(plaintext) -> User | None:
    """The active user `plaintext` belongs to, or None (unknown, revoked or expired token, inactive user)."""
    try:
        return check_token(plaintext)
    except InvalidToken:
        return None
