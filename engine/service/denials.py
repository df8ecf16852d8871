"""Refusing access, in one way everywhere: the attempt goes to the audit trail (in its own transaction, so it is
kept although the request fails) and the caller gets PermissionDenied. Call it outside a write transaction."""
from flask_babel import lazy_gettext as _l

from .. import audit, store
from ..errors import PermissionDenied

NOT_YOURS = _l("You may not see or change this: it belongs to another school, PPE or role.")


def refuse(user, what: str, *, instance_id=None, task=None, message=None):
    with store.transaction():
        audit.record("denied", getattr(user, "login", None) or "anonymous", instance_id=instance_id, task=task,
                     message=what)
    raise PermissionDenied(message or NOT_YOURS)
