"""Refusing access, in one way everywhere: the attempt goes to the audit trail (in its own transaction, so it is
kept although the request fails) and the caller gets PermissionDenied, or NotFound where an object is concealed.
The web UI and the API answer 404 for an object the user may not see at all (engine.readable_task,
readable_instance, asked first) and keep 403 for an action on one she may see. Call them outside a write
transaction."""
from flask_babel import lazy_gettext as _l

from .. import audit, store
from ..errors import NotFound, PermissionDenied

NOT_YOURS = _l("You may not see or change this: it belongs to another school, PPE or role.")


def refuse(user, what: str, *, instance_id=None, task=None, message=None):
    _record(user, what, instance_id, task)
    raise PermissionDenied(message or NOT_YOURS)


def conceal(user, what: str, not_found: NotFound, *, instance_id=None, task=None):
    """An object `user` may not see: answered with `not_found`, exactly as an id that names nothing is, so that
    another school's ids cannot be told from unused ones (the API does the same)."""
    _record(user, what, instance_id, task)
    raise not_found


def _record(user, what, instance_id, task) -> None:
    with store.transaction():
        audit.record("denied", getattr(user, "login", None) or "anonymous", instance_id=instance_id, task=task,
                     message=what)
