"""Writing the audit trail, in the same transaction as the change it records, and the words its events are
read in (one mapping of event kind → label, for every page that shows a trail)."""
from flask_babel import lazy_gettext as _l

from .clock import now
from .db import db
from .models import AuditEvent

SYSTEM = "system"
_MAX_TEXT = 300
_MAX_ITEMS = 50

LABELS = {
    "start": _l("process started"), "complete": _l("task done"),
    "complete_as_admin": _l("task done by an administrator"), "timers": _l("timer went off"),
    "claim": _l("task taken"), "unclaim": _l("task given back"), "error": _l("step failed"),
    "retry": _l("failed step repeated"), "cancel": _l("cancellation"), "suspend": _l("suspension"),
    "resume": _l("resumption"), "notify": _l("notice sent"), "denied": _l("access refused"),
    "deliver_message": _l("message delivered"), "deliver_signal": _l("signal delivered"),
    "reschedule": _l("dates moved by the exam calendar"), "message_unrouted": _l("message not delivered"),
    "signal_unrouted": _l("signal not delivered"), "reassign": _l("task handed over"), "snooze": _l("task put off"),
    "unsnooze": _l("task brought back"), "comment": _l("comment added"), "deploy": _l("processes deployed"),
    "design_draft": _l("process draft saved"), "design_new": _l("new process created from a pattern"),
    "design_form_draft": _l("form draft saved"), "design_form_discard": _l("form draft discarded"),
    "migrate": _l("moved to another version of the process"),
    "plan_open": _l("plan opened"), "plan_copy": _l("plan copied to the next year"),
    "plan_item_start": _l("plan item started"), "plan_item_window": _l("plan item dates changed"),
    "plan_calendar": _l("exam calendar changed"), "production_calendar": _l("production calendar changed"),
    "user_create": _l("user created"),
    "user_update": _l("user edited"), "user_deactivate": _l("user deactivated"),
    "user_reactivate": _l("user reactivated"), "membership_add": _l("role given"),
    "membership_remove": _l("role taken away"), "unit_create": _l("unit created"), "unit_update": _l("unit edited"),
    "directory_import": _l("directory imported from Excel"), "absence": _l("absence set"),
    "absence_end": _l("absence ended"), "preferences": _l("settings changed"),
    "token_create": _l("API token created"), "token_revoke": _l("API token revoked"),
    "login_locked": _l("sign-in locked after failed attempts"),
    "edit_data": _l("data edited by an operator"), "skip": _l("task skipped by an operator"),
    "go_back": _l("returned to an earlier task"), "move_due": _l("task deadline moved"),
}
# What a refused attempt tried (engine.access.denials.refuse's `what`).
ATTEMPTS = {
    "view instance": _l("open the progress page"), "view task": _l("open the task"),
    "download file": _l("download a file"), "complete": _l("complete the task"), "reassign": _l("hand the task over"),
    "snooze": _l("put the task off"), "unclaim": _l("give the task back"),
    "instance retry": _l("repeat the failed step"), "instance cancel": _l("cancel the progress"),
    "instance suspend": _l("suspend the progress"), "instance resume": _l("resume the progress"),
    "instance edit_data": _l("edit the process data"), "instance skip": _l("skip a task"),
    "instance go_back": _l("return to an earlier task"), "task move_due": _l("move a task's deadline"),
}


def label(action: str) -> str:
    """The words for an event kind; an unknown kind (a newer version's) as it is."""
    return str(LABELS.get(action, action))


def attempt(what: str | None) -> str | None:
    """What a refused attempt tried, in words; None for attempts named by a path only (not worth showing)."""
    return str(ATTEMPTS[what]) if what in ATTEMPTS else None


def record(action: str, actor: str | None, *, instance_id=None, task=None, summary=None, message=None) -> None:
    db.session.add(AuditEvent(
        at=now(), actor=actor or SYSTEM, action=action, instance_id=instance_id,
        task_id=getattr(task, "id", None), bpmn_id=getattr(task, "bpmn_id", None),
        task_name=getattr(task, "name", None), summary=summarize(summary) if summary is not None else None,
        message=str(message)[:4000] if message is not None else None))


def summarize(value, depth=0):
    """Submitted data, trimmed for the trail: long texts cut, long lists shortened, files by name."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        if "attachment_id" in value:
            return {"attachment_id": value["attachment_id"], "filename": value.get("filename")}
        return {str(k): summarize(v, depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    if isinstance(value, list):
        items = [summarize(v, depth + 1) for v in value[:_MAX_ITEMS]]
        return items + ["…"] if len(value) > _MAX_ITEMS else items
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "…"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)[:_MAX_TEXT]
